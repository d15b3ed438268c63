"""vagrantkit and Django: static analysis for `vagrantkit doctor`, and a runtime leak check for tests.

The static side never imports or runs the project: Python files are parsed with :mod:`ast`,
configuration files are read as text, and host facts (the guest's mount table) come in through
arguments that tests replace. The doctor's ``django`` checks (``vagrantkit/doctor/checks/django.py``)
turn these results into check results.

The runtime side (:mod:`.leaks`) runs inside the project's tests: ``pytest -p vagrantkit.django``
(this module is then a pytest plugin that turns the check on), or ``TEST_RUNNER =
"vagrantkit.django.LeakCheckingRunner"`` in the settings.
"""

from __future__ import annotations

from typing import Any


def pytest_configure(config: Any) -> None:
    """``pytest -p vagrantkit.django``: the leak check, on for this run."""
    from vagrantkit.django.pytest_plugin import enable

    enable(config)


def __getattr__(name: str) -> Any:
    # Imported on use, so that the static checks never import Django.
    if name == "LeakCheckingRunner":
        from vagrantkit.django.runner import LeakCheckingRunner

        return LeakCheckingRunner
    raise AttributeError(name)
