"""The LLM layer: endpoint settings (``LLMConfig``, ``Endpoint``), secret references, the HTTP client, ``Usage``, token prices
and the context window a server reports.

``ChatClient`` loads on first use: the ``openai`` package it wraps takes about a second to
import, which commands that only read settings (``autoloop tasks``) must not pay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autoloop.llm._config import ANSWER_FORMATS, DEFAULT_MAX_TOKENS, DEFAULT_MODEL, AnswerFormat, LLMConfig
from autoloop.llm._endpoint import Endpoint, settings_from_env
from autoloop.llm._outbound import OutboundPolicy
from autoloop.llm._prices import Price, dollars_text, find_price, is_loopback, parse_price, require_price
from autoloop.llm._secrets import SECRET_SCHEME, register_secret_lookup, resolve_secret, secret_ref
from autoloop.llm._usage import Usage
from autoloop.llm._window import read_context_window

if TYPE_CHECKING:
    from autoloop.llm._client import ChatClient

__all__ = [
    "ANSWER_FORMATS",
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_MODEL",
    "SECRET_SCHEME",
    "AnswerFormat",
    "ChatClient",
    "Endpoint",
    "LLMConfig",
    "OutboundPolicy",
    "Price",
    "Usage",
    "dollars_text",
    "find_price",
    "is_loopback",
    "parse_price",
    "read_context_window",
    "register_secret_lookup",
    "require_price",
    "resolve_secret",
    "secret_ref",
    "settings_from_env",
]


def __getattr__(name: str) -> Any:
    if name == "ChatClient":
        from autoloop.llm._client import ChatClient

        return ChatClient
    raise AttributeError(f"module 'autoloop.llm' has no attribute {name!r}")
