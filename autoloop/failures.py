"""FailureTally: how many candidate evaluations ran, how many failed, and why most often.

A run whose candidate always fails used to report only a low score. Every result (run, setting,
study) carries a tally, so a user reads "12 of 20 evaluations failed: ValueError: act returned
2; return an int in 0..1" instead of guessing from a validation score of 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from autoloop.errors import ConfigError
from autoloop.trace import Trace

# Distinct messages a tally keeps (the most frequent), and how many a summary shows.
KEPT_ERRORS = 5
SHOWN_ERRORS = 2
# A message is its first line, cut to this many characters: tracebacks and outputs stay out.
MESSAGE_CHARS = 160


def _message(error: str) -> str:
    line = error.strip().splitlines()[0] if error.strip() else "unknown error"
    return line if len(line) <= MESSAGE_CHARS else line[: MESSAGE_CHARS - 1] + "…"


@dataclass(frozen=True)
class FailureTally:
    """Candidate evaluations and their failures.

    Args:
        evaluations: Candidate evaluations made (one per trace).
        failed: How many of them failed (crash, timeout, exception, invalid output).
        errors: The most frequent failure messages with their counts, most frequent first.
    """

    evaluations: int = 0
    failed: int = 0
    errors: tuple[tuple[str, int], ...] = ()

    def add(self, traces: Iterable[Trace]) -> FailureTally:
        """This tally with ``traces`` counted in."""
        traces = list(traces)
        failed = [_message(t.error) for t in traces if t.error is not None]
        return self._combine(len(traces), len(failed), Counter(failed))

    def merge(self, other: FailureTally) -> FailureTally:
        """The tally of both (e.g. of all runs of one setting)."""
        return self._combine(other.evaluations, other.failed, Counter(dict(other.errors)))

    @classmethod
    def total(cls, tallies: Iterable[FailureTally]) -> FailureTally:
        """The tally of all of ``tallies`` (e.g. of every run of a study)."""
        out = cls()
        for tally in tallies:
            out = out.merge(tally)
        return out

    def _combine(self, evaluations: int, failed: int, errors: Counter[str]) -> FailureTally:
        counts = Counter(dict(self.errors)) + errors
        return FailureTally(self.evaluations + evaluations, self.failed + failed, tuple(counts.most_common(KEPT_ERRORS)))

    def summary(self) -> str | None:
        """``"12 of 20 evaluations failed: ValueError: ... (12)"``, or ``None`` when none failed."""
        if not self.failed:
            return None
        shown = "; ".join(f"{msg} ({n}x)" for msg, n in self.errors[:SHOWN_ERRORS])
        return f"{self.failed} of {self.evaluations} evaluations failed: {shown}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form; ``from_dict`` reads it back."""
        return {"evaluations": self.evaluations, "failed": self.failed, "errors": [[m, n] for m, n in self.errors]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FailureTally:
        """The tally ``to_dict`` wrote."""
        try:
            return cls(int(data["evaluations"]), int(data["failed"]), tuple((str(m), int(n)) for m, n in data["errors"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"malformed failure tally {data!r}: expected evaluations, failed and errors") from exc
