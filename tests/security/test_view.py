"""What a candidate sees does not depend on where autoloop was started (issue 18).

``python -m`` and a shell's working directory put that directory on ``sys.path``; the
child's root used to show every ``sys.path`` entry, so a user who started autoloop next to
their data gave every candidate the held-out labels. The root is now an allow-list
(``autoloop/sandbox/_view.py``). These tests start autoloop from a folder holding the data,
from ``/tmp`` and from a home directory, and let a hostile candidate (written by the LLM
optimizer, here a scripted server) walk the child's whole file system for the data files.
The candidate raises with what it found, so the failure tally carries it out: a run whose
failures say ``FOUND`` means the data was visible.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import site
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

import autoloop
from autoloop.sandbox import Limits, Sandbox
from tests.fake_openai import FakeOpenAI, Reply
from tests.security.conftest import RUN
from tests.service.conftest import Cluster, running_cluster

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
CLI = "from autoloop.cli import main; raise SystemExit(main())"
CSV_NAME = "secret_rows.csv"
ML_NAME = "spaceship_titanic_train.csv"
# The walk, indented to sit inside the candidate's function; it ends by raising either way.
SEARCH = """
    import os
    wanted = {names}
    seen = 0
    for root in ["/", *{guesses}]:
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if not (folder == "/" and d in ("proc", "dev"))]
            seen += len(files)
            for file in files:
                if file in wanted:
                    with open(os.path.join(folder, file)) as handle:
                        raise RuntimeError("FOUND " + os.path.join(folder, file) + ": " + handle.readline()[:60])
    raise RuntimeError(f"searched {{seen}} files, no data")
"""


def _attack(parameter: str, signature: str, guesses: list[str]) -> dict[str, str]:
    body = SEARCH.format(names=repr({CSV_NAME, ML_NAME}), guesses=repr(guesses))
    return {parameter: f"def {parameter}({signature}):{body}"}


TASKS = {
    "ml": (["mlpipeline:spaceship-titanic", "--data", "data/mlagentbench", "--artifact", "one_function"], "train_model", "x, y, test_data, task"),
    "csv": (["csv:rows", "--data", f"data/{CSV_NAME}", "--target", "label", "--artifact", "one_function"], "train_model", "x, y, test_data, task"),
    "atari": (["atari:Pong", "--artifact", "monolithic"], "act", "objects"),
}


def _lay_out_data(folder: Path, shared_data: Path) -> None:
    """The usual layout: the user's data in ``data/`` of the folder they work in."""
    (folder / "data" / "mlagentbench").mkdir(parents=True)
    shutil.copy(shared_data / "mlagentbench" / ML_NAME, folder / "data" / "mlagentbench")
    rows = ["id,a,b,label", *(f"{i},{i % 7},{(i * 13) % 11},{(i * 31) % 2}" for i in range(120))]
    (folder / "data" / CSV_NAME).write_text("\n".join(rows) + "\n")


@pytest.fixture(scope="module")
def starting_points(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[Path, Path]]]:
    """name -> (working directory, folder holding ``data/``): a project folder, /tmp, a home directory."""
    project = tmp_path_factory.mktemp("project")
    in_tmp = Path("/tmp") / f"autoloop-view-{secrets.token_hex(4)}"
    in_home = Path.home() / f".autoloop-view-{secrets.token_hex(4)}"
    for folder in (project, in_tmp, in_home):
        folder.mkdir(exist_ok=True)
        _lay_out_data(folder, shared_data)
    try:
        yield {"project": (project, project), "tmp": (Path("/tmp"), in_tmp), "home": (Path.home(), in_home)}
    finally:
        shutil.rmtree(in_tmp)
        shutil.rmtree(in_home)


def _require_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("as a non-root user the sandbox refuses to run candidates: see test_fail_closed.py")


@pytest.mark.parametrize("task", sorted(TASKS))
@pytest.mark.parametrize("start", ["project", "tmp", "home"])
def test_autoloop_run_started_next_to_the_data_shows_the_candidate_none_of_it(start, task, starting_points) -> None:
    _require_root()
    cwd, holder = starting_points[start]
    argv, parameter, signature = TASKS[task]
    argv = [arg.replace("data/", f"{os.path.relpath(holder, cwd)}/data/") for arg in argv]
    guesses = [str(cwd), str(holder), "/tmp", str(Path.home()), "/work", "/data"]
    update = Reply.json({"reasoning": "look around", "updates": _attack(parameter, signature, guesses)})
    with FakeOpenAI(handler=lambda request: update) as server:
        proc = subprocess.run(
            [sys.executable, "-c", CLI, "run", *argv, "--optimizer", "llm", "--base-url", server.base_url,
             "--model", "fake", "--iterations", "1", "--batch-size", "1", "--json"],
            cwd=cwd, env=os.environ | {"PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=300, check=False,
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    failures = json.dumps(json.loads(proc.stdout)["failures"])
    assert "FOUND" not in failures, failures
    assert "no data" in failures, failures  # the attack ran, walked the whole root and found nothing


def _allowed() -> list[str]:
    """The allow-list, stated apart from ``_view``: the installation, system libraries, autoloop, the entry's package."""
    installation = {sysconfig.get_config_var("LIBDIR"), *site.getsitepackages()}
    for base, platbase in ((sys.prefix, sys.exec_prefix), (sys.base_prefix, sys.base_exec_prefix)):
        paths = sysconfig.get_paths(vars={"base": base, "platbase": platbase, "installed_base": base, "installed_platbase": platbase})
        installation.update(paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib"))
    packages = {str(Path(autoloop.__file__).parent), str(REPO / "tests")}
    system = {"/usr/lib", "/usr/lib64", "/usr/local/lib", "/etc/ld.so.cache"}
    return [os.path.realpath(p) for p in {*installation, *packages, *system} if p]


MOUNTS = """
def main():
    import os
    return [line.split()[4] for line in open("/proc/self/mountinfo")], os.getcwd()
"""


@pytest.mark.parametrize("start", ["project", "tmp", "home"])
def test_the_childs_mounts_are_exactly_the_allow_list(start, starting_points, monkeypatch: pytest.MonkeyPatch) -> None:
    """Started as ``python -m`` would start it (working directory first on sys.path), nothing else shows."""
    _require_root()
    cwd, holder = starting_points[start]
    monkeypatch.chdir(cwd)
    monkeypatch.syspath_prepend(str(cwd))
    monkeypatch.syspath_prepend(str(holder / "data"))  # a PYTHONPATH or .pth entry pointing at data
    with Sandbox(limits=Limits(timeout_s=20)) as sandbox:
        out = sandbox.call(RUN, MOUNTS)
    assert out.ok, out.error
    mounts, child_cwd = out.value
    fixed = {"/", "/proc", "/dev/null", "/dev/zero", "/dev/random", "/dev/urandom", "/dev/shm", "/scratch"}
    allowed = _allowed()
    strays = [m for m in mounts if m not in fixed and not any(m == a or m.startswith(a + "/") for a in allowed)]
    assert not strays, f"mounted but not in the allow-list: {strays}"
    assert child_cwd == "/scratch"  # its own scratch tmpfs, whatever the server's working directory
    for path in (str(cwd), str(holder), str(holder / "data")):
        assert not any(m == path or path.startswith(m.rstrip("/") + "/") for m in mounts if m != "/"), path


SERVICE_TASKS = {
    "ml": ("mlpipeline:spaceship-titanic", "data/mlagentbench", {}, "one_function", "train_model", "x, y, test_data, task"),
    "csv": ("csv:rows", f"data/{CSV_NAME}", {"target": "label"}, "one_function", "train_model", "x, y, test_data, task"),
    "atari": ("atari:Pong", None, {}, "monolithic", "act", "objects"),
}


@pytest.fixture(scope="module")
def view_cluster(starting_points) -> Iterator[Cluster]:
    """A service (started in the repository) whose tenants may name data in the three starting points."""
    roots = os.pathsep.join(str(holder / "data") for _, holder in starting_points.values())
    # AUTOLOOP_LLM_ALLOW: the scripted LLM server listens on loopback
    with running_cluster(env={"AUTOLOOP_DATA_ROOTS": roots, "AUTOLOOP_LLM_ALLOW": "127.0.0.1"}) as cluster:
        yield cluster


# About a minute each: a worker per starting point runs a two-run study of each of the three tasks.
@pytest.mark.parametrize("start", ["project", "tmp", "home"])
def test_a_worker_started_next_to_the_data_shows_the_candidate_none_of_it(start, starting_points, view_cluster) -> None:
    _require_root()
    cwd, holder = starting_points[start]
    guesses = [str(cwd), str(holder), "/tmp", str(Path.home()), "/work", "/data"]
    replies = {name: Reply.json({"reasoning": "look around", "updates": _attack(p, s, guesses)}) for name, (*_, p, s) in SERVICE_TASKS.items()}

    def handler(request: dict) -> Reply:
        text = json.dumps(request["messages"])
        return replies["atari" if "def act(" in text else "ml"]

    with open(view_cluster.home / f"worker-{start}.log", "ab") as log:
        worker = subprocess.Popen(
            [sys.executable, "-c", CLI, "worker", "--processes", "2"], cwd=cwd, env=view_cluster.env, stdout=log, stderr=subprocess.STDOUT
        )
    view_cluster.workers.append(worker)
    try:
        with FakeOpenAI(handler=handler) as server, autoloop.Client(view_cluster.url, view_cluster.token(start)) as client:
            studies = {
                name: client.submit(
                    task, data_dir=str(holder / data) if data else None, task_options=options or None,
                    space=f"artifact={artifact};credit_horizon=1;batch_size=1,3",
                    preset="quick", iterations=1, budget_iterations=2, optimizer="llm", llm_base_url=server.base_url, llm_model="fake",
                )
                for name, (task, data, options, artifact, *_) in SERVICE_TASKS.items()
            }
            for name, study in studies.items():
                status = json.dumps(study.wait(progress=False, timeout_s=240))
                assert "FOUND" not in status, f"{name}: {status}"
                assert "no data" in status, f"{name}: {status}"  # the attack ran, walked the whole root and found nothing
    finally:
        view_cluster.workers.remove(worker)
        worker.terminate()
        worker.wait(30)


def test_a_sandbox_started_from_the_root_directory_runs_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 24 row 12: a service manager starts workers in ``/``; ``/`` on sys.path made every evaluation fail."""
    _require_root()
    monkeypatch.chdir("/")
    monkeypatch.syspath_prepend("/")
    with Sandbox(limits=Limits(timeout_s=20)) as sandbox:
        out = sandbox.call(RUN, MOUNTS)
    assert out.ok, out.error
    assert "/" not in out.value[0][1:]  # the host's root is not shown (only the child's own tmpfs root is "/")
