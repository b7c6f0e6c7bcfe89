"""Starting artifacts as real files: ``<name>.py`` or ``<name>.txt`` in a folder anywhere
(``load_artifact``); the built-in tasks ship theirs as package data, ``<family>/<name>.py|.txt``
under this package (``load_policy``).

Python policies: the module docstring becomes read-only context, the imports and constants
before the first function a read-only ``header`` parameter, and every top-level function an
editable parameter. Text policies: the whole file is one editable parameter named ``prompt``.
"""

from __future__ import annotations

import ast
from importlib import resources
from pathlib import Path

from autoloop.artifact import Artifact
from autoloop.errors import ConfigError, UnknownNameError

__all__ = ["artifact_from_file", "artifact_from_python", "artifact_names", "load_artifact", "load_policy", "policy_names"]


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


def artifact_from_file(path: Path | str, name: str | None = None) -> Artifact:
    """The artifact in ``path``: a ``.py`` module (``artifact_from_python``) or a ``.txt`` prompt.

    Args:
        path: The file.
        name: The artifact's name (default: the file name without its suffix).

    Raises:
        ConfigError: ``path`` is neither ``.py`` nor ``.txt``.
        FileNotFoundError: No such file.
    """
    path = Path(path)
    name = name or path.stem
    if path.suffix == ".py":
        return artifact_from_python(name, path.read_text())
    if path.suffix == ".txt":
        return Artifact(name, {"prompt": path.read_text()}, frozenset({"prompt"}), kind="text")
    raise ConfigError(f"starting artifact {str(path)!r} must be a .py module or a .txt prompt")


def artifact_names(folder: Path | str) -> tuple[str, ...]:
    """Names of the starting artifacts (``<name>.py`` / ``<name>.txt``) in ``folder``; ``()`` if it does not exist."""
    folder = Path(folder)
    if not folder.is_dir():
        return ()
    return tuple(sorted(p.stem for p in folder.iterdir() if p.suffix in {".py", ".txt"} and p.stem != "__init__"))


def load_artifact(folder: Path | str, name: str) -> Artifact:
    """Load the starting artifact ``name`` from ``folder`` (``<name>.py`` first, then ``<name>.txt``).

    Example:
        >>> load_artifact(Path(__file__).parent / "starting", "linear")  # doctest: +SKIP

    Raises:
        UnknownNameError: No such file; the message lists the names in ``folder``.
    """
    folder = Path(folder)
    for suffix in (".py", ".txt"):
        path = folder / f"{name}{suffix}"
        if path.is_file():
            return artifact_from_file(path, name)
    raise UnknownNameError(f"no starting artifact {name!r} in {str(folder)!r}; found {list(artifact_names(folder))}")


def _family_dir(family: str) -> Path:
    root = Path(str(resources.files("autoloop.policies")))
    return root / family


def policy_names(family: str) -> tuple[str, ...]:
    """Names of the starting artifacts shipped for a built-in task family (or one of its subfolders)."""
    return artifact_names(_family_dir(family))


def load_policy(family: str, name: str) -> Artifact:
    """Load the starting artifact ``name`` shipped for the built-in ``family`` (e.g. ``mlpipeline``/``many_functions``).

    Raises:
        UnknownNameError: No such file; the message lists the available names.
    """
    if name not in policy_names(family):
        raise UnknownNameError(f"unknown starting artifact {name!r} for {family!r}; choose one of {list(policy_names(family))}")
    return load_artifact(_family_dir(family), name)
