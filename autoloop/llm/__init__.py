"""The LLM layer: endpoint settings (``LLMConfig``), the HTTP client (``ChatClient``) and ``Usage``."""

from autoloop.llm._client import ChatClient
from autoloop.llm._config import DEFAULT_MODEL, LLMConfig
from autoloop.llm._usage import Usage

__all__ = ["DEFAULT_MODEL", "ChatClient", "LLMConfig", "Usage"]
