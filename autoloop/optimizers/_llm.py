"""The ``llm`` optimizer: OptoPrime-style JSON updates of named parameters from any OpenAI-compatible server.

Each update shows the model the editable parameters (read-only parts marked), the evidence
of the batch, the task background and the memory of past attempts, and asks for
``{"reasoning": ..., "updates": {name: new_text}}``. A reply that is not such an object, or
that names unknown or read-only parameters, or (for Python artifacts) is not valid Python
defining the same functions, is shown back to the model with the reason, up to
``LLMConfig.max_parse_retries`` times; then ``OptimizerError``. Transport failures (429, 5xx,
timeouts) are retried by ``ChatClient`` with bounded backoff.
"""

from __future__ import annotations

import ast
import json
import logging
import re
from collections.abc import Mapping
from typing import Any

from autoloop.artifact import Artifact
from autoloop.context import LearningContext
from autoloop.errors import ConfigError, OptimizerError
from autoloop.llm import ChatClient, LLMConfig
from autoloop.optimizers._base import Optimizer
from autoloop.optimizers._prompt import DEFAULT_EVIDENCE_TOKENS, build_messages, clip, retry_message, update_schema
from autoloop.optimizers._registry import register_optimizer

logger = logging.getLogger(__name__)

FENCE = re.compile(r"```(?:json|JSON)?\s*\n(.*?)```", re.DOTALL)
MAX_REPLY_ECHO = 200


class LLMOptimizer(Optimizer):
    """Asks an LLM for JSON updates of the artifact's editable parameters.

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
        artifact = context.artifact
        messages = build_messages(context, evidence_tokens=self.evidence_tokens)
        schema = update_schema(artifact)
        replies = self.client.config.max_parse_retries + 1
        problem = ""
        for _ in range(replies):
            reply = self.client.complete(messages, json_schema=schema)
            self.usage.add(calls=1, prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens)
            try:
                reasoning, updates = parse_reply(reply.content, artifact)
                revised = artifact.with_updates(updates)
            # The model's answer was unusable: show it the reason and ask again.
            except (ValueError, ConfigError) as exc:
                problem = str(exc)
                logger.info("iteration %d: unusable LLM reply (%s)", context.iteration, problem)
                messages = [*messages, {"role": "assistant", "content": reply.content}, retry_message(problem)]
                continue
            self.last_reasoning = reasoning
            logger.debug("iteration %d: updated %s: %s", context.iteration, sorted(updates), reasoning)
            return revised
        raise OptimizerError(
            f"the LLM at {self.client.endpoint} gave no usable update in {replies} replies; last problem: {problem}. "
            "Try a stronger model, or raise max_parse_retries"
        )


def parse_reply(text: str, artifact: Artifact) -> tuple[str, dict[str, str]]:
    """The reasoning and the validated updates in a reply.

    Raises:
        ValueError: No JSON object with an ``updates`` object; a name is unknown or
            read-only; a Python update does not parse or drops a function it must define.
    """
    data = extract_json_object(text)
    updates = data.get("updates")
    if not isinstance(updates, Mapping):
        raise ValueError(f'the JSON object needs an "updates" object mapping parameter names to text; got keys {sorted(data)}')
    clean: dict[str, str] = {}
    for name, value in updates.items():
        if value is None:
            continue
        if name not in artifact.parameters:
            raise ValueError(f"unknown parameter {name!r}; the editable parameters are {sorted(artifact.editable)}")
        if name not in artifact.editable:
            raise ValueError(f"parameter {name!r} is read-only; the editable parameters are {sorted(artifact.editable)}")
        if not isinstance(value, str):
            raise ValueError(f"the update of {name!r} must be a string of its complete new text, got {type(value).__name__}")
        if artifact.kind == "python":
            _check_python(name, value, artifact.parameters[name])
        clean[name] = value
    return str(data.get("reasoning", "")), clean


def extract_json_object(text: str) -> dict[str, Any]:
    """The first JSON object in ``text``: inside a fenced block if there is one, else anywhere.

    Raises:
        ValueError: No JSON object could be decoded.
    """
    decoder = json.JSONDecoder()
    for candidate in [*FENCE.findall(text), text]:
        for start in (i for i, ch in enumerate(candidate) if ch == "{"):
            try:
                value, _ = decoder.raw_decode(candidate, start)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    raise ValueError(f"no JSON object found in the reply (it began: {clip(text.strip(), MAX_REPLY_ECHO)!r})")


def _check_python(name: str, new: str, old: str) -> None:
    try:
        tree = ast.parse(new)
    except SyntaxError as exc:
        raise ValueError(f"the update of {name!r} is not valid Python: {exc.msg} (line {exc.lineno})") from None
    try:
        required = _function_names(ast.parse(old))
    except SyntaxError:
        required = set()  # the current text is not parseable on its own: nothing to hold the update to
    missing = required - _function_names(tree)
    if missing:
        raise ValueError(f"the update of {name!r} must still define function(s) {sorted(missing)} with the same signature")


def _function_names(tree: ast.Module) -> set[str]:
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def _create(llm: LLMConfig, seed: int) -> LLMOptimizer:
    del seed  # sampling randomness belongs to the server; temperature controls it
    return LLMOptimizer(llm)


register_optimizer("llm", _create)
