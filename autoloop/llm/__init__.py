"""The LLM layer: endpoint settings (``LLMConfig``, ``Endpoint``), secret references, the HTTP client, ``Usage``
and the context window a server reports."""

from autoloop.llm._client import ChatClient
from autoloop.llm._config import ANSWER_FORMATS, DEFAULT_MAX_TOKENS, DEFAULT_MODEL, AnswerFormat, LLMConfig
from autoloop.llm._endpoint import Endpoint, settings_from_env
from autoloop.llm._secrets import SECRET_SCHEME, register_secret_lookup, resolve_secret, secret_ref
from autoloop.llm._usage import Usage
from autoloop.llm._window import read_context_window

__all__ = [
    "ANSWER_FORMATS",
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_MODEL",
    "SECRET_SCHEME",
    "AnswerFormat",
    "ChatClient",
    "Endpoint",
    "LLMConfig",
    "Usage",
    "read_context_window",
    "register_secret_lookup",
    "resolve_secret",
    "secret_ref",
    "settings_from_env",
]
