"""The one exception family of vagrantkit, caught in one place (the CLI)."""

from __future__ import annotations


class VagrantkitError(Exception):
    """A failure the user can act on: a message, an optional hint, an exit code.

    Args:
        message: What went wrong, in one sentence.
        hint: What to do about it, if there is something to do.
    """

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InvalidValue(VagrantkitError):
    """A bad option value: names the option and what is allowed. Exit code 2, like click's usage errors."""

    exit_code = 2

    def __init__(self, option: str, value: object, allowed: str) -> None:
        super().__init__(f"Invalid value for {option}: {value!r}. Allowed: {allowed}.")
        self.option = option
        self.value = value
        self.allowed = allowed


class CommandError(VagrantkitError):
    """An external command could not be run (missing, timed out)."""
