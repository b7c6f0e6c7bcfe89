"""Loading and splitting a labeled CSV: where the file is, its rows, train/val/test and K folds."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from autoloop.errors import DataError

if TYPE_CHECKING:  # pandas and sklearn load with the data, not with the task registry (`autoloop tasks`)
    import pandas as pd

SEED = 0
VAL_FRACTION = 0.2
TEST_FRACTION = 0.2
# Re-validation rows are carved from the training rows, as many as val: re-scoring the
# returned artifact on fresh data the size of val ranks runs about as well as 4x (issue 19's
# simulation: P(exact best) 0.55 / 0.81 at 4 / 32 seeds vs 0.58 / 0.76 for best validation),
# while shrinking val instead would make every checkpoint choice noisier. Train keeps 40%.
REVALIDATION_FRACTION = 0.2
FOLDS = 5

ProblemKind = Literal["classification", "regression"]


@dataclass(frozen=True)
class Splits:
    """Positional row indices of the labeled frame for each split, and the train folds.

    Attributes:
        train: Rows of the train split.
        val: Rows of the validation split (selection only).
        test: Rows of the held-out test split.
        revalidation: Rows that score each finished run's returned artifact once (carved from train).
        folds: ``(fit_rows, held_out_rows)`` per fold, both subsets of ``train``.
    """

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    revalidation: np.ndarray
    folds: tuple[tuple[np.ndarray, np.ndarray], ...]


def find_file(data: Path | str | None, filename: str, *, folders: tuple[str, ...] = (), hint: str) -> Path:
    """The file ``filename`` named by a data reference: the file itself, or ``filename`` in the
    directory ``data`` (or in one of its ``folders``).

    ``$AUTOLOOP_DATA`` is read where a run is created (``resolve_template``) and travels in the
    job, never here: a worker's own environment must not choose a run's data.

    Args:
        data: A file, or a directory holding ``filename``.
        filename: The file name looked for in a directory.
        folders: Subfolders of ``data`` also searched.
        hint: What to do when the file is missing (ends the error message; name --data and AUTOLOOP_DATA).

    Raises:
        DataError: No reference was given, or the file is in none of the places.
    """
    if not data:
        raise DataError(f"no data given for {filename}; {hint}")
    root = Path(os.path.expanduser(data))  # unlike Path.expanduser, leaves an unknown ~user as it is
    if root.is_file():
        return root
    if not root.exists():
        raise DataError(f"data {root} does not exist (neither a file nor a folder); {hint}")
    places = [root / filename, *(root / folder / filename for folder in folders)]
    for path in places:
        if path.is_file():
            return path
    raise DataError(f"{filename} not found (looked in {', '.join(str(p) for p in places)}); {hint}")


def read_csv(path: Path, **kwargs: Any) -> pd.DataFrame:
    """``pandas.read_csv`` with an unreadable or malformed file as a ``DataError`` naming it.

    Raises:
        DataError: The file cannot be read or parsed as CSV.
    """
    import pandas

    try:
        return pandas.read_csv(path, **kwargs)
    # What a wrong file or a file we may not read raises; anything else is a bug and propagates.
    except (pandas.errors.ParserError, pandas.errors.EmptyDataError, UnicodeDecodeError, PermissionError, IsADirectoryError) as exc:
        raise DataError(f"cannot read {path} as a CSV file with a header row ({type(exc).__name__}: {exc}); pass --data a CSV file") from None


def load_frame(path: Path, target: str) -> pd.DataFrame:
    """The labeled rows of the CSV at ``path``, in file order, rows without a ``target`` dropped.

    Raises:
        DataError: The file cannot be read or lacks the target column.
    """
    frame = read_csv(path)
    if target not in frame.columns:
        raise DataError(f"{path} has no column {target!r}; its columns are {list(frame.columns)}")
    return frame.dropna(subset=[target]).reset_index(drop=True)


def field_glossary(path: Path) -> str:
    """The field lines (``Name: meaning``) of a data description file, or ``""`` if absent."""
    if not path.is_file():
        return ""
    lines = path.read_text(errors="replace").splitlines()
    return "\n".join(line.strip() for line in lines if line and not line[0].isspace() and ":" in line)


def make_splits(labels: pd.Series, kind: ProblemKind, *, folds: int = FOLDS, seed: int = SEED) -> Splits:
    """Split rows 40/20/20/20 train/val/test/revalidation (stratified on the label for
    classification; val and test are the rows a 60/20/20 split gives, revalidation is carved
    from its train share) and cut train into folds.

    Raises:
        DataError: Too few rows, or a class too rare to appear in every split and fold.
    """
    from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

    rows = np.arange(len(labels))
    strat = labels.astype(str).to_numpy() if kind == "classification" else None
    try:
        rest, test = train_test_split(rows, test_size=TEST_FRACTION, random_state=seed, stratify=strat)
        rest_strat = strat[rest] if strat is not None else None
        val_share = VAL_FRACTION / (1 - TEST_FRACTION)
        train, val = train_test_split(rest, test_size=val_share, random_state=seed, stratify=rest_strat)
        revalidation_share = REVALIDATION_FRACTION / (1 - TEST_FRACTION - VAL_FRACTION)
        train, revalidation = train_test_split(
            train, test_size=revalidation_share, random_state=seed, stratify=strat[train] if strat is not None else None
        )
        splitter = StratifiedKFold(folds, shuffle=True, random_state=seed) if strat is not None else KFold(folds, shuffle=True, random_state=seed)
        fold_rows = tuple(
            (train[fit], train[held]) for fit, held in splitter.split(train, strat[train] if strat is not None else None)
        )
    except ValueError as exc:  # sklearn's refusal to split: too few rows or a class with a single member
        raise DataError(
            f"cannot split {len(labels)} labeled rows into train/val/test/revalidation and {folds} folds ({exc}); "
            "a classification target needs at least a few rows per class, or pass --metric rmse for a numeric target"
        ) from None
    return Splits(np.sort(train), np.sort(val), np.sort(test), np.sort(revalidation), fold_rows)
