"""The Django test runner side of the runtime leak check: ``TEST_RUNNER = "vagrantkit.django.LeakCheckingRunner"``.

A test that passes but leaves a database connection opened by another thread open is reported as a
failure naming the thread, its target and the line that opened the connection
(:mod:`vagrantkit.django.leaks`); the connection is closed, so the test database can still be dropped.
Not with ``--parallel``: the workers report through their own result objects.
"""

from __future__ import annotations

import sys
import unittest
from typing import Any

from django.test.runner import DiscoverRunner

from vagrantkit.django.leaks import ConnectionLeak, LeakTracker, report


class LeakCheckingRunner(DiscoverRunner):  # type: ignore[misc]  # Django has no type hints here
    """Django's DiscoverRunner, failing each test that leaks another thread's connection."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tracker = LeakTracker()

    def setup_test_environment(self, **kwargs: Any) -> None:
        super().setup_test_environment(**kwargs)
        self.tracker.install()

    def teardown_test_environment(self, **kwargs: Any) -> None:
        self.tracker.uninstall()
        super().teardown_test_environment(**kwargs)

    def get_resultclass(self) -> type[unittest.TextTestResult]:
        base = super().get_resultclass() or unittest.TextTestResult
        tracker = self.tracker

        class LeakCheckingResult(base):  # type: ignore[valid-type,misc]
            def addSuccess(self, test: unittest.TestCase) -> None:
                leaks = tracker.open_leaks()
                if not leaks:
                    super().addSuccess(test)
                    return
                try:
                    raise ConnectionLeak(report(leaks))
                except ConnectionLeak:
                    self.addFailure(test, sys.exc_info())

            def addError(self, test: unittest.TestCase, err: Any) -> None:
                tracker.open_leaks()  # the test failed anyway; its leaks must not be blamed on the next one
                super().addError(test, err)

            def addFailure(self, test: unittest.TestCase, err: Any) -> None:
                tracker.open_leaks()
                super().addFailure(test, err)

        return LeakCheckingResult
