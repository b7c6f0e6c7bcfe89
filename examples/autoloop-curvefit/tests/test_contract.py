"""The plug-in passes the contract every autoloop task passes."""

from __future__ import annotations

import pytest

from autoloop.tasks import get_task
from autoloop.testing.tasks import TaskCase, TaskContract


@pytest.mark.parametrize("name", ["curvefit:quadratic", "curvefit:wave"], scope="class")
class TestCurveFit(TaskContract):
    @pytest.fixture(scope="class")
    @classmethod
    def task_case(cls, name: str) -> TaskCase:
        return TaskCase(name, create=lambda: get_task(name))
