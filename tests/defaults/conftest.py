"""The toy tasks of the controller tests (``counting:linear`` and ``toy:linear``), registered by importing them."""

import tests.controller.conftest
import tests.toy_task  # noqa: F401 - registers toy:linear
