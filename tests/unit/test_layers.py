"""The import graph follows the layers: tasks, loop, optimizers, executors, controller, service, cli.

Each package may import its own layer and the layers below it, never one above (the README's
layout section lists them). Imports are read from the source, ``TYPE_CHECKING`` blocks included.
"""

from __future__ import annotations

import ast
from pathlib import Path

import autoloop

ROOT = Path(autoloop.__file__).parent
# Lowest first. Layer 0 is the shared vocabulary and infrastructure every layer may use.
LAYERS: tuple[tuple[str, ...], ...] = (
    (
        "errors", "trace", "failures", "artifact", "settings", "context", "optimizer", "outcome",
        "policies", "llm", "sandbox", "checkpoints", "redisdb", "client",
    ),
    ("tasks",),
    ("loop",),
    ("optimizers",),
    ("executors",),
    ("controller", "testing", "report", "inprocess"),
    ("service",),
    ("cli",),
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _unit(module: str) -> str | None:
    """The first component under ``autoloop`` of a dotted module name (``None`` outside autoloop)."""
    parts = module.split(".")
    return parts[1] if parts[0] == "autoloop" and len(parts) > 1 else None


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names if node.module == "autoloop")
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_every_package_is_placed_in_a_layer():
    units = {p.stem if p.is_file() else p.name for p in ROOT.iterdir() if p.name != "__init__.py" and not p.name.startswith(("_", "."))}
    units = {u for u in units if (ROOT / u).is_dir() or (ROOT / f"{u}.py").exists()}
    assert units <= set(RANK), f"place {sorted(units - set(RANK))} in LAYERS and in the README's layout section"


def test_no_import_runs_up_a_layer():
    upward = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        unit = relative.parts[0].removesuffix(".py")
        if unit == "__init__" or unit not in RANK:
            continue
        for module in _imports(path):
            target = _unit(module)
            if target is not None and target in RANK and RANK[target] > RANK[unit]:
                upward.append(f"{relative} imports {module} ({unit} is below {target})")
    assert not upward, "\n".join(upward)
