"""Every shell command the README and docs/*.md mark as runnable runs as written.

A runnable block is a fenced block whose info string is ``bash runnable`` (or ``sh runnable``);
each of its lines is a command (``\\`` continues a line). A command whose comment says
``(expensive: <reason>)`` is not run: an ``autoloop`` command is still parsed by the real
argument parser (a wrong flag fails here), a script must exist, and the reason is reported
as the skip. The cheap ones run in order, one bash per block, from the repository root, with
the venv's ``autoloop`` on ``PATH`` and a fresh ``AUTOLOOP_HOME``; each must exit 0.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from autoloop.cli import UsageError, build_parser
from autoloop.cli._tune import study_plan
from autoloop.controller import SearchSpace
from autoloop.errors import UnknownNameError
from autoloop.tasks import describe_task

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(?:bash|sh) runnable\s*\n(.*?)^```", re.M | re.S)
EXPENSIVE = re.compile(r"\(expensive: ([^)]*)\)")


@dataclass(frozen=True)
class Command:
    doc: str
    block: int
    line: int
    text: str
    expensive: str | None

    def invocations(self) -> list[list[str]]:
        """The simple commands in it (split at ``&&``, ``;``, ``|``, ``&``, redirections dropped,
        ``$(...)`` unwrapped, leading ``VAR=value`` assignments and ``export`` left out)."""
        lexer = shlex.shlex(self.text.replace("$(", " ; ").replace(")", " ; "), posix=True, punctuation_chars=True)
        lexer.commenters = "#"
        lexer.wordchars += "=$/.:*"
        out: list[list[str]] = [[]]
        redirect = False
        for token in lexer:
            if token in ("&&", ";", "|", "&", "||"):
                out.append([])
            elif token in (">", ">>", "<", "2>"):
                redirect = True
            elif redirect:
                redirect = False
            elif out[-1] or not re.fullmatch(r"[A-Za-z_]+=.*|export", token):
                out[-1].append(token)
        return [words for words in out if words]


def commands() -> list[Command]:
    found = []
    for doc in DOCS:
        source = doc.read_text()
        for index, block in enumerate(FENCE.finditer(source)):
            first = source[: block.start(1)].count("\n") + 1
            joined, start = "", first
            for offset, line in enumerate(block.group(1).splitlines()):
                if not joined:
                    start = first + offset
                joined += line.rstrip("\\").rstrip() + " " if line.endswith("\\") else line
                if line.endswith("\\") or not joined.strip():
                    continue
                reason = EXPENSIVE.search(joined)
                found.append(Command(doc.relative_to(ROOT).as_posix(), index, start, joined.strip(), reason and reason.group(1)))
                joined = ""
    return found


ALL = commands()


def _id(command: Command) -> str:
    return f"{command.doc}:{command.line}"


def test_the_docs_mark_commands_as_runnable() -> None:
    assert {c.doc for c in ALL} >= {"README.md", "docs/tasks.md"}
    assert any(c.expensive is None for c in ALL)


@pytest.mark.parametrize("command", [c for c in ALL if c.expensive is not None], ids=_id)
def test_an_expensive_command_is_well_formed(command: Command) -> None:
    for words in command.invocations():
        if words[0] == "autoloop":
            try:
                args = build_parser(words[1]).parse_args(words[1:])
            except UsageError as exc:
                pytest.fail(f"{command.doc}:{command.line}: {command.text}\n{exc.message}")
            if words[1] == "tune":
                _check_budget(args)
        elif words[0] == "bash":
            assert (ROOT / words[1]).is_file(), command.text
    pytest.skip(f"expensive: {command.expensive}")


def _check_budget(args: argparse.Namespace) -> None:
    """The budget check ``autoloop tune`` makes before any run (a too-small budget fails here), for a task
    this process knows (a plug-in's task is checked where its install is tested)."""
    try:
        info = describe_task(args.task)
    except UnknownNameError:
        return
    plan = study_plan(args)
    plan.check_budget(plan.budget(iterations=args.budget_iterations, tokens=args.budget_tokens, seconds=args.budget_seconds),
                      SearchSpace.from_task(info, args.space))


def _blocks() -> list[list[Command]]:
    """Cheap commands by block (a block's commands share one shell, in order)."""
    blocks: dict[tuple[str, int], list[Command]] = {}
    for command in ALL:
        if command.expensive is None:
            blocks.setdefault((command.doc, command.block), []).append(command)
    return list(blocks.values())


@pytest.mark.parametrize("block", _blocks(), ids=lambda b: _id(b[0]))
def test_a_cheap_command_runs_as_written(block: list[Command], tmp_path: Path) -> None:
    env = {**os.environ, "AUTOLOOP_HOME": str(tmp_path), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("REDIS_URL", None)
    script = "set -euo pipefail\n" + "\n".join(c.text for c in block)
    done = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"{_id(block[0])} exited {done.returncode}:\n{script}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
