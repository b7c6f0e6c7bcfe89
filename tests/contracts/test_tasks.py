"""Every registered task family passes ``TaskContract``: csv, mlpipeline, atari, bbeh, prompt and the test plug-ins.

One representative variant per family runs the whole suite (rollouts cost seconds); every
declared variant of the built-in families is checked for ``describe`` agreeing with the task.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tests.service.slow_task  # noqa: F401 - registers slowtoy:linear
from autoloop.tasks import Task, get_task, task_families, task_options
from autoloop.tasks.bbeh import load_examples, task_dir
from autoloop.tasks.prompt._cache import ENV_CACHE_DIR
from autoloop.tasks.prompt._executor import ENV_BASE_URL, ENV_MODEL
from autoloop.testing.tasks import TaskCase, TaskContract, check_describe_agrees
from tests.conftest import SHARED_DATA
from tests.fake_openai import FakeOpenAI, Reply

BBEH_VARIANT = "boolean_expressions"
EXECUTOR_MODEL = "executor-model"
# Task options per task: short Atari evaluations keep the suite fast.
OPTIONS: dict[str, dict[str, Any]] = {"atari:Pong": {"protocol": "1x50"}}
# Task options a caller gives (``--target``), checked against the data as the CLI checks them.
CSV_TASK = "csv:spaceship_titanic_train"
GIVEN: dict[str, dict[str, Any]] = {CSV_TASK: {"target": "Transported"}}


def build(name: str, *, data_dir: Path | None = None, options: dict[str, Any] | None = None, env: dict[str, str] | None = None) -> Task:
    """The one place these tests build a task: options resolved as the CLI resolves them (from
    ``env`` and the given ones, at the edge), overridden by ``options``."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in (env or {}).items():
            mp.setenv(key, value)
        resolved = task_options(name, GIVEN.get(name), data=data_dir)
        return get_task(name, data_dir=data_dir, options={**resolved, **(options or {})})


class BBEHExecutor:
    """A fake executor endpoint: answers every question of the dataset, fails loudly on anything else."""

    def __init__(self) -> None:
        self.questions = {ex.input for ex in load_examples(task_dir(BBEH_VARIANT, SHARED_DATA))}
        self.server = FakeOpenAI(self.handle)

    def handle(self, body: dict) -> Reply:
        assert body["model"] == EXECUTOR_MODEL, body["model"]
        _system, user = body["messages"]
        assert user["content"] in self.questions, "a question that is not in the data"
        return Reply.text("Let me think.\nAnswer: True")


@pytest.fixture(scope="module")
def bbeh_env() -> Iterator[dict[str, str]]:
    executor = BBEHExecutor()
    with tempfile.TemporaryDirectory(prefix="al-cache-") as cache:
        yield {ENV_BASE_URL: executor.server.base_url, ENV_MODEL: EXECUTOR_MODEL, ENV_CACHE_DIR: cache}
    executor.server.close()


@pytest.fixture(scope="module")
def prompt_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The BBEH questions as a prompt dataset (a JSONL file), so the fake executor knows every one."""
    path = tmp_path_factory.mktemp("prompt") / f"{BBEH_VARIANT}.jsonl"
    examples = load_examples(task_dir(BBEH_VARIANT, SHARED_DATA))
    path.write_text("".join(json.dumps({"input": ex.input, "target": ex.target}) + "\n" for ex in examples))
    return path


@pytest.fixture(
    scope="module",
    params=[
        "toy:linear",
        "slowtoy:linear",
        pytest.param("mlpipeline:spaceship-titanic", marks=pytest.mark.integration),
        pytest.param(CSV_TASK, marks=pytest.mark.integration),
        pytest.param("atari:Pong", marks=pytest.mark.integration),
        pytest.param(f"bbeh:{BBEH_VARIANT}", marks=pytest.mark.integration),
        pytest.param(f"prompt:{BBEH_VARIANT}", marks=pytest.mark.integration),
    ],
)
def task_case(request: pytest.FixtureRequest) -> TaskCase:
    name = request.param
    family = name.partition(":")[0]
    data_dir = {"mlpipeline": SHARED_DATA, "bbeh": SHARED_DATA, "csv": SHARED_DATA / "mlagentbench"}.get(family)
    if family == "prompt":
        data_dir = request.getfixturevalue("prompt_data")
    env = request.getfixturevalue("bbeh_env") if family in ("bbeh", "prompt") else None
    given = task_options(name, GIVEN[name], data=data_dir) if name in GIVEN else None
    return TaskCase(name, lambda: build(name, data_dir=data_dir, options=OPTIONS.get(name), env=env), options=given)


class TestTasks(TaskContract):
    pass


@pytest.mark.parametrize("family", ["mlpipeline", "atari", "bbeh"])
def test_every_declared_variant_is_described_as_built(family: str, bbeh_env: dict[str, str]) -> None:
    for variant in task_families()[family].variants:
        name = f"{family}:{variant}"
        task = build(name, data_dir=SHARED_DATA, env=bbeh_env)
        try:
            check_describe_agrees(name, task)
        finally:
            task.close()
