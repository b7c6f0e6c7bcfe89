"""The example plug-in, installed with pip into a fresh venv as ``docs/tasks.md`` says, works in every command.

The venv is new, but installing autoloop's dependencies from PyPI would take minutes, so it sees
the test run's site-packages through a ``.pth`` file (a plain path: that folder's own ``.pth``
files, among them the editable install of autoloop, stay unread). autoloop (from this
checkout) and the example are then real, non-editable installs:
``pip install --no-deps --no-build-isolation``. Nothing else is on ``PYTHONPATH``, so the task
can only come from the ``autoloop.tasks`` entry point of the installed example.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.conftest import Cluster

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "autoloop-curvefit"
TASK = "curvefit:quadratic"
# The smallest study that still searches: one seed per setting, one setting re-checked once.
TINY_STUDY = ["--iterations", "2", "--seeds", "1", "--top-k", "1", "--final-seeds", "1", "--optimizer", "local"]


class Venv:
    """A fresh virtual environment with autoloop and the example installed (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
        self.python = root / "bin" / "python"
        site = subprocess.run(
            [str(self.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], check=True, capture_output=True, text=True
        ).stdout.strip()
        Path(site, "outer-site-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        # Nothing from the test run: no PYTHONPATH, no plug-in modules, no data or service settings.
        drop = ("PYTHONPATH", "AUTOLOOP_PLUGINS", "AUTOLOOP_DATA", "AUTOLOOP_URL", "AUTOLOOP_TOKEN", "OPENAI_BASE_URL", "OPENAI_API_KEY")
        self.env = {k: v for k, v in os.environ.items() if k not in drop}
        self.env["AUTOLOOP_TASK_POOL"] = "1"

    def pip_install(self, *paths: Path) -> None:
        args = [sys.executable, "-m", "pip", "--python", str(self.python), "install", "-q", "--no-deps", "--no-build-isolation"]
        subprocess.run([*args, *map(str, paths)], check=True, env=self.env, cwd=self.root, capture_output=True, timeout=600)

    def autoloop(self, *argv: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """The installed ``autoloop`` console script, run from the venv's folder (not the repository)."""
        return subprocess.run(
            [str(self.root / "bin" / "autoloop"), *argv], env=self.env, cwd=self.root, capture_output=True, text=True, timeout=timeout, check=False
        )

    def json(self, *argv: str) -> object:
        done = self.autoloop(*argv, "--json")
        assert done.returncode == 0, f"autoloop {' '.join(argv)} exited {done.returncode}: {done.stdout[-2000:]} {done.stderr[-2000:]}"
        return json.loads(done.stdout)


class VenvCluster(Cluster):
    """``autoloop serve`` and ``autoloop worker`` from the venv, which knows the plug-in only through its entry point."""

    def __init__(self, home: Path, venv: Venv) -> None:
        super().__init__(home)
        self.venv = venv
        self.env = {**venv.env, "AUTOLOOP_HOME": str(home)}

    def _spawn(self, *args: str, log: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        with open(self.home / log, "ab") as out:
            return subprocess.Popen(
                [str(self.venv.root / "bin" / "autoloop"), *args], env=env or self.env, cwd=self.home, stdout=out, stderr=subprocess.STDOUT
            )


@pytest.fixture(scope="module")
def venv() -> Iterator[Venv]:
    root = Path(tempfile.mkdtemp(prefix="al-venv-"))
    try:
        env = Venv(root)
        # From copies: building writes egg-info and build/ next to the sources, which must not land in the checkout.
        skip = shutil.ignore_patterns("*.egg-info", "build", "__pycache__")
        autoloop = root / "src" / "autoloop"
        shutil.copytree(REPO / "autoloop", autoloop / "autoloop", ignore=skip)
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(REPO / name, autoloop / name)
        env.pip_install(autoloop, shutil.copytree(EXAMPLE, root / "src" / EXAMPLE.name, ignore=skip))
        yield env
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_the_venv_sees_the_installed_packages_not_the_checkout(venv):
    done = subprocess.run(
        [str(venv.python), "-c", "import autoloop, autoloop_curvefit; print(autoloop.__file__); print(autoloop_curvefit.__file__)"],
        env=venv.env, cwd=venv.root, capture_output=True, text=True, check=True,
    )
    assert all(line.startswith(str(venv.root)) for line in done.stdout.split()), done.stdout


def test_tasks_lists_the_plugin(venv):
    rows = {row["task"]: row for row in venv.json("tasks")}  # type: ignore[union-attr]
    assert rows[TASK]["artifacts"] == ["linear", "constant"]
    assert rows[TASK]["metric"] == {"name": "mae", "higher_is_better": False}
    assert "curvefit:wave" in rows and "mlpipeline:house-prices" in rows


def test_run_improves_on_the_starting_artifact(venv):
    data = venv.json("run", TASK, "--optimizer", "local", "--iterations", "6", "--batch-size", "2", "--seed", "1")
    assert data["task"] == TASK and data["settings"]["starting_artifact"] == "linear"  # type: ignore[index]
    assert data["metric"]["name"] == "mae" and data["test"] > 0  # type: ignore[index]
    assert data["best_val"] <= data["curve"][0][1]  # type: ignore[index]  # mae: lower is better, the best never worse


def test_the_contract_suite_passes_in_the_venv(venv):
    done = subprocess.run(
        [str(venv.python), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE / "tests")],
        env=venv.env, cwd=venv.root, capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]


def test_tune_recommends_a_setting(venv):
    rec = venv.json("tune", TASK, "--budget-iterations", "40", "--jobs", "1", "--space", "batch_size=1,2;credit_horizon=1,4", *TINY_STUDY)
    assert rec["task"] == TASK  # type: ignore[index]
    assert rec["settings"]["starting_artifact"] in ("linear", "constant")  # type: ignore[index]
    assert rec["spent"]["iterations"] <= 40  # type: ignore[index]


def test_submit_runs_on_a_service_and_worker_from_the_venv(venv):
    home = Path(tempfile.mkdtemp(prefix="al-"))  # short: it holds the Redis unix socket
    cluster = VenvCluster(home, venv)
    try:
        cluster.start_service()
        cluster.start_worker(processes=1)
        client = ["--url", cluster.url, "--token", cluster.token()]
        rec = venv.json("submit", TASK, "--budget-iterations", "40", "--parallel", "1", "--wait", *TINY_STUDY, *client)
        assert rec["settings"]["starting_artifact"] in ("linear", "constant"), rec  # type: ignore[index]
        assert rec["metric"]["name"] == "mae"  # type: ignore[index]
        unknown = venv.autoloop("submit", "curvefit2:quadratic", "--json", *client)
        assert unknown.returncode == 2
        error = json.loads(unknown.stdout)["error"]
        assert "task: this service knows no such task" in error["message"] and "then restart them" in error["message"]
    finally:
        cluster.close()
        shutil.rmtree(home, ignore_errors=True)
