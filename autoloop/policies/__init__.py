"""Starting artifacts shipped as real files (package data): ``<family>/<name>.py|.txt``.

Python policies: the module docstring becomes read-only context, the imports and constants
before the first function a read-only ``header`` parameter, and every top-level function an
editable parameter. Text policies: the whole file is one editable parameter named ``prompt``.
"""

from __future__ import annotations

import ast
from importlib import resources
from pathlib import Path

from autoloop.artifact import Artifact
from autoloop.errors import UnknownNameError

__all__ = ["artifact_from_python", "load_policy", "policy_names"]


def artifact_from_python(name: str, source: str) -> Artifact:
    """Split a Python module into an artifact: header (read-only) + one parameter per function."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    docstring = ast.get_docstring(tree) or ""
    body = tree.body[1:] if docstring else tree.body
    parameters: dict[str, str] = {}
    header: list[str] = []
    for node in body:
        start = (node.decorator_list[0].lineno if getattr(node, "decorator_list", None) else node.lineno) - 1
        text = "".join(lines[start : node.end_lineno])
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            parameters[node.name] = text
        else:
            header.append(text)
    if not parameters:
        raise UnknownNameError(f"policy {name!r} defines no functions to optimize")
    editable = frozenset(parameters)
    if header:
        parameters = {"header": "".join(header), **parameters}
    return Artifact(name, parameters, editable, context=docstring, kind="python")


def _family_dir(family: str) -> Path:
    root = Path(str(resources.files("autoloop.policies")))
    return root / family


def policy_names(family: str) -> tuple[str, ...]:
    """Names of the starting artifacts shipped for a task family (or one of its subfolders)."""
    folder = _family_dir(family)
    if not folder.is_dir():
        return ()
    return tuple(sorted(p.stem for p in folder.iterdir() if p.suffix in {".py", ".txt"} and p.stem != "__init__"))


def load_policy(family: str, name: str) -> Artifact:
    """Load the starting artifact ``name`` of ``family`` (e.g. ``mlpipeline``/``many_functions``).

    Raises:
        UnknownNameError: No such file; the message lists the available names.
    """
    folder = _family_dir(family)
    for suffix in (".py", ".txt"):
        path = folder / f"{name}{suffix}"
        if path.is_file():
            text = path.read_text()
            if suffix == ".py":
                return artifact_from_python(name, text)
            return Artifact(name, {"prompt": text}, frozenset({"prompt"}), kind="text")
    raise UnknownNameError(f"unknown starting artifact {name!r} for {family!r}; choose one of {list(policy_names(family))}")
