"""A machine-learning pipeline for a tabular problem (one labeled CSV), as one function.

The argument ``task`` names what is scored, and so what to predict:

- ``task == "accuracy"``: classification. Predict the class label of each row, as the labels
  appear in ``y`` (strings, numbers or True/False); scored by accuracy.
- ``task == "rmse"``: regression. Predict the target in its own units; scored by the RMSE.
- ``task == "rmse_log"``: regression scored by the RMSE between log(predicted) and log(true)
  values; predictions must be positive, in the target's own units (not logs).

``x`` and ``test_data`` are pandas DataFrames with the same raw columns (the target removed);
``y`` is a pandas Series aligned with ``x``. The runner calls
``predictions = train_model(x, y, test_data, task)``, which runs the whole pipeline (the
stages described in its docstring) and returns one prediction per ``test_data`` row; the
runner scores them.
"""

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor


def train_model(x, y, test_data, task):
    """Preprocess, preprocess(x, test_data, task) -> (x, test_data): turn the raw columns into
    numeric or categorical features, learning every statistic from x only and applying it to
    both frames so they keep the same columns. Columns missing in most rows are dropped;
    text columns with few distinct values become pandas categoricals, identifier-like text
    columns (ids, names, free text) are dropped; boolean columns become 0/1.

    Select features, select_features(x, y, test_data, task) -> (x, test_data): keep the
    columns that can carry signal. A column where one value fills almost every row of x is
    dropped from both frames.

    Train, train_model(x, y, task) -> model: fit a model on the features. For rmse_log the
    model learns log(y), which matches the log-scale metric; for rmse it learns y itself; for
    accuracy it learns the class labels as given. Gradient boosting handles the categorical
    columns and the missing values natively.

    Predict, predict(model, test_data, task) -> predictions: one value per test_data row,
    in order. Classification returns the most probable class label of each row (as in y);
    regression returns values in the target's own units (exp of the log model for rmse_log)."""
    max_missing = 0.6
    max_categories = 60
    x, test_data = x.copy(), test_data.copy()
    for column in list(x.columns):
        values = x[column]
        if values.isna().mean() > max_missing:
            x, test_data = x.drop(columns=column), test_data.drop(columns=column)
        elif pd.api.types.is_numeric_dtype(values):
            x[column] = values.astype(float)
            test_data[column] = test_data[column].astype(float)
        elif values.nunique() <= max_categories:
            categories = sorted(values.dropna().astype(str).unique())
            x[column] = pd.Categorical(values.where(values.isna(), values.astype(str)), categories=categories)
            new = test_data[column]
            test_data[column] = pd.Categorical(new.where(new.isna(), new.astype(str)), categories=categories)
        else:
            x, test_data = x.drop(columns=column), test_data.drop(columns=column)

    max_dominance = 0.995
    keep = [c for c in x.columns if x[c].value_counts(normalize=True, dropna=False).iloc[0] < max_dominance]
    x, test_data = x[keep], test_data[keep]

    if task in ("rmse", "rmse_log"):
        model = HistGradientBoostingRegressor(
            max_iter=300,
            learning_rate=0.05,
            max_leaf_nodes=15,
            min_samples_leaf=10,
            l2_regularization=0.1,
            categorical_features="from_dtype",
            random_state=0,
        )
        target = y.astype(float)
        if task == "rmse_log":
            model.fit(x, np.log(target))
            return np.exp(model.predict(test_data))
        model.fit(x, target)
        return model.predict(test_data)
    model = HistGradientBoostingClassifier(
        max_iter=200,
        learning_rate=0.05,
        max_leaf_nodes=31,
        min_samples_leaf=20,
        l2_regularization=0.1,
        categorical_features="from_dtype",
        random_state=0,
    )
    model.fit(x, y)
    probabilities = model.predict_proba(test_data)
    return model.classes_[np.argmax(probabilities, axis=1)]
