"""Study reports: one self-contained HTML page (plotly, JS inlined) from a study's recommendation.

``render_report`` is a pure function of the recorded data: the dict of
``Recommendation.to_dict()``, which ``autoloop tune --json`` prints and the service stores,
or a suite's result (``autoloop tune --suite --json``, ``autoloop defaults --json``): its
robust default, the default's regret per task and the leave-one-task-out check.
"""

from __future__ import annotations

from typing import Any

from autoloop.report._data import RunView, StudyData
from autoloop.report._page import FIGURES, FLAG_SENTENCE, render
from autoloop.report._suite import FIGURE_ID as SUITE_FIGURE
from autoloop.report._suite import render_suite, robust_block

__all__ = ["FIGURES", "FLAG_SENTENCE", "SUITE_FIGURE", "RunView", "StudyData", "render_report"]


def render_report(recommendation: dict[str, Any]) -> str:
    """The HTML report of a finished study, or of a suite.

    Args:
        recommendation: ``Recommendation.to_dict()`` (the JSON of ``autoloop tune --json``), or a
            suite's result (``tune --suite --json``, ``autoloop defaults --json``).

    Returns:
        One HTML document that opens without a network.

    Raises:
        ConfigError: ``recommendation`` is not a study's recommendation.
    """
    block = robust_block(recommendation)
    if block is not None:
        return render_suite(block)
    return render(StudyData.from_recommendation(recommendation))
