"""BBEH scoring: official answer extraction and fuzzy matching, written from its documented rules."""

from __future__ import annotations

import pytest

from autoloop.tasks.bbeh import extract_final_answer, fuzzy_match, is_correct


@pytest.mark.parametrize(
    ("response", "target", "expected"),
    [
        ("The final answer is: \\boxed{4}.", "4", True),
        ("Ok The answer is: (A)", "a", True),
        ("Ok The answer is: (A)", "b", False),
        ("The answer is: **25**\nHere's why.", "25.0", True),
        ("The answer is: **25**\nHere's why.", "26.0", False),
        ("The final answer is: 2, 3, 4", "2,3,4", True),
        ("The final answer is: 2, 3, 4", "2,3,5", False),
        ("The answer is (E).", "(E)", True),
        ("reasoning... The answer is $\\text{no, yes}$", "no, yes", True),
        ("The answer is: [emma, lily]", "emma, lily", True),
        ("The answer is: it's", "its", True),
        ("The answer is: disproved?", "disproved", True),
        ("The answer is: proved", "disproved", False),
        ("The answer is: (AB)", "ab", False),
    ],
)
def test_is_correct_follows_bbeh_rules(response, target, expected):
    assert is_correct(response, target) is expected


def test_extraction_uses_the_last_marker_and_unwraps_latex():
    text = "The answer is: 3 at first. On reflection, The final answer is: $\\boxed{7}$"
    assert extract_final_answer(text) == "7"
    assert extract_final_answer("no marker at all.") == "no marker at all"


def test_parenthesized_letter_only_matches_its_own_letter():
    assert fuzzy_match("(c)", "c")
    assert fuzzy_match("c", "(c)")
    assert not fuzzy_match("(c)", "(d)")
    assert not fuzzy_match("1", "one")
