"""Artifacts: hashing, updates of editable names only, policy files split into parameters."""

from __future__ import annotations

import pytest

from autoloop.artifact import Artifact
from autoloop.errors import ConfigError
from autoloop.policies import artifact_from_python

SOURCE = '''"""Policy docs."""
import math

LIMIT = 3


def a(x):
    return x + LIMIT


def b(x):
    return math.sqrt(a(x))
'''


def test_python_policy_splits_into_header_and_functions():
    art = artifact_from_python("p", SOURCE)
    assert list(art.parameters) == ["header", "a", "b"]
    assert art.editable == {"a", "b"}
    assert art.context == "Policy docs."
    namespace: dict = {}
    exec(art.source, namespace)
    assert namespace["b"](1) == 2.0


def test_updates_change_the_hash_and_reject_unknown_or_read_only_names():
    art = artifact_from_python("p", SOURCE)
    new = art.with_updates({"a": "def a(x):\n    return x\n"})
    assert new.hash != art.hash and art.parameters["a"] != new.parameters["a"]
    with pytest.raises(ConfigError, match="unknown"):
        art.with_updates({"c": "x"})
    with pytest.raises(ConfigError, match="read-only"):
        art.with_updates({"header": "import os"})


def test_round_trip_through_dict():
    art = artifact_from_python("p", SOURCE)
    assert Artifact.from_dict(art.to_dict()) == art
