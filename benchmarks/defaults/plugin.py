"""The example plug-in (``examples/autoloop-curvefit``) for the defaults benchmark, loaded the way the
service loads one: ``AUTOLOOP_PLUGINS=benchmarks.defaults.plugin`` with the example on ``PYTHONPATH``."""

from autoloop_curvefit import FAMILY

from autoloop.tasks import register_task

register_task(FAMILY)
