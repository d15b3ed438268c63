"""The one exception family of vagrantkit, caught in one place (the CLI)."""

from __future__ import annotations

#: A user value longer than this is cut when a message quotes it: a 10 MB option value must not
#: become a 10 MB error message. Long enough for a deep path (a pytest tmp_path file is ~110).
SHOWN_LIMIT = 200


def shown(value: object, limit: int = SHOWN_LIMIT) -> str:
    """``repr(value)`` for a message, cut after ``limit`` characters: ``'xxx… (N characters)``.

    Args:
        value: A value the user gave (an option, a line of a file).
        limit: How much of its repr to keep.
    """
    try:
        text = repr(value)
    except RecursionError:  # a list nested thousands deep: its repr is as deep
        return f"a {type(value).__name__} nested too deep to show"
    if len(text) <= limit:
        return text
    size = len(value) if isinstance(value, str) else len(text)
    return f"{text[:limit]}… ({size:,} characters)"


def cut(text: str, limit: int = SHOWN_LIMIT) -> str:
    """``text`` as it is, or its first ``limit`` characters and ``… (N characters)``."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def shorten(message: str, value: str, limit: int = SHOWN_LIMIT) -> str:
    """``message`` with every quotation of a long ``value`` (as a repr or as it is) cut as :func:`shown` cuts it.

    For messages made by others (click's), which quote a value in full.
    """
    if len(value) <= limit:
        return message
    return message.replace(repr(value), shown(value, limit)).replace(value, cut(value, limit))


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
        super().__init__(f"Invalid value for {option}: {shown(value)}. Allowed: {allowed}.")
        self.option = option
        self.value = value
        self.allowed = allowed


class InvalidAnswer(InvalidValue):
    """A bad value saved in a file (``vagrantkit.toml``): names the file and the key, not an option.

    Args:
        path: The file.
        key: The key in it.
        value: The value saved there.
        allowed: What is allowed.
        option: The command-line option that gives the same answer (and wins over the file).
    """

    def __init__(self, path: object, key: str, value: object, allowed: str, option: str) -> None:
        VagrantkitError.__init__(
            self,
            f"{path}: {key}: invalid value {shown(value)}. Allowed: {allowed}.",
            hint=f"Correct it there, or give {option} (the command line wins over the file).",
        )
        self.option = option
        self.value = value
        self.allowed = allowed
        self.path = path
        self.key = key


class InvalidEnvironment(VagrantkitError):
    """An environment variable that points at nothing: ``VAGRANT_CWD=/nope: no such folder``. Exit code 2.

    Args:
        name: The variable.
        value: Its value.
        problem: What is wrong with it.
        hint: What to do.
    """

    exit_code = 2

    def __init__(self, name: str, value: str, problem: str, hint: str | None = None) -> None:
        super().__init__(f"{name}={cut(value)}: {problem}", hint)
        self.name = name
        self.value = value


class CommandError(VagrantkitError):
    """An external command could not be run (missing, timed out)."""
