"""The pytest side of the runtime leak check (:mod:`vagrantkit.django.leaks`).

Registered by an entry point and inert until asked for: ``pytest -p vagrantkit.django``,
``pytest --leak-check``, or ``vagrantkit_leak_check = true`` in the ini file. Then a test that
leaves a database connection opened by another thread open fails, with the thread, its target
and the line that opened the connection.
"""

from __future__ import annotations

import threading
from collections.abc import Generator
from typing import Any

import pytest

from vagrantkit.django.leaks import ConnectionLeak, LeakTracker, report

NAME = "vagrantkit-leak-check"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "vagrantkit_leak_check",
        "fail a test that leaves a database connection opened by another thread open",
        type="bool",
        default=False,
    )
    parser.getgroup("vagrantkit").addoption(
        "--leak-check",
        action="store_true",
        dest="vagrantkit_leak_check",
        help="fail a test that leaves a database connection opened by another thread open (vagrantkit)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("vagrantkit_leak_check", False) or config.getini("vagrantkit_leak_check"):
        enable(config)


def enable(config: pytest.Config) -> None:
    """Turn the check on (once) for this run."""
    if not config.pluginmanager.has_plugin(NAME):
        config.pluginmanager.register(LeakCheck(), NAME)


class LeakCheck:
    """Checks, as each test's call ends, the connections other threads left open."""

    def __init__(self) -> None:
        self.tracker = LeakTracker()
        self.tracker.install()

    def pytest_unconfigure(self) -> None:
        self.tracker.uninstall()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, Any, Any]:
        self.tracker.owner = threading.get_ident()
        try:
            result = yield
        except BaseException as failure:
            leaks = self.tracker.open_leaks()
            if leaks and hasattr(failure, "add_note"):
                failure.add_note(report(leaks))
            raise
        leaks = self.tracker.open_leaks()
        if leaks:
            raise ConnectionLeak(report(leaks))
        return result
