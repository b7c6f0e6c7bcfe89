"""What a study says at its edges: one setting, a task at its ceiling, the pick in the Optuna study, sorted rankings."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest

from autoloop.cli import main
from autoloop.tasks import Metric, TaskFamily, TaskInfo, register_task
from autoloop.trace import Step, Trace
from tests.controller.conftest import CountingToyTask  # noqa: F401 - registers counting:linear
from tests.toy_task import ToyTask

TINY = ["--optimizer", "local", "--jobs", "0", "--iterations", "2"]


class FlatTask(ToyTask):
    """Accuracy 1.0 on every instance whatever the candidate: a task at its ceiling."""

    name = "flat:linear"
    metric = Metric("accuracy")

    def rollout(self, artifact, instance, horizon):
        self.rollout_log.append(instance)
        return Trace(instance.id, instance.split, (Step(str(instance.data), "ok", reward=1.0),), 1.0, feedback="right")


register_task(TaskFamily("flat", ("linear",), lambda variant, data_dir, options: FlatTask(), lambda variant: TaskInfo.of(FlatTask)))


def _tune(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main(["tune", *argv, *TINY, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_one_setting_space_is_measured_not_refused(capsys: pytest.CaptureFixture[str]) -> None:
    data = _tune(capsys, "toy:linear", "--space", "batch_size=2", "--budget-iterations", "6")
    assert data["settings"]["batch_size"] == 2 and data["validation"]["n"] == 3
    assert "only setting searched" in data["verdict"]["text"] and data["stop_reason"] == "iterations"


def test_a_task_at_its_ceiling_gets_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    data = _tune(capsys, "flat:linear", "--budget-iterations", "8")
    assert len(data["warnings"]) == 1 and "accuracy 1 on validation" in data["warnings"][0]
    assert "cannot tell the settings apart" in data["warnings"][0]


def test_no_warning_when_scores_move(capsys: pytest.CaptureFixture[str]) -> None:
    assert _tune(capsys, "toy:linear", "--budget-iterations", "8")["warnings"] == []


def test_the_pick_is_marked_in_the_optuna_study(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    data = _tune(capsys, "toy:linear", "--budget-iterations", "12", "--storage", storage, "--study-name", "s")
    pick = optuna.load_study(study_name="s", storage=storage).user_attrs["pick"]
    assert pick["settings"] == {k: data["settings"][k] for k in pick["settings"]}
    assert isinstance(pick["trial"], int) and pick["why"].startswith("autoloop's pick: ")


def test_runners_up_are_sorted_by_the_validation_they_show(capsys: pytest.CaptureFixture[str]) -> None:
    data = _tune(capsys, "counting:linear", "--budget-iterations", "40", "--strategy", "grid", "--top-k", "3", "--final-seeds", "2")
    shown = [r["validation"]["mean"] for r in data["runners_up"]]
    assert len(shown) == 2 and shown == sorted(shown)  # abs_error, lower is better: best first is ascending
