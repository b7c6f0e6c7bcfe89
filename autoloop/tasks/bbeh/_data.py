"""BBEH data: find a task's ``task.json``, load its examples, split them in dataset order (a prompt dataset)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from autoloop.errors import ConfigError, DataError
from autoloop.tasks.prompt import Example, parse_examples
from autoloop.tasks.prompt import split_examples as split_prompt_examples
from autoloop.trace import Split

ENV_DATA = "AUTOLOOP_DATA"
# The eight tasks of the paper's batch-size case study; any other BBEH task loads too.
PAPER_TASKS = (
    "dyck_languages",
    "geometric_shapes",
    "linguini",
    "causal_understanding",
    "disambiguation_qa",
    "boolean_expressions",
    "movie_recommendation",
    "boardgame_qa",
)
N_TRAIN = 15
N_VAL = 10
_VARIANT = re.compile(r"[a-z0-9_]+")


def check_variant(variant: str) -> str:
    """Return ``variant`` if it is a plausible BBEH task name (``snake_case``), else raise.

    Raises:
        ConfigError: The name has characters a BBEH task folder never has.
    """
    if not _VARIANT.fullmatch(variant):
        raise ConfigError(f"BBEH task name must be lower snake_case like 'dyck_languages', got {variant!r}")
    return variant


def task_dir(variant: str, data_dir: Path | None) -> Path:
    """The folder holding ``task.json`` for ``variant``.

    ``data_dir`` (``$AUTOLOOP_DATA`` when the run was created without ``--data``) may be the BBEH folder itself or a folder containing
    ``bbeh/``; the task folder may be named ``bbeh_<task>`` (as released) or ``<task>``.

    Raises:
        DataError: No data directory was given, or it holds no such task.
    """
    check_variant(variant)
    if data_dir is None:  # $AUTOLOOP_DATA is read where the run is created, never on a worker
        raise DataError(f"BBEH task {variant!r} needs its data: pass --data DIR or set {ENV_DATA} to a folder holding bbeh_{variant}/task.json")
    roots = (data_dir, data_dir / "bbeh")
    candidates = [root / name / "task.json" for root in roots for name in (f"bbeh_{variant}", variant)]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.parent
    raise DataError(
        f"BBEH task {variant!r} not found under {data_dir}: expected one of "
        f"{', '.join(str(c) for c in candidates)}; point --data (or {ENV_DATA}) at the BBEH data folder"
    )


def load_examples(folder: Path) -> list[Example]:
    """Read ``folder/task.json`` (``{"examples": [{"input": ..., "target": ...}, ...]}``).

    Raises:
        DataError: The file is not valid JSON or lacks ``examples`` with string fields.
    """
    path = folder / "task.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read BBEH task file {path}: {exc}") from exc
    examples = raw.get("examples") if isinstance(raw, dict) else None
    if not isinstance(examples, list) or not examples:
        raise DataError(f"{path} has no 'examples' list; expected {{'examples': [{{'input': ..., 'target': ...}}]}}")
    return parse_examples(((f"example {index}", item) for index, item in enumerate(examples)), path)


def split_examples(examples: Sequence[Example], *, n_train: int = N_TRAIN, n_val: int = N_VAL) -> dict[Split, list[Example]]:
    """Split in dataset order, as the paper does: the first ``n_train`` train, the next ``n_val`` val,
    the rest test, of which the first ``4 x n_val`` (at most half) are held back for re-validation
    (40 of a 200-example task's 175, leaving 135 test; see ``autoloop.tasks.prompt._data``).

    Raises:
        ConfigError: A size is not positive.
        DataError: Too few examples to leave non-empty revalidation and test splits.
    """
    return split_prompt_examples(examples, n_train=n_train, n_val=n_val, seed=None)
