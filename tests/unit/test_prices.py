"""Prices: the genai-prices table, per-model overrides, loopback servers at $0, unknown models refused for a dollar budget."""

from __future__ import annotations

import pytest

from autoloop.errors import ConfigError
from autoloop.llm import Price, find_price, is_loopback, parse_price, require_price


def test_a_known_model_is_priced_from_the_installed_table() -> None:
    price = find_price("gpt-4o-mini", None)
    assert price is not None and price.source.startswith("genai-prices ")
    assert price.prompt > 0 and price.completion > price.prompt  # output tokens cost more than input tokens
    assert price.dollars(1_000_000, 0) == pytest.approx(price.prompt)
    assert find_price("gpt-4o-mini", "https://api.openai.com/v1") == price


def test_a_proxy_url_the_table_does_not_know_is_priced_by_the_model_name() -> None:
    assert find_price("gpt-4o-mini", "https://llm.example.com/v1") == find_price("gpt-4o-mini", None)


def test_loopback_servers_cost_nothing_unless_priced() -> None:
    for url in ("http://127.0.0.1:8080/v1", "http://localhost:9/v1", "http://[::1]:8000/v1"):
        assert is_loopback(url), url
        assert find_price("qwen2.5-coder-0.5b", url) == Price(0.0, 0.0, "local server")
    assert not is_loopback("https://api.openai.com/v1") and not is_loopback(None)
    mine = Price(1.0, 2.0, "--price")
    assert find_price("qwen2.5-coder-0.5b", "http://127.0.0.1:8080/v1", {"qwen2.5-coder-0.5b": mine}) is mine


def test_an_override_wins_over_the_table() -> None:
    model, price = parse_price("gpt-4o-mini=1,2.5")
    assert model == "gpt-4o-mini" and (price.prompt, price.completion) == (1.0, 2.5)
    assert find_price("gpt-4o-mini", None, {model: price}) is price


@pytest.mark.parametrize("text", ["gpt-4o-mini", "gpt-4o-mini=1", "=1,2", "m=a,b", "m=1,2,3", "m=-1,2"])
def test_a_malformed_price_names_the_form(text: str) -> None:
    with pytest.raises(ConfigError, match=r"MODEL=IN,OUT|negative"):
        parse_price(text)


def test_an_unknown_model_has_no_price_and_a_dollar_budget_names_the_fix() -> None:
    assert find_price("no-such-model-xyz", "https://llm.example.com/v1") is None
    with pytest.raises(ConfigError, match=r"optimizer model 'no-such-model-xyz'.*--price no-such-model-xyz=IN,OUT"):
        require_price("no-such-model-xyz", None, role="optimizer")
    with pytest.raises(ConfigError, match=r'"prices": \{"m": \[IN, OUT\]\}'):
        require_price("m", None, role="executor", api=True)
