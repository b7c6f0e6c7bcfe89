"""Where the kernel cannot confine children, the sandbox refuses to run candidate code.

The test creates an unprivileged user and runs a small script as that user: without the
unsafe switch, creating a ``Sandbox`` raises ``ConfinementError`` with a message saying
how to run; with ``AUTOLOOP_UNSAFE_SANDBOX=1`` calls run and every call logs a warning.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

USER = "autoloop-sbx-test"
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import json, logging, os
from autoloop.errors import ConfinementError
from autoloop.sandbox import Sandbox

warnings = []
handler = logging.Handler()
handler.emit = lambda record: warnings.append(record.getMessage())
logging.getLogger("autoloop.sandbox").addHandler(handler)
report = {"uid": os.getuid()}
try:
    with Sandbox() as sb:
        outs = [sb.call("tests.sandbox.entries:run", "def main(x):\\n    return x * 2\\n", i) for i in (1, 2)]
        report["values"] = [out.value for out in outs]
        report["isolation"] = sb.isolation
except ConfinementError as exc:
    report["refused"] = str(exc)
report["warnings"] = warnings
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def user() -> Iterator[str]:
    if os.geteuid() != 0 or shutil.which("useradd") is None or shutil.which("runuser") is None:
        pytest.skip("needs root with useradd and runuser to create the unprivileged user")
    subprocess.run(["userdel", USER], capture_output=True, check=False)  # left over from an interrupted run
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER], check=True)
    try:
        yield USER
    finally:
        subprocess.run(["userdel", USER], check=True)


def _run_as(user: str, stash: Path, *, unsafe: bool) -> dict:
    """Run SCRIPT as ``user``, in a private mount namespace where the interpreter is reachable.

    The interpreter may live under a 0700 directory (``/root/.pyenv``): only for this
    process, a tmpfs over that directory shows the needed entries bound back in.
    """
    setup = []
    for index, (blocked, names) in enumerate(sorted(_blocked_ancestors().items())):
        for name in names:
            keep = stash / str(index) / name
            keep.mkdir(parents=True, exist_ok=True)
            setup.append(f"mount --bind {shlex.quote(f'{blocked}/{name}')} {shlex.quote(str(keep))}")
        setup.append(f"mount -t tmpfs -o mode=0755 tmpfs {shlex.quote(blocked)}")
        for name in names:
            target = shlex.quote(f"{blocked}/{name}")
            setup.append(f"mkdir {target} && mount --bind {shlex.quote(str(stash / str(index) / name))} {target}")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT)}
    if unsafe:
        env["AUTOLOOP_UNSAFE_SANDBOX"] = "1"
    command = ["runuser", "-u", user, "--", "env", "-i", *(f"{k}={v}" for k, v in env.items())]
    command += [sys.executable, "-c", SCRIPT]
    shell = " && ".join([*setup, "exec " + shlex.join(command)])
    done = subprocess.run(["unshare", "--mount", "sh", "-c", shell], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _blocked_ancestors() -> dict[str, list[str]]:
    """Directories others cannot traverse on the way to the interpreter, venv and repository."""
    blocked: dict[str, list[str]] = {}
    for target in (os.path.realpath(sys.executable), sys.prefix, str(ROOT)):
        parts = Path(target).parts
        for depth in range(1, len(parts) - 1):
            directory = Path(*parts[:depth])
            if not os.stat(directory).st_mode & 0o001:
                names = blocked.setdefault(str(directory), [])
                if parts[depth] not in names:
                    names.append(parts[depth])
                break
    return blocked


def test_unprivileged_user_is_refused(user: str, tmp_path: Path) -> None:
    report = _run_as(user, tmp_path, unsafe=False)
    assert report["uid"] != 0
    assert "values" not in report, report  # no candidate code ran
    message = report["refused"]
    assert "not root" in message
    assert "Run the worker as root" in message and "in a container" in message
    assert "AUTOLOOP_UNSAFE_SANDBOX=1" in message
    assert report["warnings"] == []


def test_unsafe_switch_runs_unconfined_and_warns_on_every_call(user: str, tmp_path: Path) -> None:
    report = _run_as(user, tmp_path, unsafe=True)
    assert "refused" not in report, report
    assert report["values"] == [2, 4]
    assert not any(report["isolation"].values())
    assert len(report["warnings"]) == 2
    assert all("without kernel confinement" in w for w in report["warnings"])
