"""StudyPrices: what a study's LLM tokens cost, and its spend in dollars per setting and in total.

The optimizer LLM and the prompt tasks' executor LLM are priced apart (``find_price``: the
caller's ``--price``, $0 on loopback, else the ``genai-prices`` table). A run's dollars are its
optimizer tokens at the optimizer's price plus its task's own tokens (an executor's, reported
without their prompt/completion split) at the executor's completion price, an upper bound; the
``local`` optimizer calls no LLM and costs $0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from autoloop.llm import Endpoint, Price, find_price, require_price

if TYPE_CHECKING:
    from autoloop.controller._record import RunRecord
    from autoloop.executors import RunTemplate

# Optimizers that call no LLM: their runs cost nothing whatever the endpoint says.
NO_LLM_OPTIMIZERS = ("local",)
NO_LLM = Price(0.0, 0.0, "no LLM (local optimizer)")


@dataclass(frozen=True)
class StudyPrices:
    """The prices a study's runs are charged at.

    Args:
        optimizer_model: The optimizer's model name.
        optimizer: Its price (``None`` = unknown: spend shown as unknown).
        executor_model: A prompt task's executor model (``None`` = the task calls no executor).
        executor: The executor's price (``None`` = unknown or no executor).
        dollars_per_iteration: What the plan estimate expects one iteration to cost; the dollar
            budget uses it until the study has observed iterations of its own.
    """

    optimizer_model: str
    optimizer: Price | None
    executor_model: str | None = None
    executor: Price | None = None
    dollars_per_iteration: float | None = None

    @classmethod
    def of(cls, template: RunTemplate, overrides: Mapping[str, Price] | None = None) -> StudyPrices:
        """The prices of ``template``'s optimizer endpoint and, for a prompt task, its executor's."""
        endpoint = template.endpoint
        optimizer = NO_LLM if template.optimizer in NO_LLM_OPTIMIZERS else find_price(endpoint.model, endpoint.base_url, overrides)
        executor = executor_endpoint(template)
        return cls(
            endpoint.model, optimizer,
            executor.model if executor else None,
            find_price(executor.model, executor.base_url, overrides) if executor else None,
        )

    @property
    def known(self) -> bool:
        """Every model of the study has a price (the optimizer's, and the executor's if there is one)."""
        return self.optimizer is not None and (self.executor_model is None or self.executor is not None)

    def require(self, *, api: bool = False) -> StudyPrices:
        """Self, or an error naming the price to give for each unpriced model (a dollar budget needs them).

        Raises:
            ConfigError: A model of the study has no price.
        """
        require_price(self.optimizer_model, self.optimizer, role="optimizer", api=api)
        if self.executor_model is not None:
            require_price(self.executor_model, self.executor, role="executor", api=api)
        return self

    def run_dollars(self, tokens: int, prompt_tokens: int, completion_tokens: int) -> float | None:
        """What a run's ``tokens`` cost: the optimizer's prompt and completion tokens at its price, the
        rest (the task's own, an executor's, whose split runs do not report) at the executor's
        completion price, an upper bound (``None`` = a model that spent tokens has no price)."""
        task = tokens - prompt_tokens - completion_tokens
        if self.optimizer is None or (task > 0 and self.executor is None):
            return None
        spent = self.optimizer.dollars(prompt_tokens, completion_tokens)
        return spent + (self.executor.dollars(0, task) if task > 0 and self.executor is not None else 0.0)

    def record_dollars(self, record: RunRecord) -> float | None:
        """What a recorded run cost."""
        o = record.outcome
        return self.run_dollars(0, 0, 0) if o is None else self.run_dollars(o.tokens, o.prompt_tokens, o.completion_tokens)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: each model with its price per million tokens (``null`` = unknown)."""
        out: dict[str, Any] = {"optimizer": _priced(self.optimizer_model, self.optimizer)}
        if self.executor_model is not None:
            out["executor"] = _priced(self.executor_model, self.executor)
        return out


def executor_endpoint(template: RunTemplate) -> Endpoint | None:
    """The executor LLM's endpoint a prompt task's options carry (``None`` for other tasks)."""
    executor = template.task_options.get("executor")
    if executor is None:
        return None
    return executor if isinstance(executor, Endpoint) else Endpoint.model_validate(executor)


def spend(records: Iterable[RunRecord], prices: StudyPrices, knobs: Iterable[str]) -> dict[str, Any]:
    """Dollars spent in total and per setting of the ``knobs`` searched (``null`` when the optimizer has no price).

    ``tokens`` are every token of the runs, ``prompt_tokens`` and ``completion_tokens`` the optimizer's.
    """
    per: dict[tuple, dict[str, Any]] = {}
    knobs = set(knobs)
    counts = ("tokens", "prompt_tokens", "completion_tokens")
    for record in records:
        settings = {k: v for k, v in record.settings.items() if k in knobs}
        row = per.setdefault(tuple(sorted(settings.items())), {"settings": settings, "runs": 0, **dict.fromkeys(counts, 0)})
        row["runs"] += 1
        for count in counts:
            row[count] += 0 if record.outcome is None else getattr(record.outcome, count)
    for row in per.values():
        row["dollars"] = prices.run_dollars(*(row[c] for c in counts))
    rows = list(per.values())
    dollars = [r["dollars"] for r in rows]
    return {"dollars": None if None in dollars else sum(dollars), "per_setting": rows, "prices": prices.to_dict()}


def _priced(model: str, price: Price | None) -> dict[str, Any]:
    return {"model": model, **(price.to_dict() if price else {"prompt_per_million": None, "completion_per_million": None, "source": None})}
