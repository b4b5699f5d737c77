"""CI runs hypothesis derandomized with no example database; everywhere else it explores at random."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from conftest import hypothesis_profile


@pytest.mark.parametrize(("env", "profile"), [
    ({"CI": "true"}, "ci"), ({"CI": "1"}, "ci"), ({"CI": "TRUE"}, "ci"), ({}, "dev"), ({"CI": "false"}, "dev"),
    ({"CI": "true", "HYPOTHESIS_PROFILE": "dev"}, "dev"),
])
def test_the_profile_follows_ci(env, profile) -> None:
    assert hypothesis_profile(env) == profile


def test_the_ci_profile_is_derandomized_without_database() -> None:
    ci = settings.get_profile("ci")
    assert ci.derandomize is True and ci.database is None
    assert settings.get_profile("dev").derandomize is False


def test_ci_true_loads_the_ci_profile() -> None:
    code = ("import os, sys; sys.path.insert(0, 'tests'); import conftest; from hypothesis import settings; "
            "print(settings.default.derandomize, settings.default.database)")
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True,
                         env={"CI": "true", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)}).stdout
    assert out.split() == ["True", "None"]
