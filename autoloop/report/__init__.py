"""Study reports: one self-contained HTML page (plotly, JS inlined) from a study's recommendation.

``render_report`` is a pure function of the recorded data: the dict of
``Recommendation.to_dict()``, which ``autoloop tune --json`` prints and the service stores.
"""

from __future__ import annotations

from typing import Any

from autoloop.report._data import RunView, StudyData
from autoloop.report._page import FIGURES, FLAG_SENTENCE, render

__all__ = ["FIGURES", "FLAG_SENTENCE", "RunView", "StudyData", "render_report"]


def render_report(recommendation: dict[str, Any]) -> str:
    """The HTML report of a finished study.

    Args:
        recommendation: ``Recommendation.to_dict()`` (the JSON of ``autoloop tune --json``).

    Returns:
        One HTML document that opens without a network.

    Raises:
        ConfigError: ``recommendation`` is not a study's recommendation.
    """
    return render(StudyData.from_recommendation(recommendation))
