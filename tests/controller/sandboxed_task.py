"""A toy task that holds a sandbox server and logs the server's pid in its data folder on every rollout.

Executor tests register it (workers import this module first) to see which server a run used.
"""

from __future__ import annotations

from pathlib import Path

from autoloop.artifact import Artifact
from autoloop.errors import SandboxError
from autoloop.sandbox import Sandbox
from autoloop.tasks import TaskFamily, TaskInfo, register_task
from autoloop.trace import Instance, Trace
from tests.toy_task import ToyTask

PIDS_FILE = "server-pids.txt"
# Present in the data folder: the next rollout deletes it and fails as if the sandbox server died.
FAIL_ONCE_FILE = "fail-once"


class SandboxedToyTask(ToyTask):
    """``toy:linear`` that echoes through its own sandbox server before each rollout.

    Args:
        data_dir: Where the server pids go, one line per rollout.
    """

    name = "sandboxed:linear"

    def __init__(self, data_dir: Path) -> None:
        super().__init__()
        self.data_dir = data_dir
        self.sandbox = Sandbox()

    def rollout(self, artifact: Artifact, instance: Instance, horizon: int | None) -> Trace:
        fail_once = self.data_dir / FAIL_ONCE_FILE
        if fail_once.exists():
            fail_once.unlink()
            raise SandboxError("the sandbox server died (simulated)")
        if not self.sandbox.call("tests.sandbox.entries:echo", 1).ok:
            raise SandboxError("the echo entry failed")
        with open(self.data_dir / PIDS_FILE, "a") as pids:
            pids.write(f"{self.sandbox.server_pid}\n")
        return super().rollout(artifact, instance, horizon)

    def close(self) -> None:
        self.sandbox.close()


def server_pids(data_dir: Path) -> list[int]:
    """The server pid of every rollout so far, in order."""
    path = data_dir / PIDS_FILE
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def _create(variant: str, data_dir: Path | None, options: dict) -> SandboxedToyTask:
    if data_dir is None:
        raise ValueError("sandboxed:linear needs a data_dir for its pid log")
    return SandboxedToyTask(data_dir)


register_task(TaskFamily("sandboxed", ("linear",), _create, lambda variant: TaskInfo.of(SandboxedToyTask)))
