"""Shared fixtures: the built-in cases; hypothesis made repeatable."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from diffstudy.harness.cases import Case
from diffstudy.harness.loading import builtin_cases_dir, load_cases

# The same examples on every run: a property test that fails, fails on every machine, and CI
# never passes or fails by the draw.
settings.register_profile("repeatable", derandomize=True)
settings.load_profile("repeatable")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def builtin_cases() -> dict[str, Case]:
    """Every built-in case by name; loading them must report no problem."""
    cases, problems = load_cases([builtin_cases_dir()])
    assert problems == []
    return {c.name: c for c in cases}
