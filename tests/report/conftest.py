"""A real small study (toy task, local optimizer, best-arm search) whose recommendation the report tests render."""

from __future__ import annotations

from typing import Any

import pytest

from autoloop.controller import Budget, Controller, SearchSpace, StudyPlan
from autoloop.executors import LocalExecutor
from autoloop.tasks import TaskInfo
from tests.controller.conftest import CountingToyTask
from tests.toy_task import local_template


@pytest.fixture(scope="session")
def recommendation() -> dict[str, Any]:
    """``Recommendation.to_dict()`` of a 4-setting study on ``counting:linear`` (an error metric: lower is better)."""
    space = SearchSpace.from_task(TaskInfo.of(CountingToyTask), "batch_size=1,2;memory=0,3")
    with LocalExecutor(jobs=0) as executor:
        controller = Controller(
            local_template("counting:linear"), executor=executor, budget=Budget(iterations=80), space=space, plan=StudyPlan.resolve(iterations=4),
        )
        return controller.run().to_dict()
