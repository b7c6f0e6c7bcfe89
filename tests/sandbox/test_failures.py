"""Every way a candidate can misbehave ends in a failed Outcome with a clear reason."""

from __future__ import annotations

import contextlib
import errno
import os
import socket
from pathlib import Path

import pytest

from autoloop.sandbox import Limits, Sandbox, candidate_function
from autoloop.trace import Step
from tests.sandbox.conftest import RUN, assert_still_works

pytestmark = pytest.mark.integration


def fail(sb: Sandbox, source: str, *args: object, limits: Limits | None = None) -> str:
    out = sb.call(RUN, source, *args, limits=limits)
    assert not out.ok, f"expected a failure, got {out.value!r}"
    assert out.value is None
    assert_still_works(sb)
    return out.error or ""


def test_busy_loop_is_stopped(sandbox: Sandbox) -> None:
    error = fail(sandbox, "def main():\n    while True:\n        pass\n", limits=Limits(timeout_s=1))
    # Wall clock and CPU limit are both 1s here; whichever fires first is a correct reason.
    assert error in ("timed out after 1s", "CPU limit (1s) exceeded")


def test_sleep_times_out(sandbox: Sandbox) -> None:
    error = fail(sandbox, "import time\ndef main():\n    time.sleep(60)\n", limits=Limits(timeout_s=0.5))
    assert error == "timed out after 0.5s"


def test_cpu_limit(sandbox: Sandbox) -> None:
    error = fail(sandbox, "def main():\n    while True:\n        pass\n", limits=Limits(timeout_s=30, cpu_s=1))
    assert error == "CPU limit (1s) exceeded"


def test_allocating_10_gib_hits_memory_limit(sandbox: Sandbox) -> None:
    error = fail(sandbox, "def main():\n    return len(bytearray(10 * 2**30))\n")
    assert error == "memory limit (1024 MiB) exceeded"


def test_numpy_allocation_hits_memory_limit(sandbox: Sandbox) -> None:
    error = fail(sandbox, "import numpy as np\ndef main():\n    return np.ones(2**31).sum()\n")
    assert error == "memory limit (1024 MiB) exceeded"


@pytest.mark.parametrize(
    "statement",
    [
        "os.remove(victim)",
        "shutil.rmtree(folder)",
        "open(victim, 'w').close()",
        "os.rename(victim, victim + '.moved')",
        "os.chmod(victim, 0o777)",
        "os.mkdir(os.path.join(folder, 'new'))",
        "os.close(os.open(victim, os.O_WRONLY | os.O_TRUNC))",
        "pathlib.Path(victim).write_text('gone')",
        "os.symlink(victim, 'link'); open('link', 'w').close()",
        "os.unlink('precious.txt', dir_fd=os.open(folder, os.O_RDONLY))",
        "os.chdir(folder); open('precious.txt', 'w').close()",
    ],
)
def test_writing_outside_scratch_is_refused(sandbox: Sandbox, tmp_path: Path, statement: str) -> None:
    folder = tmp_path / "keep"
    folder.mkdir()
    victim = folder / "precious.txt"
    victim.write_text("keep me")
    source = f"import os, pathlib, shutil\ndef main(victim, folder):\n    {statement}\n"
    error = fail(sandbox, source, str(victim), str(folder))
    # A confined child does not even see the host's folder; naming it fails before any write.
    refusals = ("PermissionError: writing outside the scratch directory is not allowed", "FileNotFoundError: [Errno 2]")
    assert error.startswith(refusals), error
    assert "(line 3 of candidate" in error
    assert victim.read_text() == "keep me"
    assert sorted(p.name for p in folder.iterdir()) == ["precious.txt"]
    assert oct(victim.stat().st_mode & 0o777) != oct(0o777)


def test_libc_unlink_outside_scratch_is_refused_by_the_kernel(sandbox: Sandbox, tmp_path: Path) -> None:
    if not sandbox.isolation["unprivileged_user"]:
        pytest.skip("children run as the current user; only the audit hook protects files")
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    source = (
        "import ctypes, os\n"
        "def main(victim):\n"
        "    libc = ctypes.CDLL(None, use_errno=True)\n"
        "    hidden = libc.unlink(victim.encode()), ctypes.get_errno()\n"
        "    visible = libc.unlink(os.__file__.encode()), ctypes.get_errno()\n"
        "    return hidden, visible\n"
    )
    out = sandbox.call(RUN, source, str(victim))
    assert out.ok, out.error
    hidden, visible = out.value
    assert hidden == (-1, errno.ENOENT)  # not in the child's root at all
    assert visible[0] == -1 and visible[1] in (errno.EROFS, errno.EACCES)  # shown read-only
    assert victim.read_text() == "keep me"
    assert Path(os.__file__).exists()


def test_socket_to_localhost_is_refused(sandbox: Sandbox) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        source = "import socket\ndef main(port):\n    socket.create_connection(('127.0.0.1', port), timeout=2)\n"
        error = fail(sandbox, source, port)
        assert "network access is not allowed" in error
        listener.settimeout(0.3)
        with pytest.raises(TimeoutError):
            listener.accept()


def test_libc_socket_is_refused_by_the_kernel(sandbox: Sandbox) -> None:
    if not sandbox.isolation["seccomp"]:
        pytest.skip("no kernel confinement here; only the audit hook refuses sockets")
    with socket.create_server(("127.0.0.1", 0)) as listener:
        source = (
            "import ctypes\n"
            "def main():\n"
            "    libc = ctypes.CDLL(None, use_errno=True)\n"
            "    return libc.socket(2, 1, 0), ctypes.get_errno()\n"  # AF_INET, SOCK_STREAM
        )
        out = sandbox.call(RUN, source)
        assert out.ok, out.error
        assert out.value == (-1, errno.EPERM)  # the seccomp filter; the network namespace is empty anyway
        listener.settimeout(0.3)
        with pytest.raises(TimeoutError):
            listener.accept()


@pytest.mark.parametrize(
    "statement",
    [
        "subprocess.run(['true'])",
        "os.system('true')",
        "os.fork()",
        "multiprocessing.Process(target=print).start()",
        "multiprocessing.get_context('spawn').Process(target=print).start()",
        "multiprocessing.get_context('forkserver').Pool(2)",
    ],
)
def test_starting_processes_is_refused(sandbox: Sandbox, statement: str) -> None:
    error = fail(sandbox, f"import multiprocessing, os, subprocess\ndef main():\n    {statement}\n")
    assert "starting processes is not allowed" in error


def test_signalling_the_server_is_refused(sandbox: Sandbox) -> None:
    server = sandbox.server_pid
    # The child's own pid namespace hides the server (getppid() is 0): pass its pid in.
    error = fail(sandbox, "import os, signal\ndef main(server):\n    os.kill(server, signal.SIGKILL)\n", server)
    assert "signalling other processes is not allowed" in error
    assert sandbox.server_pid == server


def test_sys_exit(sandbox: Sandbox) -> None:
    assert fail(sandbox, "import sys\ndef main():\n    sys.exit(3)\n") == "exited via sys.exit(3)"


def test_os_exit_without_result(sandbox: Sandbox) -> None:
    error = fail(sandbox, "import os\ndef main():\n    os._exit(7)\n")
    assert error == "exited with status 7 before returning a result"


def test_segfault(sandbox: Sandbox) -> None:
    error = fail(sandbox, "import ctypes\ndef main():\n    return ctypes.string_at(0)\n")
    assert error == "crashed: killed by signal SIGSEGV"


def test_exception_gives_type_message_and_line(sandbox: Sandbox) -> None:
    source = "def helper(x):\n    return x / 0\n\ndef main():\n    return helper(1)\n"
    out = sandbox.call(RUN, source)
    assert out.error == "ZeroDivisionError: division by zero (line 2 of candidate: return x / 0)"
    assert 'File "<candidate>", line 5, in main' in out.output
    assert_still_works(sandbox)


def test_syntax_error_gives_line(sandbox: Sandbox) -> None:
    error = fail(sandbox, "def main():\n    return (\n\nx = 1 +\n")
    assert error.startswith("SyntaxError: "), error
    assert "of candidate" in error


def test_unsafe_return_value_is_not_unpickled(sandbox: Sandbox, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    source = (
        "import os\n"
        "class Evil:\n"
        "    def __reduce__(self):\n"
        f"        return (os.system, ('touch {marker}',))\n"
        "def main():\n"
        "    return Evil()\n"
    )
    error = fail(sandbox, source)
    assert error.startswith("the evaluation returned data the sandbox will not unpickle"), error
    assert not marker.exists()


def test_unpicklable_return_value(sandbox: Sandbox) -> None:
    error = fail(sandbox, "def main():\n    return lambda: 1\n")
    assert error.startswith("the evaluation returned a value that cannot be pickled"), error


def test_autoloop_dataclasses_come_back_but_not_other_classes(sandbox: Sandbox) -> None:
    source = "from autoloop.trace import Step\ndef main():\n    return Step('in', 'out', 'fine', 1.0)\n"
    out = sandbox.call(RUN, source)
    assert out.ok, out.error
    assert out.value == Step("in", "out", "fine", 1.0)
    error = fail(sandbox, "import fractions\ndef main():\n    return fractions.Fraction(1, 3)\n")
    assert "fractions.Fraction is not plain data" in error


def test_file_size_limit(sandbox: Sandbox) -> None:
    source = "def main():\n    with open('big', 'wb') as f:\n        f.write(bytes(3 * 2**20))\n"
    error = fail(sandbox, source, limits=Limits(timeout_s=20, memory_mb=1024, file_mb=1))
    assert error.startswith("OSError: [Errno 27] File too large"), error


def test_full_scratch_directory(sandbox: Sandbox) -> None:
    if not sandbox.isolation["private_scratch"]:
        pytest.skip("no private scratch filesystem here; only the file size is limited")
    source = (
        "def main():\n"
        "    for i in range(8):\n"
        "        with open(f'part{i}', 'wb') as f:\n"
        "            f.write(bytes(2**20))\n"
    )
    error = fail(sandbox, source, limits=Limits(timeout_s=20, memory_mb=1024, disk_mb=4))
    assert error.startswith("OSError: [Errno 28] No space left on device"), error


def test_detached_libc_fork_is_killed(light_sandbox: Sandbox) -> None:
    # The stray names itself, so the test finds it on the host whatever its pid namespace.
    name = f"stray{os.getpid() % 10**8}"
    source = (
        "import ctypes, os, time\n"
        "def main(name):\n"
        "    libc = ctypes.CDLL(None)\n"
        "    pid = libc.fork()\n"  # past the audit hook
        "    if pid == 0:\n"
        "        libc.setsid()\n"  # out of the process group the server kills
        "        libc.prctl(15, name.encode(), 0, 0, 0)\n"  # PR_SET_NAME
        "        time.sleep(300)\n"
        "        os._exit(0)\n"
        "    time.sleep(0.2)\n"
        "    return pid\n"
    )
    out = light_sandbox.call(RUN, source, name)
    assert out.ok, out.error
    assert out.value > 0
    assert_still_works(light_sandbox)  # the server hunts strays before forking the next child
    assert_still_works(light_sandbox)
    assert name not in _process_names()


def _process_names() -> set[str]:
    names = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                names.add((entry / "comm").read_text().strip())
    return names


def test_candidate_function_names_the_missing_or_non_callable_function():
    assert candidate_function({"f": len}, "f") is len
    with pytest.raises(TypeError, match=r"define a function f\(\.\.\.\); it is missing"):
        candidate_function({}, "f")
    with pytest.raises(TypeError, match=r"define a function f\(\.\.\.\); it is a int"):
        candidate_function({"f": 3}, "f")
