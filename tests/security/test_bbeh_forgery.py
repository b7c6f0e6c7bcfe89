"""Prompt tasks (BBEH and ``prompt:``): ``extract_answer`` runs confined and never sees the target it is scored against.

Each task builds its own data set with targets no process holds by chance
(``secret-<hex>``); the executor LLM (a local fake) restates the question and answers
wrongly. The attacking ``extract_answer`` looks for a target anywhere it can reach and
returns it: a correct trace means the attack worked.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from autoloop.llm import LLMConfig
from autoloop.tasks.bbeh import BBEHTask, ExecutorLLM
from autoloop.tasks.prompt import PromptTask, load_dataset, split_examples
from tests.fake_openai import FakeOpenAI, Reply

pytestmark = pytest.mark.integration

VARIANT = "forgery_check"
MODEL = "executor-model"

IN_MEMORY = '''
import gc
import os
import sys


def extract_answer(response):
    seen = []
    for obj in gc.get_objects():
        seen.append(obj)
    frame = sys._getframe()
    while frame is not None:
        seen += [dict(frame.f_locals), dict(frame.f_globals)]
        frame = frame.f_back
    seen += [dict(vars(m)) for m in list(sys.modules.values()) if hasattr(m, "__dict__")]
    seen.append(dict(os.environ))
    for value in seen:
        items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else [value]
        for item in list(items)[:1000]:
            if isinstance(item, str) and "secret-" in item:
                return item[item.index("secret-"):][:39]
            target = getattr(item, "target", None)
            if isinstance(target, str):
                return target
    return "nothing found"
'''

ON_DISK = '''
import json
import os


def extract_answer(response):
    for folder, _, files in os.walk(DATA):
        for name in files:
            with open(os.path.join(folder, name)) as raw:
                text = raw.read()
            examples = json.loads(text)["examples"] if name == "task.json" else [json.loads(line) for line in text.splitlines()]
            for example in examples:
                if example["input"] in response:
                    return example["target"]
    return "nothing found"
'''


@pytest.fixture(params=["bbeh", "prompt"])
def task(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PromptTask]:
    examples = [{"input": f"Question {i}: what is the code?", "target": f"secret-{secrets.token_hex(16)}"} for i in range(30)]
    folder = tmp_path / "data" / f"bbeh_{VARIANT}"
    folder.mkdir(parents=True)
    if request.param == "bbeh":
        (folder / "task.json").write_text(json.dumps({"examples": examples}))
    else:
        (folder / "qa.jsonl").write_text("".join(json.dumps(ex) + "\n" for ex in examples))
    # The executor restates the question (as models do) and answers wrongly.
    with FakeOpenAI(lambda body: Reply.text(f"{body['messages'][-1]['content']}\nAnswer: unknown")) as server:
        executor = ExecutorLLM(LLMConfig(model=MODEL, base_url=server.base_url, temperature=0.0), concurrency=2, cache_dir=tmp_path / "cache")
        if request.param == "bbeh":
            built: PromptTask = BBEHTask(VARIANT, tmp_path / "data", executor=executor)
        else:
            built = PromptTask(f"prompt:{VARIANT}", split_examples(load_dataset(folder / "qa.jsonl")), executor=executor)
        yield built
        built.close()


def _attack(task: PromptTask, extract_answer: str) -> None:
    artifact = task.starting_artifact("default").with_updates({"extract_answer": extract_answer})
    batch = task.split("train")[:3]
    traces = task.rollouts(artifact, batch, 1)
    assert all(t.error is None for t in traces), [t.error for t in traces]
    for trace, instance in zip(traces, batch, strict=True):
        assert trace.score == 0.0, "extract_answer found the target"
        assert instance.data.target not in trace.steps[0].feedback.partition("The expected answer is")[0]
    honest = task.rollouts(task.starting_artifact("default"), batch, 1)
    assert all(t.error is None and t.score == 0.0 for t in honest)  # the loop goes on


def test_extract_answer_finds_no_target_in_its_memory(task: PromptTask) -> None:
    """gc, frames, every module's globals and the environment of the confined child."""
    _attack(task, IN_MEMORY)


def test_extract_answer_cannot_read_the_targets_from_the_data_files(task: PromptTask, tmp_path: Path) -> None:
    _attack(task, ON_DISK.replace("DATA", repr(str(tmp_path / "data"))))
