"""Name this module in ``AUTOLOOP_PLUGINS`` to use the task without installing the package."""

from autoloop.tasks import register_task
from autoloop_cartpole import FAMILY

register_task(FAMILY)
