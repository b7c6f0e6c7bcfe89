"""Every command loads plug-ins the same way; ``--json`` means JSON errors and no progress off a terminal;
``autoloop tasks`` imports nothing heavy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autoloop.cli import main
from autoloop.errors import ConfigError
from autoloop.service import OperatorSettings
from autoloop.service._admission import admit
from autoloop.service._models import StudyCreate

ROOT = Path(__file__).resolve().parents[2]
# Imported lazily by the commands that need them, never by `autoloop tasks`.
HEAVY = ("sklearn", "pandas", "openai", "optuna", "fastapi", "uvicorn", "ale_py", "gymnasium", "redis", "rq", "httpx")


def _autoloop(*argv: str, plugins: str = "") -> subprocess.CompletedProcess[str]:
    """``autoloop`` in a fresh process whose environment names ``plugins`` (and nothing from this test run)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AUTOLOOP_PLUGINS": plugins}
    code = "import sys; from autoloop.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, env=env, timeout=120, check=False)


def test_tasks_imports_no_heavy_package():
    code = "import sys; from autoloop.cli import main; main(['tasks']); print(sorted(m for m in sys.argv[1:] if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code, *HEAVY], capture_output=True, text=True, check=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT), "AUTOLOOP_PLUGINS": ""},
    ).stdout
    assert out.splitlines()[-1] == "[]"


@pytest.mark.parametrize("argv", [["tasks", "--json"], ["run", "slowtoy:linear", "--iterations", "1", "--json"]])
def test_autoloop_plugins_register_tasks_for_every_command(argv):
    done = _autoloop(*argv, plugins="tests.service.slow_task")
    assert done.returncode == 0, done.stderr
    assert "slowtoy:linear" in done.stdout


def test_a_plugin_module_that_does_not_import_says_how_to_fix_it():
    done = _autoloop("tasks", plugins="no_such_plugin_module")
    assert done.returncode == 2
    assert "plug-in module 'no_such_plugin_module' from AUTOLOOP_PLUGINS cannot be imported" in done.stderr
    assert "--plugin" not in done.stderr


def test_json_errors_are_json_on_stdout_with_a_nonzero_exit():
    done = _autoloop("run", "toy:nope", "--json")
    assert done.returncode == 2
    error = json.loads(done.stdout)["error"]
    assert error["type"] == "UnknownNameError" and "unknown task 'toy:nope'" in error["message"]


def test_json_runs_show_no_progress_off_a_terminal():
    done = _autoloop("run", "slowtoy:linear", "--iterations", "3", "--json", plugins="tests.service.slow_task")
    assert done.returncode == 0
    assert json.loads(done.stdout)["iterations"] == 3
    assert done.stderr == ""


def test_a_task_unknown_to_the_service_says_to_restart_it_with_the_plugin():
    with pytest.raises(ConfigError, match=r"^task: this service knows no such task; .* install the plug-in's package .* then restart them"):
        admit(StudyCreate(task="mine:small"), OperatorSettings.from_env({}))


def test_usage_errors_are_json_too_under_json(capsys):
    assert main(["tune", "toy:linear", "--iterations", "x", "--json"]) == 2
    error = json.loads(capsys.readouterr().out)["error"]
    assert error == {"type": "UsageError", "message": "autoloop tune: argument --iterations: invalid int value: 'x'"}


def test_usage_errors_without_json_read_as_argparse_writes_them(capsys):
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: autoloop run") and err.endswith("autoloop run: error: the following arguments are required: TASK\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--artifact", "nope"], "--artifact: mlpipeline:house-prices has no starting artifact of that name; choose one of"),
        (["--batch-size", "0"], "--batch-size 0 is not declared by mlpipeline:house-prices; choose one of 1, 3, 5"),
    ],
)
def test_run_checks_its_arguments_before_building_the_task(tmp_path, capsys, argv, message):
    # The data folder is empty: building the task would fail on the missing CSV instead.
    assert main(["run", "mlpipeline:house-prices", "--data", str(tmp_path), *argv]) == 2
    assert message in capsys.readouterr().err
