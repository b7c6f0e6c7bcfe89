"""Prompt datasets: ``{"input", "target"}`` pairs from a JSONL or CSV file, and their split.

The split is deterministic for a file: the examples, in file order, are shuffled by a
``random.Random(seed)`` (no shuffle when ``seed`` is ``None``), then the first ``n_train`` are
train, the next ``n_val`` val, the next ``n_revalidation`` revalidation (held back from the
test pool) and the next ``n_test`` test (default: all the rest). Defaults: 15 train, 10 val,
seed 0 (the sizes of the BBEH study, which keeps file order); revalidation ``4 x n_val``
(40), at most half the pool after train and val (at most what ``n_test`` leaves), at least 1.

Why 4 x val: re-validation ranks each run by its returned artifact, and one example is a
0/1 score, so 10 examples rank runs barely better than chance; issue 19's simulation
reaches P(exact best) 0.62 / 0.86 at 4 / 32 seeds with 4x val against 0.55 / 0.81 with 1x.
It costs one executor call per example per finished run (40), against at least 165 for a
15-update run's validations and batches. BBEH's 200-example tasks keep 135 test examples.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autoloop.errors import ConfigError, DataError
from autoloop.trace import Split

N_TRAIN = 15
N_VAL = 10
REVALIDATION_PER_VAL = 4
SPLIT_SEED = 0
SUFFIXES = (".jsonl", ".csv")
FIELDS = ("input", "target")


@dataclass(frozen=True)
class Example:
    """One example: the input the executor answers and the target it is scored against."""

    input: str
    target: str


def parse_examples(records: Iterable[tuple[str, Any]], source: Path) -> list[Example]:
    """Check ``(where, record)`` pairs and build examples; a number target is read as text.

    Raises:
        DataError: A record is not an object with a string ``input`` and a string (or number) ``target``.
    """
    out = []
    for where, item in records:
        target = item.get("target") if isinstance(item, dict) else None
        if isinstance(target, int | float) and not isinstance(target, bool):
            target = str(target)
        if not (isinstance(item, dict) and isinstance(item.get("input"), str) and isinstance(target, str)):
            raise DataError(f"{source}: {where} needs string 'input' and 'target' fields")
        out.append(Example(item["input"], target))
    return out


def _jsonl_records(path: Path, text: str) -> list[tuple[str, Any]]:
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                records.append((f"line {number}", json.loads(line)))
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}: line {number} is not JSON ({exc}); write one {{\"input\": ..., \"target\": ...}} object per line") from None
    return records


def _csv_records(path: Path, text: str) -> list[tuple[str, Any]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))  # a quoted field may span lines
    missing = [f for f in FIELDS if f not in (reader.fieldnames or [])]
    if missing:
        raise DataError(f"{path}: the CSV header {reader.fieldnames} lacks columns {missing}; name the columns input and target")
    # Row numbers count the header as row 1, as a spreadsheet shows them.
    return [(f"row {number}", row) for number, row in enumerate(reader, 2)]


def load_dataset(path: Path) -> list[Example]:
    """Read the examples of a ``.jsonl`` file (one ``{"input", "target"}`` object per line;
    other keys are ignored) or a ``.csv`` file (columns ``input`` and ``target``; others ignored).

    Raises:
        DataError: The file is missing, of another kind, malformed or empty; the message says what to fix.
    """
    if path.suffix.lower() not in SUFFIXES:
        raise DataError(f"prompt data {path} must be a .jsonl or .csv file of input/target pairs")
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: spreadsheet exports start with a byte-order mark
    except OSError as exc:
        raise DataError(f"cannot read prompt data {path}: {exc}; pass --data FILE.jsonl (or .csv)") from None
    records = _jsonl_records(path, text) if path.suffix.lower() == ".jsonl" else _csv_records(path, text)
    examples = parse_examples(records, path)
    if not examples:
        raise DataError(f"prompt data {path} holds no examples")
    return examples


def split_examples(
    examples: Sequence[Example],
    *,
    n_train: int = N_TRAIN,
    n_val: int = N_VAL,
    n_test: int | None = None,
    n_revalidation: int | None = None,
    seed: int | None = SPLIT_SEED,
) -> dict[Split, list[Example]]:
    """Split ``examples`` into train, val, revalidation and test (see the module docstring).

    Raises:
        ConfigError: A size is not positive.
        DataError: Too few examples for the sizes and non-empty revalidation and test splits.
    """
    sizes = {"n_train": n_train, "n_val": n_val, "n_test": n_test, "n_revalidation": n_revalidation}
    if any(v is not None and v < 1 for v in sizes.values()):
        raise ConfigError(f"split sizes must be >= 1, got {', '.join(f'{k}={v}' for k, v in sizes.items())}")
    if n_revalidation is None:
        pool = len(examples) - n_train - n_val
        n_revalidation = min(REVALIDATION_PER_VAL * n_val, pool - n_test if n_test is not None else pool // 2)
    if n_revalidation < 1 or len(examples) < n_train + n_val + n_revalidation + (n_test or 1):
        raise DataError(
            f"{len(examples)} examples are too few for {n_train} train + {n_val} val + "
            f"{max(n_revalidation, 1)} revalidation + {n_test or 'a'} test; "
            "add examples or lower the task options n_train / n_val / n_revalidation / n_test"
        )
    order = list(examples)
    if seed is not None:
        random.Random(seed).shuffle(order)
    held = n_train + n_val + n_revalidation
    end = None if n_test is None else held + n_test
    return {
        "train": order[:n_train], "val": order[n_train : n_train + n_val],
        "revalidation": order[n_train + n_val : held], "test": order[held:end],
    }
