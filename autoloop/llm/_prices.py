"""Prices of LLM tokens: the ``genai-prices`` table, overridable per model; loopback servers cost nothing.

The table is the one the ``genai-prices`` package ships (maintained by Pydantic, updated with
each release), read from the installed package at run time, never copied here. A price the
caller gives (``--price MODEL=IN,OUT``, the API's ``prices``) wins over it. A server on a
loopback address (``localhost``, ``127.0.0.0/8``, ``::1``) is one the user runs, priced at $0
unless the caller prices its model. A model the table does not know and the caller did not
price has no price: its spend is shown as unknown, and a dollar budget is refused
(``require_price``) with the flag that fixes it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from autoloop.errors import ConfigError

PER = 1_000_000  # prices are quoted per million tokens


@dataclass(frozen=True)
class Price:
    """US dollars per million prompt and completion tokens of one model.

    Args:
        prompt: Dollars per million prompt (input) tokens.
        completion: Dollars per million completion (output) tokens.
        source: Where the price comes from (``genai-prices 0.2.5``, ``--price``, ``local server``).
    """

    prompt: float
    completion: float
    source: str

    def __post_init__(self) -> None:
        if self.prompt < 0 or self.completion < 0:
            raise ConfigError(f"a price cannot be negative, got {self.prompt=} {self.completion=}")

    def dollars(self, prompt_tokens: int, completion_tokens: int) -> float:
        """What ``prompt_tokens`` and ``completion_tokens`` cost."""
        return (prompt_tokens * self.prompt + completion_tokens * self.completion) / PER

    def to_dict(self) -> dict[str, object]:
        """JSON-ready, per million tokens."""
        return {"prompt_per_million": self.prompt, "completion_per_million": self.completion, "source": self.source}


def dollars_text(dollars: float | None) -> str:
    """``$0.0123``, or ``$?`` when unknown (a model without a price)."""
    return "$?" if dollars is None else f"${dollars:.4f}"


def parse_price(text: str, *, flag: str = "--price") -> tuple[str, Price]:
    """``MODEL=IN,OUT`` (dollars per million prompt and completion tokens) as ``(model, Price)``.

    Raises:
        ConfigError: Not of that form; the message shows one that is.
    """
    model, sep, numbers = text.partition("=")
    parts = numbers.split(",")
    try:
        prompt, completion = (float(p) for p in parts) if sep and len(parts) == 2 else (None, None)
    except ValueError:
        prompt = completion = None
    if not model.strip() or prompt is None or completion is None:
        raise ConfigError(f"{flag} takes MODEL=IN,OUT in dollars per million tokens, e.g. {flag} gpt-4o-mini=0.15,0.6; got {text!r}")
    return model.strip(), Price(prompt, completion, flag)


def is_loopback(base_url: str | None) -> bool:
    """Whether ``base_url`` names a server on this machine (``localhost``, ``127.0.0.0/8``, ``::1``)."""
    host = urlsplit(base_url).hostname if base_url else None
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def find_price(model: str, base_url: str | None, overrides: Mapping[str, Price] | None = None) -> Price | None:
    """The price of ``model`` served at ``base_url``: the caller's, else $0 on loopback, else the table's.

    The table is asked for the provider serving ``base_url`` first, then for the model by its
    name alone (a proxy serving ``gpt-4o-mini`` is priced at its maker's list price).

    Returns:
        ``None`` when nobody prices the model.
    """
    if overrides and model in overrides:
        return overrides[model]
    if is_loopback(base_url):
        return Price(0.0, 0.0, "local server")
    return _table_price(model, base_url)


def require_price(model: str, price: Price | None, *, role: str, api: bool = False) -> Price:
    """``price``, or an error naming the setting that prices ``model`` (the ``role`` LLM's: optimizer, executor).

    Raises:
        ConfigError: ``price`` is ``None``.
    """
    if price is not None:
        return price
    fix = f'"prices": {{"{model}": [IN, OUT]}}' if api else f"--price {model}=IN,OUT"
    raise ConfigError(
        f"no price is known for the {role} model {model!r}, so a dollar budget cannot be kept; "
        f"give it with {fix} (US dollars per million prompt and completion tokens)"
    )


@lru_cache(maxsize=64)
def _table_price(model: str, base_url: str | None) -> Price | None:
    import genai_prices  # loads its 1.6 MB table: only when a remote model is priced

    usage = genai_prices.Usage(input_tokens=PER, output_tokens=PER)
    attempts = [{"provider_api_url": base_url}, {}] if base_url else [{}]
    for hint in attempts:
        try:
            found = genai_prices.calc_price(usage, model, **hint)
        except LookupError:  # the table has no such provider or model: try the next hint, else unknown
            continue
        return Price(float(found.input_price), float(found.output_price), f"genai-prices {genai_prices.__version__}")
    return None
