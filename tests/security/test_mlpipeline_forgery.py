"""ML pipeline: a candidate cannot find the held-out labels it is scored against.

The sandboxed child gets the fit rows with their labels and only the features of the rows
it predicts; the parent holds the labels and computes every metric and every piece of
feedback. The attacking ``train_model`` looks for labels of the rows it must predict,
matched by ``PassengerId``: with them it predicts perfectly (accuracy 1.0), without them it
falls back to the majority class (about 0.5). So a score near 1.0 means the attack worked.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from autoloop.tasks import get_task
from autoloop.tasks.mlpipeline import CsvTask

pytestmark = pytest.mark.integration

# Shared by both attacks: predict from what was found, or the majority class.
PREDICT = '''
    ids = list(test_data["PassengerId"])
    if all(i in found for i in ids):
        return [bool(found[i]) for i in ids]
    majority = bool(y.astype(bool).mean() >= 0.5)
    return [majority] * len(ids)
'''

IN_MEMORY = '''def train_model(x, y, test_data, task):
    import gc
    import sys

    import numpy as np
    import pandas as pd

    found = {}
    wanted = set(test_data["PassengerId"])

    def harvest(value, depth=0):
        if isinstance(value, pd.DataFrame) and {"PassengerId", "Transported"} <= set(value.columns):
            found.update(zip(value["PassengerId"], value["Transported"]))
        elif isinstance(value, pd.DataFrame) and "Transported" in value.columns and len(value) == len(wanted):
            found.update(zip(test_data["PassengerId"], value["Transported"]))  # aligned with the rows to predict
        elif isinstance(value, (pd.Series, np.ndarray)) and np.ndim(value) == 1 and len(value) == len(wanted):
            if set(pd.Series(value).dropna().astype(str)) <= {"True", "False", "0", "1"}:
                found.update(zip(test_data["PassengerId"], pd.Series(value).tolist()))
        elif isinstance(value, dict) and depth < 2:
            for item in list(value.values()):
                harvest(item, depth + 1)
        elif isinstance(value, (list, tuple)) and depth < 2:
            for item in list(value)[:100]:
                harvest(item, depth + 1)

    for obj in gc.get_objects():
        harvest(obj)
    frame = sys._getframe()
    while frame is not None:
        harvest(dict(frame.f_locals))
        harvest(dict(frame.f_globals))
        frame = frame.f_back
    for module in list(sys.modules.values()):
        harvest(dict(getattr(module, "__dict__", {})))
    found = {k: v for k, v in found.items() if k in wanted and not isinstance(v, float)}
''' + PREDICT

ON_DISK = '''def train_model(x, y, test_data, task):
    import os

    import pandas as pd

    roots = {KNOWN_DATA, "/work/shared/data", "/data", "/root", "/home", "/tmp", "/srv", "/mnt"}
    for name in ("AUTOLOOP_DATA", "AUTOLOOP_SHARED_DATA"):
        roots.add(os.environ.get(name, ""))
    pid = os.getppid()
    while pid > 1:  # the ancestors: their command lines, environment and working directories
        for part in ("cmdline", "environ"):
            try:
                with open(f"/proc/{pid}/{part}", "rb") as raw:
                    for item in raw.read().split(b"\\0"):
                        roots.add(item.decode(errors="replace").partition("=")[2] or item.decode(errors="replace"))
            except OSError:
                pass
        try:
            roots.add(os.readlink(f"/proc/{pid}/cwd"))
            with open(f"/proc/{pid}/status") as status:
                pid = int(next(line for line in status if line.startswith("PPid:")).split()[1])
        except (OSError, StopIteration, ValueError):
            break
    found = {}
    for root in sorted(r for r in roots if r.startswith("/") and os.path.isdir(r)):
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if not d.startswith(".")][:50]
            for file in files:
                if "spaceship" in file and file.endswith(".csv"):
                    try:
                        frame = pd.read_csv(os.path.join(folder, file))
                    except Exception:
                        continue
                    if {"PassengerId", "Transported"} <= set(frame.columns):
                        found.update(zip(frame["PassengerId"], frame["Transported"]))
            if len(found) > 1000:
                break
''' + PREDICT


@pytest.fixture(scope="module")
def spaceship(shared_data: Path) -> Iterator[CsvTask]:
    task = get_task("mlpipeline:spaceship-titanic", data_dir=shared_data / "mlagentbench")
    yield task
    task.close()


def _attack(task: CsvTask, train_model: str) -> None:
    artifact = task.starting_artifact("one_function")
    val = task.split("val")[0]
    honest = task.rollout(artifact, val, None)
    attacked = task.rollout(artifact.with_updates({"train_model": train_model}), val, None)
    assert honest.error is None and honest.score > 0.75, honest.error
    assert attacked.error is None, attacked.error
    # Accuracy 1.0 is what the labels would give; the majority class gives about 0.5.
    assert attacked.score < 0.6, f"the candidate found held-out labels: accuracy {attacked.score}"
    assert task.rollout(artifact, val, None).score == honest.score  # the loop goes on


def test_a_candidate_finds_no_held_out_labels_in_its_memory(spaceship: CsvTask) -> None:
    """gc, frames, every module's globals: the child's interpreter never held the labels."""
    _attack(spaceship, IN_MEMORY)


def test_a_candidate_cannot_read_the_labels_from_the_data_files(spaceship: CsvTask) -> None:
    """A walk of likely data paths, ancestors' command lines, environments and working directories."""
    _attack(spaceship, ON_DISK.replace("KNOWN_DATA", repr(str(spaceship.problem.path.parent))))
