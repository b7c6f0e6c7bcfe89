"""The outer controller: search over loop settings, prune, re-check on test, recommend."""

from autoloop.controller._executor import Executor, RunEvent
from autoloop.controller._local_executor import LocalExecutor, plugin_modules
from autoloop.controller._worker import execute_job

__all__ = ["Executor", "LocalExecutor", "RunEvent", "execute_job", "plugin_modules"]
