"""Every registered pruner passes ``PrunerContract``."""

from __future__ import annotations

import pytest

from autoloop.controller import pruner_names
from autoloop.testing.pruners import PrunerContract


class TestEveryPruner(PrunerContract):
    @pytest.fixture(params=pruner_names())
    def pruner_name(self, request: pytest.FixtureRequest) -> str:
        return request.param
