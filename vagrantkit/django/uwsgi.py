"""uWSGI launches in a project, and whether they let the app's own threads run.

uWSGI 2.0 starts Python without thread support unless ``enable-threads`` is set (or ``threads`` is
above 1, which implies it); it then logs "*** Python threads support is disabled. You can enable it
with --enable-threads ***", and threads the app starts do not run, or run only while a request is in
progress (https://uwsgi-docs.readthedocs.io/en/latest/ThingsToKnow.html).

Where uWSGI is configured is read as text, never run: ``[uwsgi]`` sections of ``*.ini`` files, a
top-level ``uwsgi:`` key of ``*.yml``/``*.yaml`` files, and command lines that run ``uwsgi`` in a
Procfile, a Dockerfile (``CMD``, ``ENTRYPOINT``, ``RUN``), a compose file (``command:``), shell
scripts, supervisor (``command=``) and systemd (``ExecStart=``) files. ``UWSGI_ENABLE_THREADS`` /
``UWSGI_THREADS`` set in the environment (uWSGI reads every option from ``UWSGI_<NAME>``) count too.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from vagrantkit.django.files import project_files, relative

# uwsgi_opt_true: any value but these turns a boolean option on (a bare `enable-threads =` too).
_FALSE = frozenset({"false", "off", "no", "0"})
_CONFIG_SUFFIXES = (".ini", ".yml", ".yaml", ".json", ".xml")
_SEPARATORS = frozenset({"&&", "||", ";", "|", "&", "(", ")"})
_PREFIXES = frozenset({"exec", "nohup", "sudo", "env", "then", "do", "else", "command", "time", "gosu", "su-exec"})
_ENV_SETTING = re.compile(r"\bUWSGI_(ENABLE_THREADS|THREADS)\b\s*[=:]\s*[\"']?([^\s\"',\]]*)")
_ENV_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=.*")


@dataclass(frozen=True)
class UwsgiLaunch:
    """One place that configures or runs uWSGI.

    Attributes:
        path: File, relative to the project, with forward slashes.
        line: 1-based line of the ``[uwsgi]`` header, ``uwsgi:`` key or command.
        source: ``ini``, ``yaml``, or the kind of file of a command (``Dockerfile``, ``Procfile``,
            ``compose``, ``script``, ``supervisor``, ``systemd``).
        text: The command line or section header, as written (shortened).
        threads: Why threads are enabled (``enable-threads = true``, ``--threads 4``), or None.
        configs: Config files a command line loads (``--ini uwsgi.ini``), as written.
    """

    path: str
    line: int
    source: str
    text: str
    threads: str | None
    configs: tuple[str, ...] = ()


@dataclass(frozen=True)
class UwsgiScan:
    """The uWSGI launches of a project.

    Attributes:
        launches: Every ``[uwsgi]`` config and ``uwsgi`` command line found.
        environment: Where ``UWSGI_ENABLE_THREADS``/``UWSGI_THREADS`` turn threads on for all of them.
        without_threads: The launches that leave the app's threads off: a config no command line
            turns threads on for, or a command line that neither turns them on nor loads a config of
            the project (that config is reported itself).
    """

    launches: tuple[UwsgiLaunch, ...]
    environment: str | None
    without_threads: tuple[UwsgiLaunch, ...]


def _bool_on(value: str) -> bool:
    return value.strip().strip("\"'").lower() not in _FALSE


def _threads_above_one(value: str) -> bool:
    try:
        return int(value.strip().strip("\"'")) > 1
    except ValueError:
        return False  # a placeholder such as %(workers) or $THREADS: cannot tell


def _option_enables(name: str, value: str | None) -> str | None:
    """Why ``name = value`` turns Python threads on, or None."""
    key = name.strip().lstrip("-").replace("_", "-")
    if key == "enable-threads" and (value is None or _bool_on(value)):
        return f"enable-threads = {value.strip()}" if value is not None and value.strip() else "enable-threads"
    if key == "threads" and value is not None and _threads_above_one(value):
        return f"threads = {value.strip()}"
    return None


# --- config files -----------------------------------------------------------------------


def _ini_sections(text: str) -> Iterator[tuple[int, str | None]]:
    """For an ini file: (line of the [uwsgi] header, why threads are on or None), per [uwsgi] section."""
    header: int | None = None
    reason: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            if header is not None:
                yield header, reason
            header = number if line[1:-1].strip() == "uwsgi" else None
            reason = None
        elif header is not None and line and line[0] not in "#;":
            name, sep, value = line.partition("=")
            if sep:
                # uWSGI applies options in order: a later `enable-threads = false` wins.
                key = name.strip().replace("_", "-")
                if key in ("enable-threads", "threads"):
                    reason = _option_enables(key, value)
    if header is not None:
        yield header, reason


def _yaml_section(text: str) -> tuple[int, str | None] | None:
    """For a YAML file with a top-level ``uwsgi:`` mapping: (its line, why threads are on or None)."""
    lines = text.splitlines()
    for number, raw in enumerate(lines, 1):
        if raw.rstrip() == "uwsgi:":
            reason: str | None = None
            for inner in lines[number:]:
                if inner.strip() and not inner[0].isspace():
                    break  # the next top-level key
                name, sep, value = inner.strip().partition(":")
                if sep and name.strip().replace("_", "-") in ("enable-threads", "threads"):
                    reason = _option_enables(name, value.split("#")[0])
            return number, reason
    return None


# --- command lines ----------------------------------------------------------------------


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Lines with backslash continuations joined, each with the number of its first line."""
    start, parts = 0, list[str]()
    for number, raw in enumerate(text.splitlines(), 1):
        if not parts:
            start = number
        stripped = raw.rstrip()
        if stripped.endswith("\\"):
            parts.append(stripped[:-1])
            continue
        parts.append(stripped)
        yield start, " ".join(parts)
        parts = []
    if parts:
        yield start, " ".join(parts)


def _words(command: str) -> list[str]:
    stripped = command.strip()
    if stripped.startswith("["):
        try:
            value = json.loads(stripped)  # Dockerfile exec form, compose list form
        except ValueError:
            value = None
        if isinstance(value, list):
            words = [str(v) for v in value]
            # ["sh", "-c", "uwsgi ..."]: the real command line is the string after -c.
            if "-c" in words[:-1]:
                return _words(words[words.index("-c") + 1])
            return words
    lexer = shlex.shlex(stripped, posix=True, punctuation_chars=";&|()")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        return list(lexer)
    except ValueError:
        return stripped.split()


def _invocations(words: Sequence[str]) -> Iterator[list[str]]:
    """The argument lists of every ``uwsgi`` run in a command line (not ``pip install uwsgi``)."""
    command_position = True
    for i, word in enumerate(words):
        if word in _SEPARATORS:
            command_position = True
            continue
        if command_position and PurePosixPath(word).name in ("uwsgi", "pyuwsgi"):
            args = []
            for arg in words[i + 1 :]:
                if arg in _SEPARATORS:
                    break
                args.append(arg)
            yield args
            command_position = False
            continue
        if command_position and (word in _PREFIXES or _ENV_ASSIGNMENT.fullmatch(word) or word.startswith("-")):
            continue  # still before the program: `env X=1 exec nohup uwsgi`
        command_position = False


def _read_arguments(args: Sequence[str]) -> tuple[str | None, tuple[str, ...]]:
    """(why threads are on, config files loaded) for uwsgi's arguments."""
    reason: str | None = None
    configs: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        name, eq, inline = arg.partition("=")
        value = inline if eq else (args[i + 1] if i + 1 < len(args) else None)
        key = name.lstrip("-").replace("_", "-")
        if arg == "-T":
            reason = "-T"
        elif name.startswith("--") and key == "enable-threads":
            # A flag: it takes no value from the next word (`--enable-threads=false` turns it off).
            reason = arg if _option_enables(key, inline if eq else None) else None
        elif name.startswith("--") and key == "threads" and value is not None:
            reason = f"--threads {value}" if _threads_above_one(value) else reason
            i += 0 if eq else 1
        elif name.startswith("--") and key in ("ini", "yaml", "yml", "json", "xml") and value is not None:
            configs.append(value)
            i += 0 if eq else 1
        elif not arg.startswith("-") and arg.split(":")[0].endswith(_CONFIG_SUFFIXES):
            configs.append(arg)  # `uwsgi app.ini` loads it by its extension
        i += 1
    return reason, tuple(configs)


def _command_source(path: Path, text: str | None = None) -> str | None:
    """What kind of command-bearing file ``path`` is, or None; ``text``: its text when already read."""
    name = path.name
    lower = name.lower()
    if lower.startswith(("dockerfile", "containerfile")) or lower.endswith(".dockerfile"):
        return "Dockerfile"
    if name.startswith("Procfile"):
        return "Procfile"
    if "compose" in lower and lower.endswith((".yml", ".yaml")):
        return "compose"
    if lower.endswith((".sh", ".bash")):
        return "script"
    if lower.endswith(".service"):
        return "systemd"
    if lower.endswith(".conf"):
        return "supervisor"
    if name == "Makefile":
        return "Makefile"
    if path.suffix == "" and (_has_shebang(path) if text is None else text.startswith("#!")):
        return "script"
    return None


def _has_shebang(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(2) == b"#!"
    except OSError:
        return False


_PREFIX_BY_SOURCE = {
    "Dockerfile": re.compile(r"\s*(?:CMD|ENTRYPOINT|RUN)\s+(.*)", re.IGNORECASE),
    "Procfile": re.compile(r"\s*[\w.-]+\s*:\s*(.*)"),
    "compose": re.compile(r"\s*(?:-\s*)?(?:command|entrypoint)\s*:\s*(.*)"),
    "supervisor": re.compile(r"\s*command\s*=\s*(.*)"),
    "systemd": re.compile(r"\s*ExecStart\s*=\s*[-@:+!]*(.*)"),
}


def _command_lines(source: str, text: str) -> Iterator[tuple[int, str]]:
    pattern = _PREFIX_BY_SOURCE.get(source)
    for number, line in _logical_lines(text):
        if "uwsgi" not in line:
            continue
        if pattern is None:
            yield number, line
        elif match := pattern.match(line):
            yield number, match.group(1)


# --- the scan ---------------------------------------------------------------------------


def _shorten(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_small_text(path: Path) -> bool:
    try:
        return path.stat().st_size <= 512 * 1024
    except OSError:
        return False


def scan_uwsgi(root: Path) -> UwsgiScan:
    """Find where the project configures or runs uWSGI, and whether threads are on there.

    Args:
        root: The project folder.
    """
    configs: list[UwsgiLaunch] = []
    commands: list[UwsgiLaunch] = []
    environment: str | None = None

    def wanted(path: Path) -> bool:
        return (path.suffix in (".ini", ".yml", ".yaml") or _command_source(path) is not None) and _is_small_text(path)

    for path in project_files(root, wanted):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        rel = relative(root, path)
        if environment is None and path.suffix != ".py":
            for match in _ENV_SETTING.finditer(text):
                kind, value = match.groups()
                on = _bool_on(value) if kind == "ENABLE_THREADS" else _threads_above_one(value)
                if on:
                    at = text.count("\n", 0, match.start()) + 1
                    environment = f"{rel}:{at} (UWSGI_{kind}={value})"
                    break
        if path.suffix == ".ini":
            configs.extend(UwsgiLaunch(rel, at, "ini", "[uwsgi]", why) for at, why in _ini_sections(text))
        elif path.suffix in (".yml", ".yaml") and (section := _yaml_section(text)) is not None:
            configs.append(UwsgiLaunch(rel, section[0], "yaml", "uwsgi:", section[1]))
        source = _command_source(path, text)  # no second open for the shebang
        if source is None:
            continue
        for number, line in _command_lines(source, text):
            for args in _invocations(_words(line)):
                why, loaded = _read_arguments(args)
                commands.append(UwsgiLaunch(rel, number, source, _shorten(line), why, loaded))

    def loaded_by(command: UwsgiLaunch) -> list[UwsgiLaunch]:
        names = {PurePosixPath(c.split(":")[0]).name for c in command.configs}
        return [c for c in configs if PurePosixPath(c.path).name in names]

    covered = {id(c) for cmd in commands if cmd.threads for c in loaded_by(cmd)}
    problems: list[UwsgiLaunch] = []
    if environment is None:
        problems.extend(c for c in configs if c.threads is None and id(c) not in covered)
        # A command that loads a config of the project is judged by that config (reported itself).
        problems.extend(cmd for cmd in commands if cmd.threads is None and not loaded_by(cmd))
    # A command that loads a config turning threads on is fine: resolve that for the caller.
    resolved = [
        replace(cmd, threads=cmd.threads or next((f"{c.path}: {c.threads}" for c in loaded_by(cmd) if c.threads), None))
        for cmd in commands
    ]
    launches = tuple(sorted([*configs, *resolved], key=lambda item: (item.path, item.line)))
    return UwsgiScan(launches, environment, tuple(sorted(problems, key=lambda item: (item.path, item.line))))
