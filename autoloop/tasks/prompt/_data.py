"""Prompt datasets: ``{"input", "target"}`` pairs from a JSONL or CSV file, and their split.

The split is deterministic for a file: the examples, in file order, are shuffled by a
``random.Random(seed)`` (no shuffle when ``seed`` is ``None``), then the first ``n_train`` are
train, the next ``n_val`` val and the next ``n_test`` test (default: all the rest). Defaults:
15 train, 10 val, the rest test, seed 0: the sizes of the BBEH study, which keeps file order.
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
    examples: Sequence[Example], *, n_train: int = N_TRAIN, n_val: int = N_VAL, n_test: int | None = None, seed: int | None = SPLIT_SEED
) -> dict[Split, list[Example]]:
    """Split ``examples`` into train, val and test (see the module docstring).

    Raises:
        ConfigError: A size is not positive.
        DataError: Too few examples for the sizes and a non-empty test split.
    """
    if n_train < 1 or n_val < 1 or (n_test is not None and n_test < 1):
        raise ConfigError(f"split sizes must be >= 1, got {n_train=}, {n_val=}, {n_test=}")
    needed = n_train + n_val + (n_test or 1)
    if len(examples) < needed:
        raise DataError(
            f"{len(examples)} examples are too few for {n_train} train + {n_val} val + {n_test or 'a'} test; "
            "add examples or lower the task options n_train / n_val / n_test"
        )
    order = list(examples)
    if seed is not None:
        random.Random(seed).shuffle(order)
    end = None if n_test is None else n_train + n_val + n_test
    return {"train": order[:n_train], "val": order[n_train : n_train + n_val], "test": order[n_train + n_val : end]}
