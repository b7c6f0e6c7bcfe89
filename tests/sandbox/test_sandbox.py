"""Good candidates work in the sandbox, and the sandbox outlives its server."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from autoloop.errors import SandboxError
from autoloop.sandbox import Limits, Sandbox, exec_candidate
from tests.sandbox.conftest import RUN, assert_still_works

pytestmark = pytest.mark.integration


def test_good_code_returns_value_and_output(sandbox: Sandbox) -> None:
    out = sandbox.call(RUN, "def main(xs):\n    print('summing', len(xs))\n    return {'total': sum(xs)}\n", [1, 2, 3])
    assert out.ok, out.error
    assert out.value == {"total": 6}
    assert out.error is None
    assert out.output == "summing 3\n"
    assert 0 < out.duration_s < 5


def test_writing_inside_scratch_works_and_scratch_is_removed(sandbox: Sandbox) -> None:
    source = (
        "import os, tempfile\n"
        "def main():\n"
        "    os.makedirs('out/deep')\n"
        "    with open('out/deep/a.txt', 'w') as f:\n"
        "        f.write('hello')\n"
        "    os.rename('out/deep/a.txt', 'out/b.txt')\n"
        "    fd, tmp = tempfile.mkstemp()\n"
        "    os.close(fd)\n"
        "    os.remove(tmp)\n"
        "    return os.getcwd(), os.path.dirname(tmp), open('out/b.txt').read()\n"
    )
    out = sandbox.call(RUN, source)
    assert out.ok, out.error
    cwd, tmpdir, text = out.value
    assert text == "hello"
    assert tmpdir == cwd
    assert_still_works(sandbox)  # the server tidies up after each reply
    assert not os.path.exists(cwd)


def test_each_call_gets_a_fresh_scratch_directory(sandbox: Sandbox) -> None:
    source = "import os\ndef main():\n    open('leftover', 'w').close()\n    return sorted(os.listdir('.'))\n"
    first, second = sandbox.call(RUN, source), sandbox.call(RUN, source)
    assert first.value == second.value == ["leftover"]


def test_numpy_and_sklearn_fit_in_the_child(sandbox: Sandbox) -> None:
    source = (
        "import numpy as np\n"
        "from sklearn.linear_model import LinearRegression\n"
        "from sklearn.model_selection import cross_val_score\n"
        "def main(seed):\n"
        "    rng = np.random.default_rng(seed)\n"
        "    x = rng.normal(size=(200, 3))\n"
        "    y = x @ np.array([1.0, -2.0, 0.5]) + 3.0\n"
        "    model = LinearRegression().fit(x, y)\n"
        "    folds = cross_val_score(LinearRegression(), x, y, cv=3, n_jobs=-1)\n"  # joblib runs it sequentially
        "    return float(model.score(x, y)), model.coef_, folds.tolist()\n"
    )
    out = sandbox.call(RUN, source, 0)
    assert out.ok, out.error
    r2, coef, folds = out.value
    assert r2 == pytest.approx(1.0)
    assert coef.tolist() == pytest.approx([1.0, -2.0, 0.5])
    assert folds == pytest.approx([1.0, 1.0, 1.0])


def test_killed_server_is_restarted_for_the_next_call(light_sandbox: Sandbox) -> None:
    old = light_sandbox.server_pid
    assert old is not None
    os.kill(old, signal.SIGKILL)
    time.sleep(0.2)
    assert_still_works(light_sandbox)
    assert light_sandbox.server_pid not in (None, old)


def test_server_killed_during_a_call_fails_that_call_only(light_sandbox: Sandbox) -> None:
    pid = light_sandbox.server_pid
    assert pid is not None
    killer = threading.Timer(0.5, os.kill, (pid, signal.SIGKILL))
    killer.start()
    out = light_sandbox.call(RUN, "import time\ndef main():\n    time.sleep(10)\n")
    killer.join()
    assert not out.ok
    assert out.error == "the sandbox server died during the evaluation; it restarts for the next call"
    assert out.duration_s < 5
    assert_still_works(light_sandbox)


def test_unknown_entry_is_an_infrastructure_error(sandbox: Sandbox) -> None:
    with pytest.raises(SandboxError, match=r"cannot load sandbox entry 'tests\.sandbox\.entries:nope'"):
        sandbox.call("tests.sandbox.entries:nope")
    with pytest.raises(ValueError, match="entry must look like"):
        sandbox.call("not an entry")
    assert_still_works(sandbox)


def test_exec_candidate_refuses_to_run_in_the_parent() -> None:
    with pytest.raises(SandboxError, match="only inside a sandboxed evaluation"):
        exec_candidate("x = 1")


def test_bad_preload_raises() -> None:
    with pytest.raises(SandboxError, match="could not preload"):
        Sandbox(preload=("no_such_module_for_autoloop",))


def test_environment_is_scrubbed_and_close_cleans_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOLOOP_TEST_SECRET", "hunter2")
    sb = Sandbox(limits=Limits(timeout_s=10))
    out = sb.call(RUN, "import os\ndef main():\n    return dict(os.environ)\n")
    assert out.ok, out.error
    assert "AUTOLOOP_TEST_SECRET" not in out.value
    assert out.value["HOME"] == out.value["TMPDIR"]
    base = Path(sb._state.base)
    assert base.is_dir()
    sb.close()
    sb.close()
    assert not base.exists()
    with pytest.raises(SandboxError, match="closed"):
        sb.call(RUN, "def main():\n    return 1\n")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"timeout_s": 0}, "timeout_s"),
        ({"memory_mb": 1}, "memory_mb"),
        ({"cpu_s": -1}, "cpu_s"),
        ({"file_mb": 0}, "file_mb"),
        ({"disk_mb": 0}, "disk_mb"),
    ],
)
def test_limits_are_validated(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        Limits(**kwargs)


def test_output_keeps_the_last_few_kib(sandbox: Sandbox) -> None:
    out = sandbox.call(RUN, "def main():\n    for i in range(20000):\n        print('line', i)\n")
    assert out.ok, out.error
    assert 0 < len(out.output) <= 4096
    assert out.output.endswith("line 19999\n")


def test_large_arguments_and_results_travel(sandbox: Sandbox) -> None:
    data = np.arange(4_000_000, dtype=np.float64)  # 32 MB each way
    out = sandbox.call(RUN, "def main(a):\n    return a * 2\n", data)
    assert out.ok, out.error
    assert out.value.shape == data.shape
    assert out.value[-1] == 2 * data[-1]


def test_interrupted_call_replaces_the_server(light_sandbox: Sandbox) -> None:
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    old_handler = signal.signal(signal.SIGALRM, interrupt)
    old = light_sandbox.server_pid
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with pytest.raises(KeyboardInterrupt):
            light_sandbox.call(RUN, "import time\ndef main():\n    time.sleep(5)\n")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
    assert_still_works(light_sandbox)  # no stale reply from the interrupted call
    assert light_sandbox.server_pid != old


def test_forked_process_gets_its_own_server(light_sandbox: Sandbox) -> None:
    assert_still_works(light_sandbox)
    parent_server = light_sandbox.server_pid
    pid = os.fork()
    if pid == 0:  # the forked copy: must not talk to (or shut down) the parent's server
        code = 1
        try:
            out = light_sandbox.call(RUN, "def main():\n    return 7\n")
            code = 0 if out.ok and out.value == 7 and light_sandbox.server_pid != parent_server else 2
            light_sandbox.close()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert light_sandbox.server_pid == parent_server
    assert_still_works(light_sandbox)


def test_dead_spare_child_is_replaced(light_sandbox: Sandbox) -> None:
    assert_still_works(light_sandbox)
    server = light_sandbox.server_pid
    time.sleep(0.3)  # the server forks the next (spare) child after replying
    spares = Path(f"/proc/{server}/task/{server}/children").read_text().split()
    assert spares, "expected a spare child waiting for the next call"
    for pid in spares:
        os.kill(int(pid), signal.SIGKILL)
    time.sleep(0.1)
    assert_still_works(light_sandbox)
    assert light_sandbox.server_pid == server


def test_calls_from_several_threads_are_serialized(sandbox: Sandbox) -> None:
    results: list[object] = []

    def work(i: int) -> None:
        out = sandbox.call(RUN, "def main(i):\n    return i * i\n", i)
        results.append(out.value if out.ok else out.error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 1, 4, 9, 16, 25]  # type: ignore[type-var]


def test_forked_process_does_not_keep_the_server_alive() -> None:
    sb = Sandbox(limits=Limits(timeout_s=10))
    server = sb.server_pid
    pid = os.fork()
    if pid == 0:  # outlives the close below, as an RQ work horse might
        time.sleep(3)
        os._exit(0)
    try:
        start = time.monotonic()
        sb.close()
        assert time.monotonic() - start < 2  # the server saw end of input, no kill after 5 s
        assert not Path(f"/proc/{server}").exists()
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def test_candidate_output_does_not_reach_our_stdout(sandbox: Sandbox, capfd: pytest.CaptureFixture[str]) -> None:
    out = sandbox.call(RUN, "import sys\ndef main():\n    print('to stdout')\n    print('to stderr', file=sys.stderr)\n")
    assert out.ok, out.error
    assert out.output == "to stdout\nto stderr\n"
    captured = capfd.readouterr()
    assert "to stdout" not in captured.out
    assert "to stderr" not in captured.err
