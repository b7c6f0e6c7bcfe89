"""Task names follow one pattern everywhere; starting artifacts load from files in any folder."""

from __future__ import annotations

import re

import pytest

from autoloop.artifact import Artifact
from autoloop.errors import ConfigError, UnknownNameError
from autoloop.policies import artifact_from_file, load_artifact
from autoloop.tasks import TASK_NAME_PATTERN, Task, TaskFamily, TaskInfo, register_task
from autoloop.trace import Instance, Split, Trace
from tests.toy_task import ToyTask


@pytest.mark.parametrize(("family", "variants"), [("Mine", ("a",)), ("my-task", ("a",)), ("mine", ("a b",)), ("", ("a",))])
def test_a_family_whose_task_names_break_the_pattern_is_refused(family, variants):
    with pytest.raises(ConfigError, match=re.escape(TASK_NAME_PATTERN)):
        register_task(TaskFamily(family, variants, lambda v, d, o: ToyTask(), lambda v: TaskInfo.of(ToyTask)))


def test_starting_artifacts_load_from_a_folder_anywhere(tmp_path):
    (tmp_path / "start.py").write_text('"""Context."""\nimport math\n\ndef f(x):\n    return math.sqrt(x)\n')
    (tmp_path / "ask.txt").write_text("Answer briefly.")
    code = load_artifact(tmp_path, "start")
    assert code.kind == "python" and code.editable == {"f"} and code.context == "Context." and "header" in code.parameters
    assert load_artifact(tmp_path, "ask").parameters == {"prompt": "Answer briefly."}
    with pytest.raises(UnknownNameError, match=r"no starting artifact 'nope' in .*; found \['ask', 'start'\]"):
        load_artifact(tmp_path, "nope")
    (tmp_path / "notes.md").write_text("x")
    with pytest.raises(ConfigError, match=re.escape("must be a .py module or a .txt prompt")):
        artifact_from_file(tmp_path / "notes.md")


def test_a_task_with_an_artifact_dir_loads_its_own_files(tmp_path):
    (tmp_path / "start.py").write_text("def guess(x):\n    return x\n")

    class FileTask(Task):
        name = "file:toy"
        artifact_dir = tmp_path
        artifacts = ("start", "missing")

        def split(self, name: Split) -> list[Instance]:
            return [Instance(f"{name}-0", name)]

        def rollout(self, artifact: Artifact, instance: Instance, horizon: int | None) -> Trace:
            return Trace(instance.id, instance.split, (), 0.0)

    assert FileTask().starting_artifact("start").parameters == {"guess": "def guess(x):\n    return x\n"}
    with pytest.raises(UnknownNameError, match="no starting artifact 'missing'"):
        FileTask().starting_artifact("missing")
