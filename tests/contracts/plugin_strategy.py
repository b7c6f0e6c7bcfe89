"""``AUTOLOOP_PLUGINS`` module for the service: registers the ``sweep`` strategy by name."""

from autoloop.controller import register_strategy
from tests.contracts.sweep import Sweep

register_strategy("sweep", Sweep)
