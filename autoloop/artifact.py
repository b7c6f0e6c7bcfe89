"""Artifacts: named, editable text parameters plus read-only context, immutable and hashed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from autoloop.errors import ConfigError

ArtifactKind = Literal["python", "text"]


@dataclass(frozen=True)
class Artifact:
    """A program or prompt the learning loop revises.

    Args:
        name: The starting-artifact name this revision descends from (e.g. ``many_functions``).
        parameters: Parameter name to text. For ``python`` artifacts each value is the source
            of one top-level function (or block); ``source`` joins them in order.
        editable: Names of the parameters the optimizer may rewrite; the rest are read-only.
        context: Read-only text the optimizer sees but cannot change (docstrings, specs).
        kind: ``python`` (parameters are code) or ``text`` (prompts).
    """

    name: str
    parameters: Mapping[str, str]
    editable: frozenset[str]
    context: str = ""
    kind: ArtifactKind = "python"
    hash: str = field(init=False)

    def __post_init__(self) -> None:
        unknown = self.editable - set(self.parameters)
        if unknown:
            raise ConfigError(f"artifact {self.name!r}: editable names {sorted(unknown)} are not parameters")
        object.__setattr__(self, "parameters", MappingProxyType(dict(self.parameters)))
        object.__setattr__(self, "editable", frozenset(self.editable))
        blob = json.dumps([self.kind, sorted(self.parameters.items()), self.context])
        object.__setattr__(self, "hash", hashlib.sha256(blob.encode()).hexdigest()[:16])

    @property
    def source(self) -> str:
        """The parameters joined in declaration order: the module a sandbox executes."""
        return "\n\n".join(text.strip("\n") for text in self.parameters.values()) + "\n"

    def with_updates(self, updates: Mapping[str, str]) -> Artifact:
        """Return a new revision with ``updates`` applied.

        Raises:
            ConfigError: An update names an unknown or read-only parameter.
        """
        unknown = set(updates) - set(self.parameters)
        if unknown:
            raise ConfigError(f"unknown parameter(s) {sorted(unknown)}; known: {sorted(self.parameters)}")
        frozen = set(updates) - self.editable
        if frozen:
            raise ConfigError(f"parameter(s) {sorted(frozen)} are read-only; editable: {sorted(self.editable)}")
        merged = {k: updates.get(k, v) for k, v in self.parameters.items()}
        return Artifact(self.name, merged, self.editable, self.context, self.kind)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form, inverse of ``from_dict``."""
        return {
            "name": self.name,
            "parameters": dict(self.parameters),
            "editable": sorted(self.editable),
            "context": self.context,
            "kind": self.kind,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Artifact:
        """Rebuild an artifact written by ``to_dict``."""
        return cls(
            name=str(data["name"]),
            parameters=dict(data["parameters"]),  # type: ignore[arg-type]
            editable=frozenset(data["editable"]),  # type: ignore[arg-type]
            context=str(data.get("context", "")),
            kind=data.get("kind", "python"),  # type: ignore[arg-type]
        )
