"""Every registered optimizer passes ``OptimizerContract`` on the toy task: ``local`` offline,
``llm`` against a real OpenAI-compatible server on loopback (a scripted reply)."""

from __future__ import annotations

import pytest

from autoloop.artifact import Artifact
from autoloop.context import LearningContext, build_context
from autoloop.llm import LLMConfig
from autoloop.optimizers import optimizer_names
from autoloop.policies import artifact_from_python
from autoloop.testing.optimizers import OptimizerCase, OptimizerContract
from autoloop.trace import Trace
from tests.fake_openai import Reply, fake_openai  # noqa: F401 - fixture
from tests.toy_task import POLICY


def _context(artifact: Artifact, iteration: int) -> LearningContext:
    return build_context(artifact, [Trace("train-1", "train", (), -abs(iteration - 3.0))], horizon=1, background="", iteration=iteration)


def _reply(request: dict) -> Reply:
    del request
    return Reply.json({"reasoning": "fit the target", "updates": {"guess": "def guess(x):\n    return 3 * x + 7\n"}})


class TestEveryOptimizer(OptimizerContract):
    @pytest.fixture(params=optimizer_names())
    def optimizer_case(self, request: pytest.FixtureRequest, fake_openai) -> OptimizerCase:
        llm = LLMConfig()
        if request.param == "llm":
            server = fake_openai(_reply)
            llm = LLMConfig(base_url=server.base_url, api_key="sk-test", model="fake", timeout_s=5.0, max_retries=0)
        return OptimizerCase(request.param, contexts=_context, start=artifact_from_python("start", POLICY), llm=llm)


def test_every_optimizer_is_checked():
    assert {"local", "llm"} <= set(optimizer_names())
