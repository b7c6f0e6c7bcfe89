"""Match modes: when an extracted answer counts as the target (trusted side, never confined).

* ``exact``: equal after stripping surrounding whitespace (case and inner spacing count).
* ``fuzzy``: BIG-Bench Extra Hard's official rules (``is_correct``): case-insensitive, the
  answer markers and LaTeX wrappers removed, ``(a)`` equals ``a``, ``25`` equals ``25.0``,
  quotes, brackets and a trailing ``?`` forgiven. BBEH tasks score with this mode.
* ``numeric``: both sides read as numbers (surrounding whitespace, thousands separators ``,``
  and a leading ``$`` ignored) and equal within a relative tolerance of 1e-6; an answer that
  is no number does not match. Every target of a numeric task must be a number.
"""

from __future__ import annotations

import math
from typing import Literal, get_args

from autoloop.errors import ConfigError
from autoloop.tasks.prompt._fuzzy import is_correct

MatchMode = Literal["exact", "fuzzy", "numeric"]
MATCH_MODES: tuple[str, ...] = get_args(MatchMode)
REL_TOL = 1e-6
# How each mode reads to the optimizer, in the task's background.
DESCRIPTIONS = {
    "exact": "exactly equal to the expected answer (surrounding whitespace ignored; case counts)",
    "fuzzy": "equal to the expected answer under lenient matching (case, option brackets like (A), "
    "number formatting, quotes and list spacing are forgiven)",
    "numeric": "the same number as the expected answer (within a relative 1e-6; thousands separators "
    "and a leading $ are ignored); the answer must be a plain number",
}


def parse_number(text: str) -> float | None:
    """``text`` as a finite number, or ``None`` (``" $1,234.5 "`` reads as 1234.5)."""
    cleaned = text.strip().replace(",", "").removeprefix("$")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def exact_match(answer: str, target: str) -> bool:
    """Equal after stripping surrounding whitespace."""
    return answer.strip() == target.strip()


def numeric_match(answer: str, target: str) -> bool:
    """Both parse as numbers and agree within ``REL_TOL`` (an absolute 1e-9 near zero)."""
    got, want = parse_number(answer), parse_number(target)
    return got is not None and want is not None and math.isclose(got, want, rel_tol=REL_TOL, abs_tol=1e-9)


_MATCHERS = {"exact": exact_match, "fuzzy": is_correct, "numeric": numeric_match}


def check_match(mode: str) -> MatchMode:
    """Return ``mode`` if it is a match mode, else raise.

    Raises:
        ConfigError: Naming the modes to choose from.
    """
    if mode not in _MATCHERS:
        raise ConfigError(f"unknown match mode {mode!r}; set the task option match to one of {list(MATCH_MODES)}")
    return mode  # type: ignore[return-value]


def matches(mode: MatchMode, answer: str, target: str) -> bool:
    """True when ``answer`` counts as ``target`` under ``mode``.

    Example:
        >>> matches("numeric", "1,000.0", "1000")
        True
        >>> matches("exact", "Paris", "paris")
        False

    Raises:
        ConfigError: ``mode`` is no match mode.
    """
    return _MATCHERS[check_match(mode)](answer, target)
