"""What the service checks when a study is submitted, before it stores anything.

A study that cannot run is refused with 422 and a message that names the request's field
(``task``, ``space``, ``budget.iterations``, ``data_dir``, ``optimizer``) and the fix, in the
API's vocabulary, never echoing the value sent. What only a worker can know (its own data
mounts, an endpoint that is down) still fails the study later, with the reason in ``error``.

Which data a tenant may name is ``DataAccess``'s decision and the per-tenant quotas are
``_quotas``'; both run before anything here reads data.
"""

from __future__ import annotations

from dataclasses import dataclass

from autoloop.controller import API_NAMES, Budget, SearchSpace, StudyPlan, resolve_strategy
from autoloop.errors import ConfigError, DataError, UnknownNameError
from autoloop.executors import RunTemplate
from autoloop.service._models import StudyCreate
from autoloop.service._operator import OperatorSettings
from autoloop.service._plugins import restart_advice
from autoloop.service._quotas import check_space_size
from autoloop.tasks import TaskInfo, describe_task, task_names


@dataclass(frozen=True)
class Admission:
    """A request that passed the checks, with what they resolved.

    Args:
        info: What the task declares (its metric is stored with the study).
        space: The settings the study searches.
        plan: The resolved study plan (stored and echoed with the study).
        budget: The study's limits.
    """

    info: TaskInfo
    space: SearchSpace
    plan: StudyPlan
    budget: Budget


def admit(request: StudyCreate, settings: OperatorSettings) -> Admission:
    """Check the task, space (within ``settings.max_settings``), plan and budget of ``request``.

    Raises:
        ConfigError: The first field that cannot work, by name (HTTP 422).
    """
    try:
        info = describe_task(request.task)
    except UnknownNameError:
        raise ConfigError(
            f"task: this service knows no such task; known tasks: {', '.join(task_names())} (GET /v1/tasks). {restart_advice()}"
        ) from None
    except ConfigError as exc:  # an open family rejects the variant's name
        raise ConfigError(f"task: {exc}") from None
    if request.data_dir is not None and info.reads_data is False:
        raise ConfigError("data_dir: this task reads no data; leave data_dir out")
    check_space_size(info, request.space, settings)
    try:
        space = SearchSpace.from_task(info, request.space)
    except ConfigError as exc:
        raise ConfigError(f"space: {exc}") from None
    plan = request.plan()
    budget = request.budget.limits(plan)
    plan.check_budget(budget, space, API_NAMES)
    if request.warm_start and not plan.takes_prior(space):
        raise ConfigError(
            f"warm_start: strategy {resolve_strategy(plan.strategy, space)!r} starts from no prior; "
            "use halving, racing or ttts (auto up to 64 settings), or leave warm_start out"
        )
    return Admission(info, space, plan, budget)


def check_data(template: RunTemplate) -> None:
    """Build the task here as a worker would, so missing or malformed data is refused now.

    Raises:
        ConfigError: The task cannot load its data (``data_dir``) or its options (``task``).
    """
    try:
        template.build_task().close()
    except DataError as exc:
        # The folder is named by its field: an error never echoes the request's values.
        reason = str(exc).replace(template.data_dir, "data_dir") if template.data_dir else f"{exc} (no data_dir given)"
        raise ConfigError(f"data_dir: the task cannot load its data: {reason}; set data_dir to the folder holding it") from None
    except ConfigError as exc:
        raise ConfigError(f"task: {exc}") from None
