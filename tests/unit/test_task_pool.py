"""TaskPool: which runs share a built task, and when a task is reset, kept or closed."""

from __future__ import annotations

import pytest

from autoloop.errors import ConfigError, SandboxError
from autoloop.executors import LoopJob
from autoloop.executors._pool import POOL_SIZE_ENV, TaskPool
from autoloop.tasks import TaskFamily, TaskInfo, register_task
from tests.toy_task import ToyTask, local_job


class PooledToyTask(ToyTask):
    """``toy:linear`` that counts its resets and knows whether it was closed."""

    name = "pooled:linear"

    def __init__(self) -> None:
        super().__init__()
        self.resets = 0
        self.closed = False

    def reset(self) -> None:
        self.resets += 1

    def close(self) -> None:
        self.closed = True


register_task(
    TaskFamily("pooled", ("linear", "other"), lambda variant, data_dir, options: PooledToyTask(), lambda variant: TaskInfo.of(PooledToyTask))
)


def _job(task: str = "pooled:linear", data_dir: str | None = None) -> LoopJob:
    job = local_job("r", task, batch_size=1, iterations=1, seed=1)
    return job.model_copy(update={"data_dir": data_dir})


def _lease(pool: TaskPool, job: LoopJob) -> PooledToyTask:
    with pool.lease(job) as task:
        assert isinstance(task, PooledToyTask) and not task.closed
        return task


def test_runs_of_one_payload_share_a_task_reset_before_each_run() -> None:
    with TaskPool(size=1) as pool:
        first, second = _lease(pool, _job()), _lease(pool, _job())
        assert first is second and first.resets == 2 and pool.builds == 1
    assert first.closed  # the pool closes what it keeps


@pytest.mark.parametrize("other", [_job("pooled:other"), _job(data_dir="/elsewhere")], ids=["task", "data_dir"])
def test_another_payload_gets_another_task_and_the_kept_one_is_closed(other: LoopJob) -> None:
    with TaskPool(size=1) as pool:
        first = _lease(pool, _job())
        second = _lease(pool, other)
        assert second is not first and first.closed and not second.closed and pool.builds == 2


def test_a_task_whose_run_raised_is_closed_and_rebuilt() -> None:
    with TaskPool(size=1) as pool:
        with pytest.raises(SandboxError), pool.lease(_job()) as broken:
            raise SandboxError("the sandbox server died")
        assert broken.closed
        assert _lease(pool, _job()) is not broken and pool.builds == 2


def test_a_larger_pool_keeps_the_most_recently_used_tasks() -> None:
    with TaskPool(size=2) as pool:
        a, b = _lease(pool, _job()), _lease(pool, _job("pooled:other"))
        assert _lease(pool, _job()) is a and not b.closed
        c = _lease(pool, _job(data_dir="/elsewhere"))
        assert b.closed and not a.closed and not c.closed


def test_size_zero_builds_a_fresh_task_per_run_as_without_a_pool() -> None:
    pool = TaskPool(size=0)
    first, second = _lease(pool, _job()), _lease(pool, _job())
    assert first is not second and first.closed and second.closed and pool.builds == 2


def test_size_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(POOL_SIZE_ENV, "3")
    assert TaskPool().size == 3
    monkeypatch.delenv(POOL_SIZE_ENV)
    assert TaskPool().size == 1
    monkeypatch.setenv(POOL_SIZE_ENV, "some")
    with pytest.raises(ConfigError, match=POOL_SIZE_ENV):
        TaskPool()
