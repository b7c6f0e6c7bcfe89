"""Failures you can see: a candidate that always fails shows its count and message in every result."""

from __future__ import annotations

import json

import pytest

from autoloop.cli import main
from autoloop.errors import ConfigError
from autoloop.failures import KEPT_ERRORS, FailureTally
from autoloop.trace import Instance, Trace, failed_trace

MESSAGE = "ValueError: act returned 2; return an int in 0..1"


def _traces(*errors: str | None) -> list[Trace]:
    ok = Trace("i", "val", (), 1.0)
    return [ok if e is None else failed_trace(Instance("i", "val"), e, score=0.0) for e in errors]


def test_a_tally_counts_evaluations_failures_and_the_most_frequent_messages():
    tally = FailureTally().add(_traces(None, "ValueError: a\nTraceback (most recent call last): ...", "ValueError: a", "TimeoutError: b"))
    assert (tally.evaluations, tally.failed) == (4, 3)
    assert tally.errors == (("ValueError: a", 2), ("TimeoutError: b", 1))  # first line only, most frequent first
    assert tally.summary() == "3 of 4 evaluations failed: ValueError: a (2x); TimeoutError: b (1x)"
    assert FailureTally().add(_traces(None, None)).summary() is None


def test_merged_tallies_add_up_and_keep_a_bounded_list_of_messages():
    many = FailureTally().add(_traces(*(f"E{i}" for i in range(3 * KEPT_ERRORS))))
    both = many.merge(FailureTally().add(_traces("E0", None)))
    assert (both.evaluations, both.failed) == (3 * KEPT_ERRORS + 2, 3 * KEPT_ERRORS + 1)
    assert len(both.errors) == KEPT_ERRORS and both.errors[0] == ("E0", 2)
    assert FailureTally.from_dict(json.loads(json.dumps(both.to_dict()))) == both
    with pytest.raises(ConfigError, match="malformed failure tally"):
        FailureTally.from_dict({"failed": 1})


def test_run_of_a_candidate_that_always_fails_says_so_in_the_table_and_the_json(capsys):
    assert main(["run", "toy:broken", "--iterations", "2", "--batch-size", "1"]) == 0
    out = capsys.readouterr().out
    # 4 validation + 2 training + 4 validation + 4 validation + 2 re-validation + 2 test evaluations, all failed.
    assert "18/18" in out
    assert f"18 of 18 evaluations failed: {MESSAGE} (18x)" in out
    assert main(["run", "toy:broken", "--iterations", "2", "--batch-size", "1", "--json"]) == 0
    failures = json.loads(capsys.readouterr().out)["failures"]
    assert failures == {"evaluations": 18, "failed": 18, "errors": [[MESSAGE, 18]]}

