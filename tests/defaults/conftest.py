"""The toy tasks of the controller tests (``counting:linear`` and ``toy:linear``), registered by importing them."""

import tests.controller.conftest  # noqa: F401 - registers counting:linear
import tests.toy_task  # noqa: F401 - registers toy:linear
