"""Optuna's own tools read a service study: one trial per setting, its per-seed values as user attributes."""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend

from autoloop.cli import main
from autoloop.controller import Budget, Controller, SearchSpace, StudyPlan
from autoloop.executors import LocalExecutor
from autoloop.redisdb import EmbeddedRedis
from autoloop.service import study_storage
from autoloop.tasks import TaskInfo
from tests.controller.conftest import CountingToyTask
from tests.toy_task import local_template

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmbeddedRedis]:
    monkeypatch.delenv("REDIS_URL", raising=False)  # the export reads the embedded server's own URL file
    with tempfile.TemporaryDirectory(prefix="al-") as home, EmbeddedRedis(Path(home)) as s:
        yield s


def test_an_exported_study_has_one_trial_per_setting_with_its_seed_values(server: EmbeddedRedis, tmp_path: Path, capsys):
    space = SearchSpace.from_task(TaskInfo.of(CountingToyTask), "batch_size=1,2,4")
    with LocalExecutor(jobs=0) as executor:
        rec = Controller(
            local_template("counting:linear"), executor=executor, budget=Budget(iterations=60), space=space, plan=StudyPlan.resolve(iterations=3),
            storage=study_storage(server.url), study_name="s1",
        ).run()
    journal = tmp_path / "s1.journal"
    assert main(["optuna-export", "s1", "-o", str(journal), "--data-dir", str(server.data_dir)]) == 0
    assert f"optuna-dashboard {journal}" in capsys.readouterr().out
    study = optuna.load_study(study_name="s1", storage=JournalStorage(JournalFileBackend(str(journal))))
    trials = study.get_trials(states=[optuna.trial.TrialState.COMPLETE])
    assert sorted(t.params["batch_size"] for t in trials) == [1, 2, 4]  # one trial per setting
    for trial in trials:
        runs = [r for r in rec.runs if r.settings["batch_size"] == trial.params["batch_size"] and not r.stopped_by_study]
        # what the controller ranks by: each run's re-validation score (its best validation without one)
        assert trial.user_attrs["seed_values"] == {str(r.settings["seed"]): r.score for r in sorted(runs, key=lambda r: r.settings["seed"])}
        assert trial.value == pytest.approx(sum(trial.user_attrs["seed_values"].values()) / len(runs))
    assert main(["optuna-export", "s1", "-o", str(journal), "--data-dir", str(server.data_dir)]) == 2  # never overwrites


def test_optuna_dashboard_lists_the_exported_study(server: EmbeddedRedis, tmp_path: Path):
    dashboard = pytest.importorskip("optuna_dashboard", reason="pip install optuna-dashboard (the 'dashboard' extra)")
    optuna.create_study(study_name="s2", storage=study_storage(server.url)).enqueue_trial({"x": 1})
    journal = tmp_path / "s2.journal"
    assert main(["optuna-export", "s2", "-o", str(journal), "--data-dir", str(server.data_dir)]) == 0
    app = dashboard.wsgi(str(journal))  # what `optuna-dashboard FILE` serves
    status: list[str] = []
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": "/api/studies", "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "0",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": io.StringIO(),
    }
    body = b"".join(app(environ, lambda s, headers, exc_info=None: status.append(s)))
    assert status[0].startswith("200") and [s["study_name"] for s in json.loads(body)["study_summaries"]] == ["s2"]
