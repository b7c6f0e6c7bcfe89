"""The ``llm`` optimizer: OptoPrime-style updates of named parameters from any OpenAI-compatible server.

Each update shows the model the editable parameters (read-only parts marked), the evidence
of the batch, the task background and the memory of past attempts (fitted to the model's
context window when it is known: see ``_llm_window``), and asks for the
endpoint's answer format: ``{"reasoning": ..., "updates": {name: new_text}}`` (``json``) or
reasoning as text and one fenced block per changed parameter (``fenced``). A reply in
neither format, or that names unknown or read-only parameters, or (for Python artifacts) is
not valid Python defining the same functions, is shown back to the model with the exact
problem, up to ``LLMConfig.max_parse_retries`` times; then ``SkippedUpdateError``, which the
loop records as a skipped update. Transport failures (429, 5xx, timeouts) are retried by
``ChatClient`` with bounded backoff and end as ``OptimizerError`` (an infrastructure failure).
"""

from __future__ import annotations

import logging

from autoloop.artifact import Artifact
from autoloop.context import LearningContext
from autoloop.errors import ConfigError, SkippedUpdateError
from autoloop.llm import ChatClient, LLMConfig
from autoloop.optimizer import Optimizer
from autoloop.optimizers._llm_window import fit_messages
from autoloop.optimizers._prompt import DEFAULT_EVIDENCE_TOKENS, build_messages, retry_message, update_schema
from autoloop.optimizers._registry import register_optimizer
from autoloop.optimizers._reply import parse_reply

logger = logging.getLogger(__name__)


class LLMOptimizer(Optimizer):
    """Asks an LLM for updates of the artifact's editable parameters, in the endpoint's answer format.

    Args:
        llm: The endpoint (model, base URL, key, timeout, retry counts).
        evidence_tokens: Approximate token budget for the evidence section of the prompt.
        backoff_s: First delay between transport retries (doubles each retry).
        max_backoff_s: Cap on any single retry delay, ``Retry-After`` included.

    Raises:
        ConfigError: ``llm`` names no endpoint.

    Example:
        >>> optimizer = LLMOptimizer(LLMConfig(base_url="http://127.0.0.1:8000/v1", model="qwen"))
        >>> revised = optimizer.propose(context)  # doctest: +SKIP
    """

    name = "llm"

    def __init__(
        self,
        llm: LLMConfig,
        *,
        evidence_tokens: int = DEFAULT_EVIDENCE_TOKENS,
        backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
    ) -> None:
        super().__init__()
        if evidence_tokens < 100:
            raise ConfigError(f"evidence_tokens must be >= 100, got {evidence_tokens=}")
        self.client = ChatClient(llm.require("the llm optimizer"), backoff_s=backoff_s, max_backoff_s=max_backoff_s)
        self.evidence_tokens = evidence_tokens
        self.last_reasoning = ""

    def propose(self, context: LearningContext) -> Artifact:
        """The revised artifact.

        Raises:
            SkippedUpdateError: No reply was usable, or the prompt does not fit the model's
                context (``ContextLengthError``: with ``context_window`` known, before any
                request); the loop skips this update.
            OptimizerError: The endpoint failed (an infrastructure failure).
        """
        artifact = context.artifact
        answer_format = self.client.config.answer_format
        messages = self._messages(context)
        schema = update_schema(artifact) if answer_format == "json" else None
        replies = self.client.config.max_parse_retries + 1
        problem = ""
        for _ in range(replies):
            reply = self.client.complete(messages, json_schema=schema)
            self.usage.add(calls=1, prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens)
            try:
                reasoning, updates = parse_reply(reply.content, artifact, expected=answer_format)
                revised = artifact.with_updates(updates)
            # The model's answer was unusable: show it the reason and ask again.
            except (ValueError, ConfigError) as exc:
                problem = str(exc)
                if reply.truncated:
                    problem = f"the reply was cut off at max_tokens={self.client.config.max_tokens}; {problem}"
                logger.info("iteration %d: unusable LLM reply (%s)", context.iteration, problem)
                messages = [*messages, {"role": "assistant", "content": reply.content}, retry_message(problem, answer_format)]
                continue
            self.last_reasoning = reasoning
            logger.debug("iteration %d: updated %s: %s", context.iteration, sorted(updates), reasoning)
            return revised
        raise SkippedUpdateError(
            f"the LLM at {self.client.endpoint} gave no usable update in {replies} replies; last problem: {problem}"
        )

    def _messages(self, context: LearningContext) -> list[dict[str, str]]:
        """The update's prompt, fitted to the model's context window when it is known."""
        config = self.client.config
        if config.context_window is None:
            return build_messages(context, evidence_tokens=self.evidence_tokens, answer_format=config.answer_format)
        return fit_messages(
            context, prompt_tokens=config.context_window - config.max_tokens, evidence_tokens=self.evidence_tokens,
            answer_format=config.answer_format,
        )


def _create(llm: LLMConfig, seed: int) -> LLMOptimizer:
    del seed  # sampling randomness belongs to the server; temperature controls it
    return LLMOptimizer(llm)


register_optimizer("llm", _create)
