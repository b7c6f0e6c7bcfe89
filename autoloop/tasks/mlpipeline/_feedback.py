"""Staged feedback, as in the paper's MLAgentBench setup: the numbers, a verdict band and advice.

Classification is staged by the held-out macro F1, regression by the held-out R^2 (on log
values for ``rmse_log``). Each band pairs what the number means with what to try next; the
advice names no data set, so it holds for any CSV.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

# (lower bound of the band, advice), highest band first; the last band catches the rest.
F1_STAGES: Sequence[tuple[float, str]] = (
    (0.8, "Strong result. Gains now come from careful feature engineering (split structured text "
     "columns such as codes or ids into their parts, ratios and totals of numeric columns, counts "
     "per group) and light tuning; avoid changes that overfit the validation rows."),
    (0.7, "Decent but improvable. Engineer features from the structured columns, handle missing "
     "values deliberately, balance rare classes (class weights), and tune the model's depth, "
     "learning rate and number of trees."),
    (0.5, "Weak. Check that categorical columns are encoded and missing values imputed, that the "
     "predictions are labels as they appear in y, and use a stronger model such as gradient boosting."),
    (float("-inf"), "Poor: close to or worse than guessing. The pipeline is likely broken: check that "
     "labels line up with rows, that predictions are class labels (as in y) per test_data row, and "
     "that preprocessing treats fit and test rows the same way."),
)
R2_STAGES: Sequence[tuple[float, str]] = (
    (0.7, "Strong result. Try feature engineering (sums, ratios and interactions of related "
     "columns), careful imputation and tuning; avoid overfitting the validation rows."),
    (0.5, "Decent but improvable. Learn a skewed target on a log scale and transform back, encode "
     "ordered categories as numbers, and tune the model's depth, learning rate and number of trees."),
    # R^2 of exactly 0 is the mean predictor, so this band starts just above 0.
    (math.nextafter(0.0, 1.0), "Weak. Make sure missing values are imputed, categorical columns "
     "encoded, and predictions are in the target's own units, one per test_data row."),
    (float("-inf"), "Poor: no better than predicting the mean. The pipeline is likely broken: check "
     "that predictions are in the target's own units (not logs or scaled values), line up with the "
     "test_data rows, and that preprocessing treats fit and test rows the same way."),
)


def staged(value: float, stages: Sequence[tuple[float, str]]) -> str:
    """The advice of the first band whose lower bound ``value`` reaches; NaN falls to the last."""
    return next((advice for bound, advice in stages if value >= bound), stages[-1][1])


def feedback_text(metric: str, metrics: Mapping[str, float]) -> str:
    """Feedback for one scored fit: the numbers, then the staged advice.

    Args:
        metric: ``accuracy`` (staged by ``f1``), ``rmse`` or ``rmse_log`` (staged by ``r2``).
        metrics: ``accuracy``, ``f1`` and ``majority`` (the most frequent class's share), or
            ``rmse`` and ``r2``.
    """
    if metric == "accuracy":
        head = (
            f"Held-out accuracy {metrics['accuracy']:.4f} (always guessing the most frequent class: "
            f"{metrics['majority']:.4f}), macro F1 {metrics['f1']:.4f}."
        )
        return f"{head} {staged(metrics['f1'], F1_STAGES)}"
    scale = " of log values" if metric == "rmse_log" else ""
    head = f"Held-out RMSE{scale} {metrics['rmse']:.4f} (lower is better), R^2 {metrics['r2']:.4f}."
    return f"{head} {staged(metrics['r2'], R2_STAGES)}"
