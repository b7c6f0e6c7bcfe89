"""Prompt-task match modes: exact, fuzzy (BBEH's rules) and numeric, each pinned by example."""

from __future__ import annotations

import pytest

from autoloop.errors import ConfigError
from autoloop.tasks.prompt import MATCH_MODES, check_match, matches, parse_number


def test_the_modes_are_exact_fuzzy_numeric():
    assert MATCH_MODES == ("exact", "fuzzy", "numeric")


@pytest.mark.parametrize(
    ("answer", "target", "expected"),
    [
        ("Paris", "Paris", True),
        ("  Paris\n", "Paris ", True),  # surrounding whitespace only
        ("paris", "Paris", False),  # case counts
        ("Paris.", "Paris", False),
        ("(A)", "a", False),
        ("7.0", "7", False),
    ],
)
def test_exact_match_ignores_only_surrounding_whitespace(answer, target, expected):
    assert matches("exact", answer, target) is expected


@pytest.mark.parametrize(
    ("answer", "target", "expected"),
    [
        ("paris", "Paris", True),
        ("(A)", "a", True),
        ("7", "7.0", True),
        ("2, 3, 4", "2,3,4", True),
        ("The final answer is: \\boxed{4}.", "4", True),
        ("[emma, lily]", "emma, lily", True),
        ("it's", "its", True),
        ("London", "Paris", False),
        ("(AB)", "ab", False),
    ],
)
def test_fuzzy_match_follows_bbeh_rules(answer, target, expected):
    assert matches("fuzzy", answer, target) is expected


@pytest.mark.parametrize(
    ("answer", "target", "expected"),
    [
        ("7", "7", True),
        ("7.0", "7", True),
        (" 1,234.5 ", "1234.5", True),
        ("$12", "12", True),
        ("0.3333333", "0.33333333", True),  # within a relative 1e-6
        ("0.333", "0.3333333", False),
        ("-2", "2", False),
        ("seven", "7", False),  # an answer that is no number never matches
        ("7 apples", "7", False),
        ("nan", "nan", False),
        ("1e3", "1000", True),
    ],
)
def test_numeric_match_compares_numbers_within_a_relative_tolerance(answer, target, expected):
    assert matches("numeric", answer, target) is expected


def test_parse_number_reads_plain_numbers_only():
    assert (parse_number(" $1,000 "), parse_number("-0.5"), parse_number("inf"), parse_number("1/2")) == (1000.0, -0.5, None, None)


def test_an_unknown_mode_names_the_modes():
    with pytest.raises(ConfigError, match=r"unknown match mode 'regex'.*\['exact', 'fuzzy', 'numeric'\]"):
        check_match("regex")
    with pytest.raises(ConfigError, match="task option match"):
        matches("regex", "a", "a")  # type: ignore[arg-type]
