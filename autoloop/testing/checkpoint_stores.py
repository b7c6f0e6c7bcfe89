"""The contract every ``CheckpointStore`` keeps, as a pytest class to run against an implementation.

Example:
    >>> class TestMyStore(CheckpointStoreContract):  # doctest: +SKIP
    ...     @pytest.fixture
    ...     def store_case(self, tmp_path):
    ...         return StoreCase(MyStore(tmp_path), write_raw=lambda run_id, raw: ...)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from autoloop.checkpoints import Checkpoint, CheckpointStore
from autoloop.errors import StoreError
from autoloop.failures import FailureTally
from autoloop.testing._pytest import pytest

__all__ = ["UNSAFE_IDS", "CheckpointStoreContract", "StoreCase", "full_checkpoint", "store_case"]

# Run ids a store must either hold in isolation or refuse with StoreError (never escape with them).
UNSAFE_IDS = ("../escape", "a/b", "", "x" * 300, "sp ace", "new\nline", "nul\0byte", "é")
# Ids that differ only in characters a naive encoding could fold together.
SIBLING_IDS = ("run", "run:1", "run_1", "run-1", "run.1", "RUN", "run1")
# Raw payloads no store may turn into a Checkpoint, nor fail on with anything but StoreError.
UNREADABLE = (b"{not json", b"", b"null", b"[1, 2]", b'{"iteration": 1}', b'{"unknown": 1}', b"\xff\xfe\x00garbage")


@dataclass(frozen=True)
class StoreCase:
    """One store under test.

    Args:
        store: A fresh, empty store.
        write_raw: ``write_raw(run_id, raw)`` plants ``raw`` bytes where ``store`` keeps the
            checkpoint of ``run_id`` (to check that unreadable data raises ``StoreError``).
    """

    store: CheckpointStore
    write_raw: Callable[[str, bytes], None]


@pytest.fixture
def store_case() -> StoreCase:
    """Override in the test module: a ``StoreCase`` with a fresh store."""
    # The suite's only hook: a test module that subclasses the contract defines this fixture.
    pytest.fail(f"{__name__}: define a `store_case` fixture in your test module returning a StoreCase with a fresh store")


def full_checkpoint(iteration: int = 3, *, payload: str = "x") -> Checkpoint:
    """A checkpoint with every field set away from its default (so a dropped field shows)."""
    artifact = {"name": "start", "parameters": {"f": f"def f():\n    return '{payload}'\n"}, "editable": ["f"], "kind": "python"}
    return Checkpoint(
        iteration=iteration,
        current=artifact,
        best={**artifact, "context": "ünïcode ✓"},
        best_val=-0.125,
        curve=[[0, -1.5], [iteration, -0.125]],
        memory=[{"iteration": 1, "artifact_hash": "ab" * 8, "changed": ["f"], "batch_score": -2.0}],
        optimizer={"rng": [1, 2, 3], "usage": {"total_tokens": 17}},
        stale=2,
        elapsed_s=12.5,
        stopped="patience",
        test=0.75,
        failures=FailureTally(10, 4, (("ValueError: act returned 2", 3), ("timed out after 5 s", 1))),
    )


class CheckpointStoreContract:
    """What every checkpoint store guarantees; needs a ``store_case`` fixture (a ``StoreCase``)."""

    def test_load_of_unknown_id_is_none(self, store_case: StoreCase) -> None:
        assert store_case.store.load("never-saved") is None

    def test_round_trip_keeps_every_field(self, store_case: StoreCase) -> None:
        checkpoint = full_checkpoint()
        store_case.store.save("r1", checkpoint)
        loaded = store_case.store.load("r1")
        assert loaded == checkpoint
        assert loaded is not checkpoint  # a copy: later edits of the saved object must not leak in

    def test_defaults_round_trip(self, store_case: StoreCase) -> None:
        checkpoint = Checkpoint(0, {"name": "a"}, {"name": "a"}, 0.0)
        store_case.store.save("r1", checkpoint)
        assert store_case.store.load("r1") == checkpoint

    def test_latest_save_wins(self, store_case: StoreCase) -> None:
        store = store_case.store
        store.save("r1", full_checkpoint(1))
        store.save("r1", full_checkpoint(2, payload="y"))
        assert store.load("r1") == full_checkpoint(2, payload="y")

    def test_a_reader_never_sees_a_partial_write(self, store_case: StoreCase) -> None:
        store, writes = store_case.store, 60
        store.save("r1", full_checkpoint(0))
        errors: list[BaseException] = []

        def write() -> None:
            try:
                for i in range(1, writes + 1):
                    store.save("r1", full_checkpoint(i, payload="p" * 2000))
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread, which fails on it
                errors.append(exc)

        writer = threading.Thread(target=write)
        writer.start()
        seen = []
        while writer.is_alive():
            loaded = store.load("r1")
            assert loaded is not None, "a reader saw no checkpoint while one was being replaced"
            assert loaded in (full_checkpoint(0), full_checkpoint(loaded.iteration, payload="p" * 2000))
            seen.append(loaded.iteration)
        writer.join()
        assert not errors, errors
        assert seen == sorted(seen), "a reader saw an older checkpoint after a newer one"
        assert store.load("r1") == full_checkpoint(writes, payload="p" * 2000)

    def test_ids_are_isolated(self, store_case: StoreCase) -> None:
        store = store_case.store
        for i, run_id in enumerate(SIBLING_IDS):
            store.save(run_id, full_checkpoint(i))
        for i, run_id in enumerate(SIBLING_IDS):
            assert store.load(run_id) == full_checkpoint(i), f"run id {run_id!r} shares its checkpoint with another id"
        store.save("run", full_checkpoint(99))
        assert store.load("run:1") == full_checkpoint(1)

    @pytest.mark.parametrize("run_id", UNSAFE_IDS, ids=repr)
    def test_unsafe_id_is_refused_or_held_in_isolation(self, store_case: StoreCase, run_id: str) -> None:
        store = store_case.store
        store.save("neighbour", full_checkpoint(1))
        try:
            store.save(run_id, full_checkpoint(2))
        except StoreError:
            with pytest.raises(StoreError):
                store.load(run_id)
        else:
            assert store.load(run_id) == full_checkpoint(2)
        assert store.load("neighbour") == full_checkpoint(1)

    @pytest.mark.parametrize("raw", UNREADABLE, ids=repr)
    def test_unreadable_data_raises_store_error(self, store_case: StoreCase, raw: bytes) -> None:
        store_case.write_raw("r1", raw)
        with pytest.raises(StoreError):
            store_case.store.load("r1")
        store_case.store.save("r1", full_checkpoint())  # saving afresh over it works
        assert store_case.store.load("r1") == full_checkpoint()
