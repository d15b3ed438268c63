"""The e2e's steps: each test is one step of a real run, timed; the times are printed at the end of the session."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import unavailable
from tests.e2e.box import BoxUnavailable, ensure_box
from tests.e2e.harness import WorldUnavailable, check_prerequisites

# (step, seconds, outcome) in the order they ran, for the summary and the README's table.
TIMINGS: list[tuple[str, float, str]] = []


def record(step: str, seconds: float, outcome: str = "passed") -> None:
    TIMINGS.append((step, seconds, outcome))


@pytest.fixture(scope="session")
def box() -> Path:
    """The e2e's box file, built once (or taken from the cache); its time is the first step's."""
    started = time.monotonic()
    try:
        check_prerequisites()
        path = ensure_box()
    except (WorldUnavailable, BoxUnavailable) as exc:
        unavailable(f"the e2e cannot run here: {exc}")
    record("build the box (or take it from the cache)", time.monotonic() - started)
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    if item.get_closest_marker("e2e") is None:
        yield
        return
    started = time.monotonic()
    outcome = yield
    record(item.name.removeprefix("test_"), time.monotonic() - started, "failed" if outcome.excinfo else "passed")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TIMINGS:
        return
    terminalreporter.section("e2e: time of every step")
    for step, seconds, outcome in TIMINGS:
        terminalreporter.write_line(f"{seconds:8.1f} s  {outcome:6}  {step}")
    terminalreporter.write_line(f"{sum(s for _, s, _ in TIMINGS):8.1f} s  in all")
