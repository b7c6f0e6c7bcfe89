"""Both LLMs of a prompt-optimization loop, scripted on one local OpenAI-compatible server.

Requests are told apart by model name. The optimizer always proposes ``careful_prompt``. The
executor answers the dataset's questions (any other question fails the test with a KeyError):
correctly for even-numbered questions, with ``wrong`` for odd ones, and correctly for all once
the system prompt contains ``CAREFUL``, which the scripted optimizer writes in its first update.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tests.fake_openai import FakeOpenAI, Reply

EXECUTOR_MODEL = "executor-model"
OPTIMIZER_MODEL = "optimizer-model"
WRONG = "unknown"


class ScriptedPromptLLM:
    """The server and its script.

    Args:
        examples: ``(question, target)`` pairs, in the dataset's order.
        careful_prompt: The ``prompt`` function source the optimizer proposes.
        reply: Words the executor's reply from its system prompt and the answer it gives.
    """

    def __init__(self, examples: Iterable[tuple[str, str]], careful_prompt: str, reply: Callable[[str, str], str]) -> None:
        self.answers = {question: (index, target) for index, (question, target) in enumerate(examples)}
        self.careful_prompt, self.reply = careful_prompt, reply
        self.server = FakeOpenAI(self.handle)

    def handle(self, body: dict) -> Reply:
        messages = body["messages"]
        if body["model"] == OPTIMIZER_MODEL:
            assert "# Evidence" in messages[-1]["content"], "optimizer request without evidence"
            return Reply.json({"reasoning": "be careful", "updates": {"prompt": self.careful_prompt, "extract_answer": None}})
        assert body["model"] == EXECUTOR_MODEL, f"unexpected model {body['model']!r}"
        system, user = messages
        index, target = self.answers[user["content"]]  # KeyError = a question not in the data: fails loudly
        answer = target if "CAREFUL" in system["content"] or index % 2 == 0 else WRONG
        return Reply.text(self.reply(system["content"], answer))

    def requests(self, model: str) -> list[dict]:
        """The requests sent for ``model``, in order."""
        return [r for r in self.server.requests if r["model"] == model]

    def close(self) -> None:
        self.server.close()
