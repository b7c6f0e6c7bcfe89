"""The context window as a constraint on the ``llm`` optimizer's prompt.

The whole prompt is budgeted against ``context_window - max_tokens``: the editable and
read-only parameters, the task background, the instructions and the answer format are never
cut; the evidence is cut first (steps halved, fields clipped), down to its floor; then the
memory of past attempts, oldest first. A prompt that still does not fit is a
``ContextLengthError`` before any request is sent: the loop skips that update with the reason.

The floor of the evidence is what an update needs to credit its batch: every run keeps
``MIN_RUN_TOKENS`` (its header, score and clipped feedback) and every step of its credit
horizon ``MIN_STEP_TOKENS``. A loop setting whose smallest prompt (the empty templates plus
the floor for ``batch_size`` runs of ``credit_horizon`` steps) cannot fit the window is
infeasible before any run: ``smallest_prompt_tokens`` is what the controller checks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from autoloop.context import LearningContext
from autoloop.errors import ContextLengthError
from autoloop.llm import AnswerFormat
from autoloop.optimizers._prompt import CHARS_PER_TOKEN, DEFAULT_EVIDENCE_TOKENS, compose, evidence_text, skeleton

MIN_RUN_TOKENS = 48  # a run's header, score and feedback, clipped
MIN_STEP_TOKENS = 8  # one step of the credit horizon, clipped to about a line
MESSAGE_TOKENS = 4  # the chat template's tokens around each message
# chars / 4 undercounts code and non-English text somewhat: a fitted prompt keeps this much room.
ESTIMATE_MARGIN = 1.1


def estimate_tokens(messages: Sequence[dict[str, str]]) -> int:
    """Tokens ``messages`` take, estimated at ``CHARS_PER_TOKEN`` characters a token."""
    return sum(math.ceil(len(m["content"]) / CHARS_PER_TOKEN) + MESSAGE_TOKENS for m in messages)


def evidence_floor(runs: int, steps: int) -> int:
    """Tokens the evidence of ``runs`` runs holding ``steps`` steps in all cannot be cut below."""
    return runs * MIN_RUN_TOKENS + steps * MIN_STEP_TOKENS


def smallest_prompt_tokens(batch_size: int, credit_horizon: int, answer_format: AnswerFormat = "json") -> int:
    """A lower bound on the prompt of any update with ``batch_size`` runs of ``credit_horizon`` steps.

    The empty templates plus the evidence floor: the artifact, background and memory only add to it.
    """
    return estimate_tokens(skeleton(answer_format)) + evidence_floor(batch_size, batch_size * credit_horizon)


def fit_messages(
    context: LearningContext,
    *,
    prompt_tokens: int,
    evidence_tokens: int = DEFAULT_EVIDENCE_TOKENS,
    answer_format: AnswerFormat = "json",
) -> list[dict[str, str]]:
    """The messages of one update, fitted to ``prompt_tokens`` (the window less ``max_tokens``).

    Args:
        context: The artifact, the batch of traces, the background and the memory.
        prompt_tokens: Tokens the prompt may take.
        evidence_tokens: The evidence's own budget when the window leaves more room.
        answer_format: ``json`` or ``fenced``.

    Raises:
        ContextLengthError: The parameters, instructions and the evidence floor do not fit
            even without memory; the message gives the numbers and what to change.
    """
    usable = int(prompt_tokens / ESTIMATE_MARGIN)
    floor = evidence_floor(len(context.traces), sum(len(t.steps) for t in context.traces))
    memory = list(context.memory)
    while True:
        left_out = len(context.memory) - len(memory)
        fixed = estimate_tokens(compose(context, answer_format, evidence="", memory=memory, memory_left_out=left_out))
        room = usable - fixed
        if room >= floor:
            evidence = evidence_text(context.traces, min(evidence_tokens, room))
            return compose(context, answer_format, evidence=evidence, memory=memory, memory_left_out=left_out)
        if not memory:
            raise ContextLengthError(
                f"the prompt does not fit: the parameters and instructions take about {fixed} tokens and the evidence of "
                f"{len(context.traces)} run(s) at least {floor}, but {prompt_tokens} tokens are left by the context window "
                f"once max_tokens is reserved (with a {ESTIMATE_MARGIN:g}x margin for the estimate); lower the batch size "
                "or credit horizon, lower max_tokens, or use a model with a larger context window"
            )
        memory.pop(0)
