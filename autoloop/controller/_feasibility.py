"""Which settings of a space can run at all: the LLM's context window against batch × horizon."""

from __future__ import annotations

from typing import Any

from autoloop.controller._space import SearchSpace, key_of
from autoloop.executors import RunTemplate
from autoloop.optimizers import smallest_prompt_tokens


def prompt_feasibility(space: SearchSpace, template: RunTemplate) -> SearchSpace:
    """``space`` without the settings whose smallest prompt cannot fit the endpoint's context window.

    Only the ``llm`` optimizer with a known ``context_window`` is constrained: the smallest
    prompt of a setting (``smallest_prompt_tokens``: ``batch_size`` runs of ``credit_horizon``
    steps at their floor, with no artifact, background or memory) plus ``max_tokens`` must fit.

    Raises:
        ConfigError: No setting of the space fits; the message gives each reason.
    """
    endpoint = template.endpoint
    window = endpoint.context_window
    if template.optimizer != "llm" or window is None:
        return space
    infeasible: dict[tuple[tuple[str, Any], ...], str] = {}
    for settings in space.grid():
        batch, horizon = settings.get("batch_size", 1), settings.get("credit_horizon", 1)
        needed = smallest_prompt_tokens(batch, horizon, endpoint.answer_format)
        if needed + endpoint.max_tokens > window:
            infeasible[key_of(settings)] = (
                f"infeasible: batch_size {batch} x credit_horizon {horizon} needs a prompt of at least {needed} tokens, "
                f"plus max_tokens {endpoint.max_tokens} for the reply, over the {window}-token context window of "
                f"model {endpoint.model!r}; not run"
            )
    return space.without(infeasible) if infeasible else space
