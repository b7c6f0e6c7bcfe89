"""Loading and splitting the MLAgentBench CSVs: deterministic train/val/test and K folds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from autoloop.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

DATA_ENV = "AUTOLOOP_DATA"
SUBFOLDER = "mlagentbench"
SEED = 0
VAL_FRACTION = 0.2
TEST_FRACTION = 0.2
FOLDS = 5

ProblemKind = Literal["classification", "regression"]


@dataclass(frozen=True)
class Dataset:
    """One MLAgentBench problem: its CSV, target column and kind."""

    variant: str
    filename: str
    target: str
    kind: ProblemKind


DATASETS = {
    "spaceship-titanic": Dataset("spaceship-titanic", "spaceship_titanic_train.csv", "Transported", "classification"),
    "house-prices": Dataset("house-prices", "house_prices_train.csv", "SalePrice", "regression"),
}
DESCRIPTION_FILE = "house_prices_data_description.txt"


@dataclass(frozen=True)
class Splits:
    """Positional row indices of the labeled frame for each split, and the train folds.

    Attributes:
        train: Rows of the train split.
        val: Rows of the validation split (selection only).
        test: Rows of the held-out test split.
        folds: ``(fit_rows, held_out_rows)`` per fold, both subsets of ``train``.
    """

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    folds: tuple[tuple[np.ndarray, np.ndarray], ...]


def resolve_data_dir(data_dir: Path | str | None, filename: str) -> Path:
    """The folder holding ``filename``: ``data_dir`` or its ``mlagentbench/``.

    ``$AUTOLOOP_DATA`` is read where a run is created (``resolve_template``) and travels in the
    job, never here: a worker's own environment must not choose a run's data.

    Raises:
        DataError: No directory was given, or the file is in neither place.
    """
    given = data_dir
    if not given:
        raise DataError(
            f"no data directory for the MLAgentBench tasks: pass --data DIR (or set {DATA_ENV}) "
            f"pointing at the folder that holds {filename}"
        )
    root = Path(given).expanduser()
    for folder in (root, root / SUBFOLDER):
        if (folder / filename).is_file():
            return folder
    raise DataError(
        f"{filename} not found in {root} (nor in {root / SUBFOLDER}); download the Kaggle train CSV "
        f"into that folder or pass --data / {DATA_ENV} pointing at the folder that holds it"
    )


def load_frame(dataset: Dataset, data_dir: Path | str | None) -> pd.DataFrame:
    """The labeled rows of ``dataset``, in file order, rows without a label dropped.

    Raises:
        DataError: The file is missing or lacks the target column.
    """
    path = resolve_data_dir(data_dir, dataset.filename) / dataset.filename
    import pandas as pd  # heavy: loaded with the data, not with the task registry

    frame = pd.read_csv(path)
    if dataset.target not in frame.columns:
        raise DataError(f"{path} has no {dataset.target!r} column; is it the Kaggle train CSV (not test.csv)?")
    return frame.dropna(subset=[dataset.target]).reset_index(drop=True)


def field_glossary(data_dir: Path) -> str:
    """The field lines of the House Prices data description (``Name: meaning``), or ``""`` if absent."""
    path = data_dir / DESCRIPTION_FILE
    if not path.is_file():
        return ""
    lines = path.read_text(errors="replace").splitlines()
    return "\n".join(line.strip() for line in lines if line and not line[0].isspace() and ":" in line)


def make_splits(labels: pd.Series, kind: ProblemKind, *, folds: int = FOLDS, seed: int = SEED) -> Splits:
    """Split rows 60/20/20 (stratified on the label for classification) and cut train into folds."""
    from sklearn.model_selection import KFold, StratifiedKFold, train_test_split  # heavy: loaded with the data, not the registry

    rows = np.arange(len(labels))
    strat = labels.to_numpy() if kind == "classification" else None
    rest, test = train_test_split(rows, test_size=TEST_FRACTION, random_state=seed, stratify=strat)
    rest_strat = strat[rest] if strat is not None else None
    val_share = VAL_FRACTION / (1 - TEST_FRACTION)
    train, val = train_test_split(rest, test_size=val_share, random_state=seed, stratify=rest_strat)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed) if strat is not None else KFold(folds, shuffle=True, random_state=seed)
    fold_rows = tuple(
        (train[fit], train[held]) for fit, held in splitter.split(train, strat[train] if strat is not None else None)
    )
    return Splits(np.sort(train), np.sort(val), np.sort(test), fold_rows)
