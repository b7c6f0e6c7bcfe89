"""The LLM layer: endpoint settings (``LLMConfig``, ``Endpoint``), secret references, the HTTP client and ``Usage``."""

from autoloop.llm._client import ChatClient
from autoloop.llm._config import DEFAULT_MODEL, LLMConfig
from autoloop.llm._endpoint import Endpoint
from autoloop.llm._secrets import SECRET_SCHEME, register_secret_lookup, resolve_secret, secret_ref
from autoloop.llm._usage import Usage

__all__ = [
    "DEFAULT_MODEL",
    "SECRET_SCHEME",
    "ChatClient",
    "Endpoint",
    "LLMConfig",
    "Usage",
    "register_secret_lookup",
    "resolve_secret",
    "secret_ref",
]
