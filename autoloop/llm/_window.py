"""The context window a server says its model has: llama.cpp's ``/props``, or the models list.

Servers that say so: llama.cpp's llama-server (``GET /props``: ``default_generation_settings.n_ctx``,
the context each request gets; ``GET /v1/models``: ``meta.n_ctx_train``, the model's own limit),
vLLM (``max_model_len`` in the models list) and others that put ``context_length`` or
``context_window`` there. OpenAI and llama-cpp-python say nothing: the window is then configured
(``LLMConfig.context_window``) or unknown.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger(__name__)

READ_TIMEOUT_S = 5.0
# Where each source puts the window, most specific first: the context a request gets, then the model's limit.
PROPS_KEYS = (("default_generation_settings", "n_ctx"), ("n_ctx",))
MODEL_KEYS = (("meta", "n_ctx"), ("max_model_len",), ("context_length",), ("context_window",), ("meta", "n_ctx_train"))


def read_context_window(base_url: str, model: str, *, api_key: str | None = None, timeout_s: float = READ_TIMEOUT_S) -> int | None:
    """The context window (tokens) the server at ``base_url`` reports for ``model``, or ``None``.

    Args:
        base_url: The OpenAI-compatible base URL (usually ending in ``/v1``).
        model: The model the requests name; the models list entry with this id is read
            (the only entry, when the server lists one under another name).
        api_key: Sent as a bearer key when given; never logged.
        timeout_s: Per request.

    Example:
        >>> read_context_window("http://127.0.0.1:8080/v1", "qwen")  # doctest: +SKIP
        8192
    """
    base = base_url.rstrip("/")
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    import httpx  # loaded when a server is asked, not with the settings (`autoloop tasks`)

    with httpx.Client(timeout=timeout_s, headers=headers) as client:
        props = _get(client, base.removesuffix("/v1") + "/props")
        window = _first_int(props, PROPS_KEYS) if isinstance(props, dict) else None
        if window is None:
            listing = _get(client, base + "/models")
            window = next((w for entry in _entries(listing, model) if (w := _first_int(entry, MODEL_KEYS)) is not None), None)
    logger.info("context window of %r at %s: %s", model, base, window if window is not None else "not reported")
    return window


def _get(client: httpx.Client, url: str) -> Any:
    import httpx

    try:
        response = client.get(url)
        response.raise_for_status()
        return response.json()
    # The window is optional knowledge: a server without the route, unreachable, or answering
    # something else than JSON just does not say it (the optimizer's own requests report real failures).
    except (httpx.HTTPError, ValueError) as exc:
        logger.debug("no context window from %s (%s)", url, exc)
        return None


def _entries(listing: Any, model: str) -> Iterator[Mapping[str, Any]]:
    data = listing.get("data") if isinstance(listing, dict) else None
    entries = [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []
    named = [e for e in entries if e.get("id") == model]
    yield from named or (entries if len(entries) == 1 else [])


def _first_int(source: Mapping[str, Any], paths: tuple[tuple[str, ...], ...]) -> int | None:
    for path in paths:
        value: Any = source
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None
