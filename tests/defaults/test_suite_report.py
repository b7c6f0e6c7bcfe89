"""The report of a suite: the default's regret per task and the leave-one-task-out figures, as a plot."""

from __future__ import annotations

import pytest

from autoloop.controller import Cell, RobustDefaults, setting_key
from autoloop.errors import ConfigError
from autoloop.report import SUITE_FIGURE, render_report


def _block() -> dict:
    keys = [setting_key({"batch_size": b}) for b in (1, 3)]
    rows = {"t1": (1.0, 0.0), "t2": (1.0, 0.5), "odd": (0.0, 1.0)}
    table = {t: {k: Cell(v) for k, v in zip(keys, values, strict=True)} for t, values in rows.items()}
    return RobustDefaults.of(table).to_dict()


def test_a_suite_result_renders_the_regret_plot_and_names_the_task_it_does_not_transfer_to(tmp_path):
    block = _block()
    for source in ({"settings": {}, "robust_defaults": block}, block):  # tune --suite --json, autoloop defaults --json
        page = render_report(source)
        assert page.startswith("<!DOCTYPE html>") and f'id="{SUITE_FIGURE}"' in page
        assert "odd (regret 1.00)" in page and "default chosen without the task" in page


def test_a_block_from_an_older_autoloop_says_to_run_the_suite_again():
    block = _block()
    del block["regret_per_task"]
    with pytest.raises(ConfigError, match="run the suite again"):
        render_report(block)
