"""Staged feedback, as in the paper's MLAgentBench setup: a verdict band plus advice.

Spaceship Titanic is staged by the held-out F1, House Prices by the held-out R^2 (on log
prices). Each band pairs what the number means with what to try next.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

# (lower bound of the band, advice), highest band first; the last band catches the rest.
F1_STAGES: Sequence[tuple[float, str]] = (
    (0.8, "Strong result. Gains now come from careful feature engineering (e.g. split Cabin into "
     "deck/number/side, total spending, group size from PassengerId) and light tuning; avoid "
     "changes that overfit the validation rows."),
    (0.7, "Decent but improvable. Engineer features from the structured columns (Cabin, PassengerId, "
     "the spending columns), handle missing values deliberately, and tune the model's depth, "
     "learning rate and number of trees."),
    (0.5, "Weak. Check that categorical columns are encoded and missing values imputed, that the "
     "predictions are True/False labels, and use a stronger model such as gradient boosting."),
    (float("-inf"), "Poor: close to or worse than guessing. The pipeline is likely broken: check that "
     "labels line up with rows, that predictions are True/False per test_data row, and that "
     "preprocessing treats fit and test rows the same way."),
)
R2_STAGES: Sequence[tuple[float, str]] = (
    (0.7, "Strong result. Try feature engineering (total square footage, age at sale, quality x "
     "size interactions), careful imputation and tuning; avoid overfitting the validation rows."),
    (0.5, "Decent but improvable. Predict log(SalePrice) and transform back, encode the quality "
     "columns as ordered numbers, and tune the model's depth, learning rate and number of trees."),
    # R^2 of exactly 0 is the mean predictor, so this band starts just above 0.
    (math.nextafter(0.0, 1.0), "Weak. Make sure missing values are imputed, categorical columns encoded, the model is "
     "trained on log(SalePrice), and predictions are positive prices in dollars."),
    (float("-inf"), "Poor: worse than predicting the mean price. The pipeline is likely broken: check "
     "that predictions are sale prices in dollars (not logs), positive, one per test_data row."),
)


def staged(value: float, stages: Sequence[tuple[float, str]]) -> str:
    """The advice of the first band whose lower bound ``value`` reaches; NaN falls to the last."""
    return next((advice for bound, advice in stages if value >= bound), stages[-1][1])


def feedback_text(kind: str, metrics: Mapping[str, float]) -> str:
    """Feedback for one scored fit: the numbers, then the staged advice.

    Args:
        kind: ``classification`` (staged by ``f1``) or ``regression`` (staged by ``r2``).
        metrics: ``accuracy`` and ``f1``, or ``rmse`` (of log prices) and ``r2``.
    """
    if kind == "classification":
        head = f"Held-out accuracy {metrics['accuracy']:.4f}, F1 {metrics['f1']:.4f}."
        return f"{head} {staged(metrics['f1'], F1_STAGES)}"
    head = f"Held-out RMSE of log(SalePrice) {metrics['rmse']:.4f} (lower is better), R^2 {metrics['r2']:.4f}."
    return f"{head} {staged(metrics['r2'], R2_STAGES)}"
