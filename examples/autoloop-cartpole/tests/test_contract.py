"""The plug-in passes the contract every autoloop task passes."""

from __future__ import annotations

import pytest

from autoloop.tasks import get_task
from autoloop.testing.tasks import TaskCase, TaskContract


class TestCartPole(TaskContract):
    @pytest.fixture(scope="class")
    @classmethod
    def task_case(cls) -> TaskCase:
        return TaskCase("cartpole:balance", create=lambda: get_task("cartpole:balance"))
