"""Trusted sandbox entry points: run a prompt artifact's ``prompt`` and ``extract_answer``.

These functions execute inside the sandbox child; the candidate source is untrusted.
"""

from __future__ import annotations

from autoloop.sandbox import candidate_function, exec_candidate


def render_prompt(source: str) -> str:
    """Call the candidate's ``prompt()`` and return its text.

    Raises:
        TypeError: ``prompt`` is missing or does not return a string (reported as a failed outcome).
    """
    namespace = exec_candidate(source)
    text = candidate_function(namespace, "prompt")()
    if not isinstance(text, str):
        raise TypeError(f"prompt() must return a str, got {type(text).__name__}")
    return text


def extract_answers(source: str, responses: list[str]) -> list[tuple[bool, str]]:
    """Apply the candidate's ``extract_answer`` to every response of a batch.

    Returns:
        One ``(ok, answer_or_error)`` pair per response, so one bad reply fails one trace.
    """
    extract = candidate_function(exec_candidate(source), "extract_answer")
    results: list[tuple[bool, str]] = []
    for response in responses:
        try:
            answer = extract(response)
        # Any exception is the candidate's failure on this one response; it becomes feedback.
        except Exception as exc:  # noqa: BLE001
            results.append((False, f"extract_answer raised {type(exc).__name__}: {exc}"))
            continue
        if type(answer) is str:  # exactly str: a subclass could smuggle code through pickling
            results.append((True, answer))
        else:
            results.append((False, f"extract_answer must return a str, got {type(answer).__name__}"))
    return results

