"""BBEH scoring: the benchmark's documented answer extraction and fuzzy matching.

Written from the rules of BIG-Bench Extra Hard's ``evaluate.py`` (google-deepmind/bbeh):

* extraction takes the text after the last "The answer is:" / "The final answer is"
  / "The answer is" marker (case-sensitive, applied in that order), drops one trailing
  period and unwraps ``$...$``, ``\\boxed{...}``, ``\\text{...}`` and ``\\texttt{...}``;
* the prediction is then lower-cased, ``", "`` becomes ``","``, bold ``**`` goes, only the
  first line is kept and a trailing period is dropped; the reference is stripped, lower-cased
  and gets the same comma rule;
* the two match when equal, when one is a single parenthesized letter ``(a)`` and the other
  that letter, when both parse as the same number (``25`` vs ``25.0``), when equal after
  removing single quotes, when one is the other in square brackets, or when the prediction
  is the reference plus a question mark.
"""

from __future__ import annotations

# Order matters: each marker found narrows the text to what follows its last occurrence.
ANSWER_MARKERS = ("The answer is:", "The final answer is ", "The final answer is: ", "The answer is ")
LATEX_WRAPPERS = ("boxed{", "text{", "texttt{")


def _unwrap_latex(text: str) -> str:
    if len(text) >= 2 and text.startswith("$") and text.endswith("$"):
        text = text[1:-1]
    for opener in LATEX_WRAPPERS:
        if opener in text and text.endswith("}"):
            text = text[:-1].partition(opener)[2]
    return text


def extract_final_answer(response: str) -> str:
    """The answer part of a model response, as BBEH's extraction defines it (case kept)."""
    answer = response.strip()
    for marker in ANSWER_MARKERS:
        if marker in answer:
            answer = answer.rpartition(marker)[2].strip()
    answer = answer.removesuffix(".")
    return _unwrap_latex(answer)


def normalize_prediction(response: str) -> str:
    """Extract and normalize a prediction before matching."""
    answer = extract_final_answer(response).lower().replace(", ", ",").replace("**", "")
    return answer.split("\n", 1)[0].removesuffix(".")


def normalize_reference(target: str) -> str:
    """Normalize a dataset target before matching."""
    return target.strip().lower().replace(", ", ",")


def _single_letter(text: str) -> str | None:
    return text[1] if len(text) == 3 and text[0] == "(" and text[-1] == ")" else None


def _same_number(a: str, b: str) -> bool:
    try:
        return float(a) == float(b)
    except ValueError:
        return False


def fuzzy_match(prediction: str, reference: str) -> bool:
    """BBEH's lenient comparison of a normalized prediction with a normalized reference."""
    if prediction == reference:
        return True
    letter = _single_letter(prediction)
    if letter is not None:
        return letter == reference
    letter = _single_letter(reference)
    if letter is not None:
        return letter == prediction
    return (
        _same_number(prediction, reference)
        or prediction.replace("'", "") == reference.replace("'", "")
        or prediction == f"[{reference}]"
        or reference == f"[{prediction}]"
        or prediction == f"{reference}?"
    )


def is_correct(response: str, target: str) -> bool:
    """True when ``response`` answers ``target`` under BBEH's official rules.

    Example:
        >>> is_correct("The final answer is: \\\\boxed{4}.", "4")
        True
    """
    return fuzzy_match(normalize_prediction(response), normalize_reference(target))
