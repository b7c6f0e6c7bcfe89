"""Reading the ``llm`` optimizer's replies: a JSON object or fenced blocks, validated against the artifact.

Either answer format is accepted whichever was asked for; a reply that fits neither is
rejected with the exact problem (the JSON decoder's message and where, or what the fenced
format lacks), which the optimizer shows back to the model.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from typing import Any

from autoloop.artifact import Artifact
from autoloop.llm import AnswerFormat
from autoloop.optimizers._prompt import clip

JSON_FENCE = re.compile(r"```(?:json|JSON)?\s*\n(.*?)```", re.DOTALL)
# A heading that names a parameter, then one fenced block: its complete new text.
SECTION = re.compile(r"^#{1,6}[ \t]*`?([A-Za-z_][\w.-]*)`?[ \t]*\n+```[\w+-]*[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
HEADING = re.compile(r"^#{1,6}[ \t]", re.MULTILINE)
REASONING_LABEL = re.compile(r"^\s*(?:#+\s*)?reasoning\s*:?\s*", re.IGNORECASE)
MAX_REPLY_ECHO = 200
NEAR_CHARS = 40


def parse_reply(text: str, artifact: Artifact, *, expected: AnswerFormat = "json") -> tuple[str, dict[str, str]]:
    """The reasoning and the validated updates in a reply, in either answer format.

    Args:
        text: The reply.
        artifact: The artifact the updates apply to.
        expected: The format the model was asked for; a reply in neither is explained in its terms.

    Raises:
        ValueError: The reply is in neither format; a name is unknown or read-only; a Python
            update does not parse or drops a function it must define.
    """
    sections = SECTION.findall(text)
    if sections:
        first = HEADING.search(text)
        reasoning = REASONING_LABEL.sub("", text[: first.start() if first else 0]).strip()
        updates: Mapping[str, Any] = dict(sections)
    else:
        try:
            data = extract_json_object(text)
        except ValueError as exc:
            if expected == "fenced":
                raise ValueError(
                    "no '### <parameter name>' heading followed by a fenced code block was found "
                    f"(and no JSON object: {exc})"
                ) from None
            raise
        updates = data.get("updates")
        if not isinstance(updates, Mapping):
            raise ValueError(f'the JSON object needs an "updates" object mapping parameter names to text; got keys {sorted(data)}')
        reasoning = str(data.get("reasoning", ""))
    return reasoning, _validated(updates, artifact)


def _validated(updates: Mapping[str, Any], artifact: Artifact) -> dict[str, str]:
    clean: dict[str, str] = {}
    for name, value in updates.items():
        if value is None:
            continue
        if name not in artifact.parameters:
            raise ValueError(f"unknown parameter {name!r}; the editable parameters are {sorted(artifact.editable)}")
        if name not in artifact.editable:
            raise ValueError(f"parameter {name!r} is read-only; the editable parameters are {sorted(artifact.editable)}")
        if not isinstance(value, str):
            raise ValueError(f"the update of {name!r} must be a string of its complete new text, got {type(value).__name__}")
        if artifact.kind == "python":
            _check_python(name, value, artifact.parameters[name])
        clean[name] = value
    return clean


def extract_json_object(text: str) -> dict[str, Any]:
    """The first JSON object in ``text``: inside a fenced block if there is one, else anywhere.

    Raises:
        ValueError: No JSON object could be decoded; the message gives the decoder's
            complaint at the first ``{`` and the text around it.
    """
    decoder = json.JSONDecoder()
    first_error: json.JSONDecodeError | None = None
    for candidate in [*JSON_FENCE.findall(text), text]:
        for start in (i for i, ch in enumerate(candidate) if ch == "{"):
            try:
                value, _ = decoder.raw_decode(candidate, start)
            except json.JSONDecodeError as exc:
                first_error = first_error or exc
                continue
            if isinstance(value, dict):
                return value
    if first_error is not None:
        near = first_error.doc[max(first_error.pos - NEAR_CHARS, 0) : first_error.pos + NEAR_CHARS]
        raise ValueError(
            f"the JSON object is invalid: {first_error.msg} at line {first_error.lineno} column {first_error.colno} "
            f"(near {near!r}); inside JSON strings escape every quote as \\\" and every newline as \\n"
        )
    raise ValueError(f"no JSON object found in the reply (it began: {clip(text.strip(), MAX_REPLY_ECHO)!r})")


def _check_python(name: str, new: str, old: str) -> None:
    try:
        tree = ast.parse(new)
    except SyntaxError as exc:
        raise ValueError(f"the update of {name!r} is not valid Python: {exc.msg} (line {exc.lineno}: {(exc.text or '').strip()!r})") from None
    try:
        required = _function_names(ast.parse(old))
    except SyntaxError:
        required = set()  # the current text is not parseable on its own: nothing to hold the update to
    missing = required - _function_names(tree)
    if missing:
        raise ValueError(f"the update of {name!r} must still define function(s) {sorted(missing)} with the same signature")


def _function_names(tree: ast.Module) -> set[str]:
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
