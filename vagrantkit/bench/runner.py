#!/usr/bin/env python3
"""vagrantkit bench runner: time file-system work in one or more folders, print raw samples as JSON.

This one file is sent into guests that have ``python3`` (3.8 or newer) and nothing else, so it
imports the standard library only. It is also imported in-process by ``vagrantkit bench --local``.

Command line (stable; the lab and ``vagrantkit bench`` call exactly this)::

    python3 runner.py [options] TARGET [TARGET ...]

    TARGET              LABEL=PATH or PATH (label: the folder's name). PATH may start with ~.
                        The first target is the baseline unless --baseline names another.
    --baseline LABEL    The target the others are compared with (the guest's own disk).
    --profile NAME      quick (S tree, 5 reps) | standard (S, 7 reps; default) | full (M, 7 reps).
    --ops LIST          Comma-separated operations (default: all of OPERATIONS below, or none
                        when --command is given).
    --size SIZE         Fixture tree: S (2000 files), M (10000 files) or a number of files (10 to 200000).
    --reps N            Measured repetitions (>= 1; the host asks for >= 5). Default: from the profile.
    --warmup N          Repetitions run first and discarded (default 1).
    --seed N            Seed for the fixture's content and the shuffled target order (default 0).
    --command CMD       Time CMD (split like a POSIX shell, no shell is used) in each target.
    --copy SRC          With --command: copy SRC into each target's scratch folder and run CMD in the
                        copy (default: CMD runs in the target folder itself).
    --command-timeout S Seconds before one run of CMD is killed (default 3600).
    --host-side LABEL   The host can edit files in this target (a share of a host folder): op `edit`
                        measures it. Repeatable. Others get no `edit` (n/a).
    --edits N           Edits per host-side target for op `edit` (default 20, at least 4).
    --edit-timeout S    An edit not seen within S seconds is a miss (default 10).
    --control WHERE     How edit requests reach the host: `stdio` (default; a request is one JSON
                        line on stderr, {"control": {...}}, the answer one JSON line on stdin) or
                        the path of a character device (a virtio-serial port) that carries both.
    --reloader-sleep S  The reloader's sleep between ticks (default 1, Django's StatReloader.SLEEP_TIME);
                        also the span of the random wait before an edit.
    --stall-timeout S   A target whose operation makes no progress for S seconds (a dead NFS
                        server, with a hard mount) is given up, named in the errors (default 30).
    --id ID             Scratch folder id (default: random); the folder is PATH/.vagrantkit-bench-ID-LABEL.
    --output FILE       Write the JSON document to FILE (atomically) instead of stdout.
    --progress          Print one JSON line per step on stderr: {"progress": [done, total], ...}.

    python3 runner.py --argv-b64 B64    The same arguments as a base64 JSON list: how a host sends
                        paths that are not ASCII (``vagrant ssh -c`` passes its command through
                        the Windows console's code page).

Operations (each timed on its own; one sample = the whole batch, ``count`` items per sample)::

    stat          os.stat every fixture file
    stat_missing  os.stat a missing name next to every fixture file (ENOENT)
    walk          os.walk the fixture tree (count: files + folders)
    read          open + read + close every fixture file
    create        create + write 4 KiB + close ``write_count`` new files
    append        append 1 KiB to each of them
    rename        rename each of them
    delete        unlink each of them
    mkdir_rmdir   mkdir then rmdir ``write_count`` folders (count: pairs)
    reloader      Django StatReloader tick, at runserver's cadence: each tick (stat every .py, glob
                  templates/**/* and stat each match) follows a 1 s sleep, so attribute caches age
                  between ticks as they do under runserver; also records each tick's CPU time
    discover      unittest discovery: listdir, isfile, fnmatch test*.py, read matching modules and
                  package __init__.py, recurse into packages (count: entries looked at)
    pyc           py_compile ``pyc_count`` modules (read, compile, write bytecode atomically)
    edit          edit-to-visible latency, host-side targets only: the host changes a file the way
                  editors save it (write in place; write a temporary file and rename it over), creates
                  one, deletes one (kinds in turn); the guest stats the file every 10 ms until it sees
                  the change. One sample per edit, from the host's answer to the first stat that shows
                  it; an edit not seen within --edit-timeout is a miss (counted, no sample)
    command       one run of --command in a copy of the target (or of --copy) in its scratch folder

Order: every target's scratch and work folders are made, one after another (see the A/A note in
:func:`execute`), then the fixtures are built. For each repetition (warm-ups first), for each
operation, every target once in a freshly shuffled order; then the paced operations (reloader,
edit), target by target. Times come from ``time.perf_counter_ns``.
Every file-system call runs in a worker thread per target: a target that stops answering is given
up after --stall-timeout, and the others go on.

Data, not only speed: what the write operations wrote is read back after each of them, outside
the timed region (the fixture once built; create's and append's files; pyc's bytecode, which must
unmarshal to the source's code), and compared by size and CRC-32. On a share (see REMOTE_FS) the
client's cached pages of the file are dropped first, so the read reaches the other side. A file
that holds anything else, or cannot be read, is data corruption: the run fails, the sample is not
kept, the target is given up and listed in ``corrupt``.

Output (one JSON object; ``schema`` changes only when a field changes meaning)::

    {
      "schema": "vagrantkit-bench-runner/1",
      "status": "ok" | "failed",
      "params": {"profile", "size", "files", "write_count", "pyc_count", "reps", "warmup",
                 "seed", "ops": [...], "command", "copy", "id", "baseline"},
      "environment": {"python", "implementation", "platform",
                      "kernel": {"sysname", "release", "version", "machine"},
                      "cpus", "started", "finished"},            # times: UTC ISO 8601
      "targets": [{"label", "path", "baseline": bool, "scratch",
                   "mount": {"point", "source", "fs_type", "options"} | null,
                   "fixture": {"files", "dirs", "bytes", "seconds"} | null}],
      "order": [["label", ...], ...],                             # target order per op per rep
      "results": {"<label>": {"<op>": {"count": int, "unit": str, "ns": [int, ...],
                                         "cpu_ns": [int, ...],       # reloader only
                                         "kinds": [str, ...],        # edit: the kind of each sample
                                         "misses": [str, ...]        # edit: the kinds not seen in time
                                        }}},
      "errors": ["..."],
      "stalled": ["<label>", ...],                                 # targets given up
      "corrupt": [{"target", "op", "file",                         # data read back wrong: given up
                   "expected": {"size", "crc32"} | str,            # str: what a .pyc must be
                   "found": {"size", "crc32"} | null, "error": str | null}],
      "leftovers": ["<path>", ...],       # scratch folders of earlier runs found in the targets
      "cleanup": {"removed": ["<scratch>", ...], "left": ["<scratch>", ...]}
    }

Exit codes: 0 ok; 1 a failure while measuring (the JSON says which, scratch removed);
2 bad input (message on stderr, nothing written); 130 SIGINT, 143 SIGTERM, 129 SIGHUP (scratch
removed, no JSON). The runner touches nothing but its own scratch folders, and removes them on
every exit path.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import datetime
import fnmatch
import functools
import glob
import importlib.util
import io
import json
import marshal
import os
import platform
import py_compile
import queue
import random
import re
import secrets
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Callable

SCHEMA = "vagrantkit-bench-runner/1"
SCRATCH_PREFIX = ".vagrantkit-bench-"
SIZES = {"S": 2000, "M": 10000}
MIN_FILES = 10
PROFILES = {
    "quick": {"size": "S", "reps": 5},
    "standard": {"size": "S", "reps": 7},
    "full": {"size": "M", "reps": 7},
}
FILE_OPS = ("stat", "stat_missing", "walk", "read", "create", "append", "rename", "delete", "mkdir_rmdir")
DJANGO_OPS = ("reloader", "discover", "pyc")
FEEL_OPS = ("edit",)
OPERATIONS = FILE_OPS + DJANGO_OPS + FEEL_OPS
# Run after the repetitions, each on its own clock: the reloader ticks as runserver's does, an edit
# waits until the guest sees it. Every other operation runs back to back, interleaved by target.
PACED_OPS = ("reloader", "edit")
# django.utils.autoreload.StatReloader.SLEEP_TIME: the reloader sleeps this long after each tick.
RELOADER_SLEEP = 1.0
# How editors save a file, and the other two changes a reloader must notice (see op `edit`).
EDIT_KINDS = ("write", "replace", "create", "delete")
EDIT_POLL = 0.01  # seconds between two stats while the guest waits to see an edit
UNITS = {
    "walk": "entry",
    "mkdir_rmdir": "folder",
    "discover": "entry",
    "pyc": "module",
    "command": "run",
    "edit": "edit",
}
EXIT_USAGE = 2
SIGNAL_EXIT = {"SIGINT": 130, "SIGTERM": 143, "SIGHUP": 129}
# A target's label; the host builds its LABEL=PATH arguments with these two (vagrantkit.bench.targets).
LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,39}")
_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")
WRITE_BYTES = 4096
APPEND_BYTES = 1024
CREATE_DATA = b"v" * WRITE_BYTES
APPEND_DATA = b"a" * APPEND_BYTES
# Shares whose files live elsewhere (a file server, the hypervisor's host, a FUSE daemon): before a
# read-back the client's cached pages of the file are dropped, so it reads what the other side
# kept. Not on local disks, where the pages are still dirty: dropping them would start writeback.
REMOTE_FS = re.compile(r"nfs4?|vboxsf|9p|virtiofs|cifs|smb3|smbfs|fuse(blk)?(\..*)?|prl_fs|vmhgfs|sshfs")

if TYPE_CHECKING:  # dict[...] is evaluated here only: at runtime it needs 3.9, and guests may have 3.8
    Progress = Callable[[dict[str, Any]], None]


class UsageError(Exception):
    """Bad input: reported on stderr with exit code 2, before anything is written."""


class Interrupted(BaseException):
    """A signal asked the runner to stop (raised from the signal handler, so ``finally`` runs)."""

    def __init__(self, signame: str) -> None:
        super().__init__(signame)
        self.signame = signame


# ---------------------------------------------------------------------------------------------
# Configuration


class Target:
    """One folder to measure."""

    def __init__(self, label: str, path: str) -> None:
        self.label = label
        self.path = path
        self.scratch = ""


class Config:
    """Everything one run needs, validated."""

    def __init__(
        self,
        targets: list[Target],
        baseline: str,
        profile: str,
        size: str,
        files: int,
        reps: int,
        warmup: int,
        seed: int,
        ops: list[str],
        command: str | None,
        copy: str | None,
        command_timeout: float,
        run_id: str,
        output: str | None,
        progress: bool,
        host_sides: Sequence[str] = (),
        edits: int = 20,
        edit_timeout: float = 10.0,
        control: str = "stdio",
        stall_timeout: float = 30.0,
        reloader_sleep: float = RELOADER_SLEEP,
    ) -> None:
        self.targets = targets
        self.baseline = baseline
        self.profile = profile
        self.size = size
        self.files = files
        self.reps = reps
        self.warmup = warmup
        self.seed = seed
        self.ops = ops
        self.command = command
        self.copy = copy
        self.command_timeout = command_timeout
        self.run_id = run_id
        self.output = output
        self.progress = progress
        self.host_sides = list(host_sides)
        self.edits = edits
        self.edit_timeout = edit_timeout
        self.control = control
        self.stall_timeout = stall_timeout
        self.reloader_sleep = reloader_sleep
        # Batches for the write operations: a quarter of the tree, so S and M scale alike.
        self.write_count = max(5, files // 4)
        # Compiling is CPU work that no share speeds up; a twentieth of the tree keeps a run short.
        self.pyc_count = max(2, files // 20)

    def params(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "size": self.size,
            "files": self.files,
            "write_count": self.write_count,
            "pyc_count": self.pyc_count,
            "reps": self.reps,
            "warmup": self.warmup,
            "seed": self.seed,
            "ops": list(self.ops),
            "command": self.command,
            "copy": self.copy,
            "id": self.run_id,
            "baseline": self.baseline,
            "host_sides": list(self.host_sides),
            "edits": self.edits,
            "edit_timeout": self.edit_timeout,
            "reloader_sleep": self.reloader_sleep,
            "stall_timeout": self.stall_timeout,
        }


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's own errors: same shape as ours
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    p = _ArgumentParser(prog="runner.py", description="vagrantkit bench runner (see the module docstring)")
    p.add_argument("targets", nargs="+", metavar="TARGET", help="LABEL=PATH or PATH")
    p.add_argument("--baseline")
    p.add_argument("--profile", default="standard")
    p.add_argument("--ops")
    p.add_argument("--size")
    p.add_argument("--reps", type=int)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--command")
    p.add_argument("--copy")
    p.add_argument("--command-timeout", type=float, default=3600.0)
    p.add_argument("--host-side", action="append", default=[])
    p.add_argument("--edits", type=int, default=20)
    p.add_argument("--edit-timeout", type=float, default=10.0)
    p.add_argument("--control", default="stdio")
    p.add_argument("--stall-timeout", type=float, default=30.0)
    p.add_argument("--reloader-sleep", type=float, default=RELOADER_SLEEP)
    p.add_argument("--id", dest="run_id")
    p.add_argument("--output")
    p.add_argument("--progress", action="store_true")
    return p


def scratch_name(run_id: str, label: str) -> str:
    """``.vagrantkit-bench-ID-LABEL``: the label keeps two targets that are one folder underneath
    (an NFS export and a hypervisor share of the same host folder) out of each other's way."""
    return SCRATCH_PREFIX + run_id + "-" + label


def safe_label(name: str) -> str:
    """The label of a target given without one: its folder's ``name`` (``root`` for ``/``), other characters as ``_``."""
    return re.sub(r"[^A-Za-z0-9_.+-]", "_", name or "root")[:40]


def _split_target(text: str) -> tuple[str, str]:
    label, sep, path = text.partition("=")
    if sep and LABEL.fullmatch(label):
        return label, path
    path = text
    return safe_label(os.path.basename(os.path.normpath(os.path.expanduser(path)))), path


# The fixture's file list is held in memory; far beyond M it is no longer a project-shaped tree.
MAX_FILES = 200_000


def split_command(command: str) -> list[str]:
    """Split ``--command`` like the shell of the machine it runs on.

    POSIX rules would eat the backslashes of a Windows path (``C:\\Python311\\python.exe``), so on
    Windows (``bench --local`` on a Windows host) the words are split without escapes.
    """
    if os.name == "nt":
        return [w[1:-1] if len(w) > 1 and w[0] == w[-1] == '"' else w for w in shlex.split(command, posix=False)]
    return shlex.split(command)


def parse_size(text: str) -> tuple[str, int]:
    """``S``/``M`` or a number of files -> (name, files)."""
    upper = text.strip().upper()
    if upper in SIZES:
        return upper, SIZES[upper]
    if text.strip().isdigit() and MIN_FILES <= int(text) <= MAX_FILES:
        return str(int(text)), int(text)
    raise UsageError(
        f"invalid --size {text!r}: allowed S (2000 files), M (10000 files) or a number from {MIN_FILES} to {MAX_FILES}"
    )


def parse_ops(text: str | None, has_command: bool) -> list[str]:
    """Comma-separated operation names, validated, in the canonical order."""
    if text is None:
        return [] if has_command else list(OPERATIONS)
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in OPERATIONS]
    if unknown or (not names and not has_command):
        raise UsageError(f"invalid --ops {text!r}: allowed a comma-separated list of {', '.join(OPERATIONS)}")
    return [op for op in OPERATIONS if op in names]


def parse_args(argv: Sequence[str]) -> Config:
    """Parse and validate the command line; check every target before anything is written.

    Raises:
        UsageError: Anything wrong with the input, with a message naming it and what is allowed.
    """
    a = _parser().parse_args(list(argv))
    if a.profile not in PROFILES:
        raise UsageError(f"invalid --profile {a.profile!r}: allowed {', '.join(PROFILES)}")
    preset: dict[str, Any] = PROFILES[a.profile]
    size, files = parse_size(a.size if a.size is not None else str(preset["size"]))
    reps = a.reps if a.reps is not None else int(preset["reps"])
    if reps < 1:
        raise UsageError(f"invalid --reps {reps}: allowed a number >= 1")
    if a.warmup < 0:
        raise UsageError(f"invalid --warmup {a.warmup}: allowed a number >= 0")
    if a.command_timeout <= 0:
        raise UsageError(f"invalid --command-timeout {a.command_timeout}: allowed a number of seconds > 0")
    if a.command is not None:
        try:
            if not split_command(a.command):
                raise ValueError("empty")
        except ValueError as exc:
            raise UsageError(f"invalid --command {a.command!r}: {exc}; allowed a program and its arguments") from None
    if a.copy is not None:
        if a.command is None:
            raise UsageError("--copy needs --command: it says where the command runs")
        if not os.path.isdir(os.path.expanduser(a.copy)):
            raise UsageError(f"invalid --copy {a.copy!r}: not an existing folder")
    ops = parse_ops(a.ops, a.command is not None)
    run_id = a.run_id if a.run_id is not None else secrets.token_hex(4)
    if not _ID.fullmatch(run_id):
        raise UsageError(f"invalid --id {run_id!r}: allowed 1-40 letters, digits, '_' or '-'")
    targets: list[Target] = []
    for text in a.targets:
        label, path = _split_target(text)
        path = os.path.abspath(os.path.expanduser(path))
        if any(t.label == label for t in targets):
            raise UsageError(f"target label {label!r} is given twice: allowed one target per label")
        if not os.path.isdir(path):
            raise UsageError(f"target {label}={path}: not an existing folder")
        if not os.access(path, os.W_OK | os.X_OK):
            raise UsageError(f"target {label}={path}: not writable, and the runner needs a scratch folder there")
        if os.path.lexists(os.path.join(path, scratch_name(run_id, label))):
            raise UsageError(f"target {label}={path}: {scratch_name(run_id, label)} already exists; pass another --id")
        targets.append(Target(label, path))
    labels = [t.label for t in targets]
    baseline = a.baseline if a.baseline is not None else targets[0].label
    if baseline not in labels:
        raise UsageError(f"invalid --baseline {baseline!r}: allowed one of {', '.join(labels)}")
    for label in a.host_side:
        if label not in labels:
            raise UsageError(f"invalid --host-side {label!r}: allowed one of {', '.join(labels)}")
    if a.edits < len(EDIT_KINDS):
        raise UsageError(f"invalid --edits {a.edits}: allowed a number >= {len(EDIT_KINDS)} (one of each kind)")
    timeouts = (("--edit-timeout", a.edit_timeout), ("--stall-timeout", a.stall_timeout))
    for name, value in (*timeouts, ("--reloader-sleep", a.reloader_sleep)):
        if value <= 0:
            raise UsageError(f"invalid {name} {value}: allowed a number of seconds > 0")
    if a.control != "stdio" and not os.path.exists(a.control):
        raise UsageError(f"invalid --control {a.control!r}: allowed stdio or the path of a character device")
    if a.output is not None and not os.path.isdir(os.path.dirname(os.path.abspath(a.output))):
        raise UsageError(f"invalid --output {a.output!r}: its folder does not exist")
    return Config(
        targets=targets,
        baseline=baseline,
        profile=a.profile,
        size=size,
        files=files,
        reps=reps,
        warmup=a.warmup,
        seed=a.seed,
        ops=ops + (["command"] if a.command is not None else []),
        command=a.command,
        copy=None if a.copy is None else os.path.abspath(os.path.expanduser(a.copy)),
        command_timeout=a.command_timeout,
        run_id=run_id,
        output=a.output,
        progress=a.progress,
        host_sides=list(dict.fromkeys(a.host_side)),
        edits=a.edits,
        edit_timeout=a.edit_timeout,
        control=a.control,
        stall_timeout=a.stall_timeout,
        reloader_sleep=a.reloader_sleep,
    )


# ---------------------------------------------------------------------------------------------
# Fixture: a deterministic Django-shaped tree


_APP_PY = ("__init__.py", "apps.py", "models.py", "views.py", "admin.py", "urls.py", "forms.py", "serializers.py")
_APP_TESTS = ("tests/__init__.py", "tests/test_models.py", "tests/test_views.py", "tests/test_forms.py")
_APP_TEMPLATES = ("base.html", "list.html", "detail.html", "form.html", "includes/_row.html", "includes/_pager.html")
_LANGS = ("de", "fr", "es")


def fixture_paths(files: int) -> list[str]:
    """Relative paths of the first ``files`` files of the tree, always the same for the same count."""
    out = ["manage.py", "site/__init__.py", "site/settings.py", "site/urls.py", "site/wsgi.py"]
    app = 0
    while len(out) < files:
        name = f"app{app:03d}"
        out.extend(name + "/" + f for f in _APP_PY)
        out.extend(name + "/migrations/" + f for f in ("__init__.py", "0001_initial.py", "0002_auto.py"))
        out.extend(name + "/" + f for f in _APP_TESTS)
        out.extend(name + "/templates/" + name + "/" + f for f in _APP_TEMPLATES)
        out.extend(name + "/static/" + name + "/" + f for f in ("css/app.css", "js/app.js"))
        for lang in _LANGS:
            out.extend(name + "/locale/" + lang + "/LC_MESSAGES/django." + ext for ext in ("po", "mo"))
        app += 1
    return out[:files]


def fixture_content(rel: str, rng: random.Random) -> bytes:
    """About 4 KiB (2-6 KiB) of plausible content for ``rel``; valid Python for .py files."""
    size = rng.randint(2048, 6144)
    if rel.endswith(".mo"):
        # GNU gettext magic number first, like a real catalogue; the rest is opaque to every operation.
        return b"\xde\x12\x04\x95" + bytes(rng.getrandbits(8) for _ in range(size - 4))
    if rel.endswith(".py"):
        name = os.path.basename(rel)[:-3]
        chunks = [f'"""{rel}: generated by vagrantkit bench."""\n\nimport os\n\n']
        if name.startswith("test"):
            chunks.append("import unittest\n\n\nclass GeneratedTests(unittest.TestCase):\n")
            n = 0
            while sum(map(len, chunks)) < size:
                chunks.append(f"    def test_{n}(self):\n        self.assertEqual({n} + {n}, {2 * n})\n\n")
                n += 1
        else:
            n = 0
            while sum(map(len, chunks)) < size:
                k = rng.randint(1, 999)
                chunks.append(f"def f_{n}(x, y={k}):\n    return os.sep.join([str(x), str(y * {n})])\n\n\n")
                n += 1
        return "".join(chunks).encode("utf-8")
    word = [
        "lorem",
        "ipsum",
        "dolor",
        "sit",
        "amet",
        "consectetur",
        "adipiscing",
        "elit",
        "sed",
        "do",
        "eiusmod",
        "tempor",
    ]
    text: list[str] = []
    while sum(len(t) for t in text) < size:
        text.append(" ".join(rng.choice(word) for _ in range(12)) + "\n")
    return "".join(text).encode("utf-8")


def build_fixture(root: str, files: int, seed: int, space: Workspace | None = None) -> dict[str, Any]:
    """Write the tree under ``root`` (which must not exist); returns its counts and the time it took.

    ``space.beats`` counts the files written, for the watchdog; ``space.fixture_sums`` gets each
    file's size and CRC-32, in :func:`fixture_paths` order, for the read-back.
    """
    start = time.perf_counter_ns()
    rng = random.Random(seed)
    total = 0
    dirs = set()
    for rel in fixture_paths(files):
        path = os.path.join(root, *rel.split("/"))
        parent = os.path.dirname(path)
        if parent not in dirs:
            os.makedirs(parent, exist_ok=True)
            dirs.add(parent)
        data = fixture_content(rel, rng)
        with open(path, "wb") as handle:
            handle.write(data)
        total += len(data)
        if space is not None:
            space.beats += 1
            space.fixture_sums.append((len(data), binascii.crc32(data)))
    return {
        "files": files,
        "dirs": len(dirs),
        "bytes": total,
        "seconds": (time.perf_counter_ns() - start) / 1e9,
    }


# ---------------------------------------------------------------------------------------------
# Operations: each returns the number of items it handled


class Workspace:
    """One target's scratch folder: the fixture tree and a work folder for the write operations.

    Every operation counts its items in ``beats`` as it goes (one integer add per file, the same
    in every target): the watchdog of :class:`Worker` tells a slow share from a dead one by it.
    """

    def __init__(self, config: Config, scratch: str, target_path: str = "", label: str = "") -> None:
        self.config = config
        self.label = label
        self.target_path = target_path
        self.tree = os.path.join(scratch, "tree")
        self.work = os.path.join(scratch, "work")
        self.edit_dir = os.path.join(scratch, "edit")
        self.beats = 0
        self.files: list[str] = []
        self.missing: list[str] = []
        self.py_files: list[str] = []
        self.template_dirs: list[str] = []
        self.pyc_sources: list[tuple[str, str]] = []
        self.written: list[str] = []
        # Path names are built here and in before(), outside the timed region: only file-system
        # work is timed. create hands its list to `written`, which is only ever reassigned.
        self.new_files: list[str] = []
        self.dirs: list[str] = []
        self.renamed: list[str] = []
        self.project = ""
        self.fixture_sums: list[tuple[int, int]] = []
        # What each file in `written` holds (create's bytes, then append's): set outside the timed region.
        self.content = b""
        # Drop the client's cached pages before a read-back (a share; see REMOTE_FS).
        self.uncached = False

    def make_work(self, build: bool) -> None:
        """Make the folders the write operations work in (``execute`` makes every target's first)."""
        os.mkdir(self.work)
        if build:
            for name in ("pyc", "new", "dirs"):
                os.mkdir(os.path.join(self.work, name))

    def prepare(self, build: bool) -> dict[str, Any] | None:
        """Create the fixture (when operations need it) and the lists the operations walk."""
        info = None
        if build:
            info = build_fixture(self.tree, self.config.files, self.config.seed, self)
            rels = fixture_paths(self.config.files)
            self.files = [os.path.join(self.tree, *r.split("/")) for r in rels]
            self.verify_fixture()
            self.missing = [p + ".missing" for p in self.files]
            self.py_files = [p for p in self.files if p.endswith(".py")]
            self.template_dirs = sorted(
                {
                    p.split(os.sep + "templates" + os.sep)[0] + os.sep + "templates"
                    for p in self.files
                    if os.sep + "templates" + os.sep in p
                }
            )
            pyc_dir = os.path.join(self.work, "pyc")
            self.pyc_sources = [
                (src, os.path.join(pyc_dir, f"{i}.pyc")) for i, src in enumerate(self.py_files[: self.config.pyc_count])
            ]
            new = os.path.join(self.work, "new")
            dirs = os.path.join(self.work, "dirs")
            self.new_files = [os.path.join(new, f"f{i}") for i in range(self.config.write_count)]
            self.dirs = [os.path.join(dirs, f"d{i}") for i in range(self.config.write_count)]
        if "edit" in self.config.ops and self.label in self.config.host_sides:
            os.mkdir(self.edit_dir)
            for i, kind in enumerate(edit_plan(self.config.edits)):
                if kind != "create":  # the host edits or deletes these; it creates the others
                    with open(os.path.join(self.edit_dir, f"e{i}.py"), "wb") as handle:
                        handle.write(b"VALUE = 0\n")
        if "command" in self.config.ops:
            # The command runs in a copy, never in the user's folder: of --copy, else of the target.
            source = self.config.copy or self.target_path
            self.project = os.path.join(os.path.dirname(self.work), "project")
            shutil.copytree(
                source,
                self.project,
                symlinks=True,
                ignore=shutil.ignore_patterns(SCRATCH_PREFIX + "*", ".vagrant", ".git"),
                copy_function=self._copy,
            )
        return info

    def _copy(self, source: str, destination: str) -> Any:
        self.beats += 1
        return shutil.copy2(source, destination)

    # -- read-back: what the write operations wrote, checked outside the timed region

    def after(self, op: str) -> None:
        """Untimed, after ``op``: read back what it wrote.

        Raises:
            Corrupt: A file does not hold what was written, or cannot be read back.
        """
        if op == "create":
            self.content = CREATE_DATA
        elif op == "append":
            self.content += APPEND_DATA
        if op in ("create", "append"):
            size, crc = len(self.content), binascii.crc32(self.content)
            for p in self.written:
                self._check(op, p, size, crc)
        elif op == "pyc":
            for src, cfile in self.pyc_sources:
                self._check_pyc(src, cfile)

    def verify_fixture(self) -> None:
        """Untimed: every fixture file holds what :func:`build_fixture` wrote."""
        for p, (size, crc) in zip(self.files, self.fixture_sums):
            self._check("fixture", p, size, crc)

    def read_back(self, path: str) -> bytes:
        """The bytes of ``path``, from the share's other side where the client would serve its cache."""
        fd = os.open(path, os.O_RDONLY)
        try:
            if self.uncached and hasattr(os, "posix_fadvise"):
                with contextlib.suppress(OSError):
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            chunks = []
            while True:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)
            self.beats += 1

    def _check(self, op: str, path: str, size: int, crc: int) -> None:
        try:
            data = self.read_back(path)
        except OSError as exc:
            raise Corrupt(self._record(op, path, {"size": size, "crc32": crc}, None, str(exc))) from None
        if len(data) != size or binascii.crc32(data) != crc:
            found = {"size": len(data), "crc32": binascii.crc32(data)}
            raise Corrupt(self._record(op, path, {"size": size, "crc32": crc}, found, None))

    def _check_pyc(self, src: str, cfile: str) -> None:
        """A .pyc is right when it has this Python's magic number and unmarshals to the source's code
        (its bytes are not compared: marshal's output depends on reference counts)."""
        try:
            data = self.read_back(cfile)
        except OSError as exc:
            raise Corrupt(self._record("pyc", cfile, "a .pyc of " + self._rel(src), None, str(exc))) from None
        try:
            with open(src, "rb") as handle:
                code = compile(handle.read(), src, "exec", dont_inherit=True)
            good = data[:4] == importlib.util.MAGIC_NUMBER and marshal.loads(data[16:]) == code
        except (EOFError, ValueError, TypeError):
            good = False
        if not good:
            found = {"size": len(data), "crc32": binascii.crc32(data)}
            raise Corrupt(self._record("pyc", cfile, "a .pyc of " + self._rel(src), found, None))

    def _rel(self, path: str) -> str:
        return os.path.relpath(path, os.path.dirname(self.work)).replace(os.sep, "/")

    def _record(self, op: str, path: str, expected: Any, found: Any, error: str | None) -> dict[str, Any]:
        return {
            "target": self.label,
            "op": op,
            "file": self._rel(path),
            "expected": expected,
            "found": found,
            "error": error,
        }

    # -- plain file-system operations

    def op_stat(self) -> int:
        st = os.stat
        for p in self.files:
            st(p)
            self.beats += 1
        return len(self.files)

    def op_stat_missing(self) -> int:
        st = os.stat
        for p in self.missing:
            try:
                st(p)
            except FileNotFoundError:
                pass
            else:
                raise RuntimeError(f"{p} exists although the runner never creates it")
            self.beats += 1
        return len(self.missing)

    def op_walk(self) -> int:
        n = 0
        for _, dirnames, filenames in os.walk(self.tree):
            n += len(dirnames) + len(filenames)
            self.beats += 1
        return n

    def op_read(self) -> int:
        for p in self.files:
            with open(p, "rb") as handle:
                handle.read()
            self.beats += 1
        return len(self.files)

    def op_create(self) -> int:
        data = b"v" * WRITE_BYTES
        self.written = self.new_files
        for p in self.written:
            with open(p, "wb") as handle:
                handle.write(data)
            self.beats += 1
        return len(self.written)

    def before(self, op: str) -> None:
        """Untimed set-up for ``op``: append/rename/delete need the files `create` makes; create starts empty.

        rename gets its new names here: each name of `written` plus ``.r`` (again on every rename).
        """
        if op in ("append", "rename", "delete") and not self.written:
            self.op_create()
            self.after("create")
        elif op == "create" and self.written:
            self.op_delete()
        if op == "rename":
            self.renamed = [p + ".r" for p in self.written]

    def op_append(self) -> int:
        data = b"a" * APPEND_BYTES
        for p in self.written:
            with open(p, "ab") as handle:
                handle.write(data)
            self.beats += 1
        return len(self.written)

    def op_rename(self) -> int:
        for old, new in zip(self.written, self.renamed):
            os.rename(old, new)
            self.beats += 1
        self.written = self.renamed
        return len(self.written)

    def op_delete(self) -> int:
        for p in self.written:
            os.unlink(p)
            self.beats += 1
        n = len(self.written)
        self.written = []
        return n

    def op_mkdir_rmdir(self) -> int:
        for d in self.dirs:
            os.mkdir(d)
            self.beats += 1
        for d in self.dirs:
            os.rmdir(d)
            self.beats += 1
        return len(self.dirs)

    # -- Django-shaped workloads

    def op_reloader(self) -> int:
        # django.utils.autoreload.StatReloader.snapshot_files: stat every watched module file and
        # every match of the template directories' "**/*" glob, once per tick.
        st = os.stat
        n = 0
        for p in self.py_files:
            st(p).st_mtime  # noqa: B018 - the reloader reads the mtime; so do we
            n += 1
            self.beats += 1
        for d in self.template_dirs:
            for p in glob.glob(os.path.join(d, "**", "*"), recursive=True):
                st(p).st_mtime  # noqa: B018
                n += 1
                self.beats += 1
        return n

    def op_discover(self) -> int:
        # unittest.TestLoader.discover(start_dir, pattern="test*.py"): list every folder, keep
        # packages (isfile __init__.py), match module names, and load (here: read) what matches.
        return self._discover(self.tree)

    def _discover(self, folder: str) -> int:
        n = 0
        for name in sorted(os.listdir(folder)):
            n += 1
            self.beats += 1
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                if fnmatch.fnmatch(name, "test*.py") and name[:-3].isidentifier():
                    with open(path, "rb") as handle:
                        handle.read()
            elif os.path.isdir(path):
                init = os.path.join(path, "__init__.py")
                if os.path.isfile(init):
                    with open(init, "rb") as handle:
                        handle.read()
                    n += self._discover(path)
        return n

    def op_pyc(self) -> int:
        for src, cfile in self.pyc_sources:
            py_compile.compile(src, cfile=cfile, doraise=True)
            self.beats += 1
        return len(self.pyc_sources)

    def op_command(self) -> tuple[int, int]:
        proc = subprocess.run(
            split_command(self.config.command or ""),
            cwd=self.project,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=self.config.command_timeout,
            check=False,
        )
        self.beats += 1
        return 1, proc.returncode

    # -- paced operations: each keeps its own clock

    def paced_reloader(self, ticks: int) -> tuple[int, list[int], list[int]]:
        """``ticks`` reloader ticks, each after a ``--reloader-sleep`` sleep, as runserver runs them.

        Returns the files per tick and each tick's wall and CPU time (the thread's own, in ns).
        """
        wall: list[int] = []
        cpu: list[int] = []
        count = 0
        for _ in range(ticks):
            time.sleep(self.config.reloader_sleep)
            self.beats += 1
            begin, begin_cpu = time.perf_counter_ns(), time.thread_time_ns()
            count = self.op_reloader()
            wall.append(time.perf_counter_ns() - begin)
            cpu.append(time.thread_time_ns() - begin_cpu)
        return count, wall, cpu

    def paced_edit(self, ask: Callable[[dict[str, Any]], dict[str, Any]], rng: random.Random) -> dict[str, Any]:
        """Op ``edit``: the host edits, the guest stats until it sees it (see the module docstring)."""
        samples: list[int] = []
        kinds: list[str] = []
        misses: list[str] = []
        for i, kind in enumerate(edit_plan(self.config.edits)):
            rel = f"edit/e{i}.py"
            path = os.path.join(self.edit_dir, f"e{i}.py")
            before = _identity(path)
            # The last stat is a random part of a reloader tick old when the edit lands, as it is
            # under runserver: the attribute cache is caught at every age.
            time.sleep(rng.uniform(0.0, self.config.reloader_sleep))
            answer = ask({"edit": {"target": self.label, "kind": kind, "path": rel, "n": i}})
            if not answer.get("ok"):
                raise RuntimeError(f"the host could not {kind} {rel}: {answer.get('error', answer)}")
            start = time.perf_counter_ns()
            deadline = start + int(self.config.edit_timeout * 1e9)
            while True:
                now = _identity(path)
                seen = time.perf_counter_ns()
                self.beats += 1
                if _changed(kind, before, now):
                    samples.append(seen - start)
                    kinds.append(kind)
                    break
                if seen > deadline:
                    misses.append(kind)
                    break
                time.sleep(EDIT_POLL)
        return {"count": 1, "unit": UNITS["edit"], "ns": samples, "kinds": kinds, "misses": misses}


def edit_plan(edits: int) -> list[str]:
    """The kind of each of ``edits`` edits, in turn: write, replace, create, delete, write..."""
    return [EDIT_KINDS[i % len(EDIT_KINDS)] for i in range(edits)]


def _identity(path: str) -> tuple[int, int, int] | None:
    """What a reloader can tell a file by: (inode, mtime, size); None when it is not there."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _changed(kind: str, before: tuple[int, int, int] | None, now: tuple[int, int, int] | None) -> bool:
    if kind == "create":
        return now is not None
    if kind == "delete":
        return now is None
    return now is not None and now != before


# ---------------------------------------------------------------------------------------------
# Mounts and environment


def _unescape_mount(field: str) -> str:
    # /proc/mounts writes space, tab, newline and backslash as octal escapes (\040 ...).
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def parse_proc_mounts(text: str) -> list[dict[str, str]]:
    """Parse /proc/mounts text into ``{"source", "point", "fs_type", "options"}`` records."""
    mounts = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 4:
            mounts.append(
                {
                    "source": _unescape_mount(parts[0]),
                    "point": _unescape_mount(parts[1]),
                    "fs_type": parts[2],
                    "options": parts[3],
                }
            )
    return mounts


def read_mounts() -> list[dict[str, str]]:
    """Mounted file systems: /proc/mounts on Linux, the `mount` command's output elsewhere."""
    mounts: list[dict[str, str]] = []
    try:
        with open("/proc/mounts", encoding="utf-8", errors="replace") as handle:
            return parse_proc_mounts(handle.read())
    except OSError:
        pass
    if os.name != "posix":
        return mounts
    try:  # macOS and the BSDs: "/dev/disk1s1 on / (apfs, local, journaled)"
        out = subprocess.run(["mount"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return mounts
    for line in out.splitlines():
        m = re.match(r"(.+?) on (.+?) \(([^,)]+),?\s*([^)]*)\)", line)
        if m:
            mounts.append({"source": m.group(1), "point": m.group(2), "fs_type": m.group(3), "options": m.group(4)})
    return mounts


def mount_of(path: str, mounts: list[dict[str, str]]) -> dict[str, str] | None:
    """The mount that holds ``path``: the longest mount point that is a prefix of its real path."""
    real = os.path.realpath(path)
    best = None
    for m in mounts:
        point = m["point"].rstrip("/") or "/"
        if (real == point or real.startswith(point.rstrip("/") + "/")) and (
            best is None or len(point) >= len(best["point"].rstrip("/") or "/")
        ):
            best = m
    return None if best is None else dict(best)


def environment() -> dict[str, Any]:
    """The machine the runner runs on: Python, kernel, CPUs."""
    u = platform.uname()
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": sys.platform,
        "kernel": {"sysname": u.system, "release": u.release, "version": u.version, "machine": u.machine},
        "cpus": os.cpu_count(),
    }


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------
# Scratch folders and signals


def remove_tree(path: str) -> bool:
    """Remove ``path`` even when files in it were made read-only; True when it is gone."""

    def retry(func: Callable[..., Any], failed: str, _exc: Any) -> None:
        try:
            os.chmod(failed, stat.S_IRWXU)
            func(failed)
        except OSError:
            pass

    if os.path.lexists(path):
        shutil.rmtree(path, onerror=retry)  # onerror: onexc exists only from 3.12
    return not os.path.lexists(path)


class _Signals:
    """Turns SIGTERM/SIGHUP (and SIGINT) into :class:`Interrupted` so ``finally`` blocks run.

    Only in the main thread (signal handlers cannot be set elsewhere); restored on exit.
    """

    NAMES = ("SIGINT", "SIGTERM", "SIGHUP")

    def __init__(self) -> None:
        self.saved: dict[int, Any] = {}

    def __enter__(self) -> _Signals:
        if threading.current_thread() is threading.main_thread():
            for name in self.NAMES:
                signum = getattr(signal, name, None)
                if signum is not None:
                    self.saved[signum] = signal.signal(signum, self._raise)
        return self

    @staticmethod
    def _raise(signum: int, _frame: Any) -> None:
        raise Interrupted(signal.Signals(signum).name)

    def hold(self) -> None:
        """Ignore further signals while cleaning up: a second Ctrl-C must not leave files behind."""
        for signum in self.saved:
            signal.signal(signum, signal.SIG_IGN)

    def __exit__(self, *exc: Any) -> None:
        for signum, handler in self.saved.items():
            signal.signal(signum, handler)


# ---------------------------------------------------------------------------------------------
# The run


# stderr carries progress lines (main thread) and control requests (a target's thread): one at a time.
_STDERR = threading.Lock()


def _emit_progress(done: int, total: int, **fields: Any) -> None:
    with _STDERR:
        sys.stderr.write(json.dumps(dict({"progress": [done, total]}, **fields)) + "\n")
        sys.stderr.flush()


class Stalled(Exception):
    """A target made no progress for --stall-timeout seconds; it is given up."""


class Corrupt(Exception):
    """A file read back does not hold what was written (or cannot be read): the target loses data.

    ``record`` is its entry in the document's ``corrupt`` list.
    """

    def __init__(self, record: dict[str, Any]) -> None:
        super().__init__(corruption_message(record))
        self.record = record


def _sum_text(value: Any) -> str:
    if isinstance(value, dict):
        return f"{value['size']} bytes (crc32 {value['crc32']:08x})"
    return str(value)


def corruption_message(record: dict[str, Any]) -> str:
    """``data corruption: nfs: work/new/f3 written by create: expected 4096 bytes (crc32 ...), found 0 bytes (...)``."""
    what = "the fixture file" if record["op"] == "fixture" else f"written by {record['op']}"
    head = f"data corruption: {record['target']}: {record['file']} ({what})"
    if record.get("error"):
        return f"{head} could not be read back: {record['error']}"
    return f"{head}: expected {_sum_text(record['expected'])}, found {_sum_text(record['found'])}"


class Worker:
    """The thread that does all of one target's file-system work, so a dead share blocks only itself.

    The main thread hands it one job at a time (:meth:`call`) and waits, watching the target's
    ``beats``: a job that makes no progress for ``stall_timeout`` seconds (a hard NFS mount whose
    server is gone waits without end) is given up, and the target with it. The thread is a
    daemon: a process that exits takes it along, wherever it waits.
    """

    def __init__(self, space: Workspace, stall_timeout: float) -> None:
        self.space = space
        self.stall_timeout = stall_timeout
        self.dead = False
        self._jobs: queue.Queue[tuple[int, Callable[[], Any]] | None] = queue.Queue()
        self._done: queue.Queue[tuple[int, bool, Any]] = queue.Queue()
        self._next = 0
        self._thread = threading.Thread(target=self._loop, name=f"target-{space.label}", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None:
                return
            number, job = item
            try:
                self._done.put((number, True, job()))
            except BaseException as exc:  # handed to the main thread, which decides
                self._done.put((number, False, exc))

    def call(self, job: Callable[[], Any], *, watch: bool = True) -> Any:
        """``job()`` in the target's thread: its result, or its exception raised here.

        Raises:
            Stalled: ``watch`` and the target's beats stood still for ``stall_timeout`` seconds.
        """
        if self.dead:
            raise Stalled(f"{self.space.label} stopped answering earlier")
        self._next += 1
        number = self._next
        self._jobs.put((number, job))
        last, since = self.space.beats, time.monotonic()
        while True:
            try:
                got, ok, value = self._done.get(timeout=0.2)
            except queue.Empty:
                if self.space.beats != last:
                    last, since = self.space.beats, time.monotonic()
                elif watch and time.monotonic() - since > self.stall_timeout:
                    self.dead = True
                    raise Stalled(f"{self.space.label} stopped answering after {self.stall_timeout:g} s") from None
                continue
            if got != number:
                continue  # the answer to a job an interrupt gave up waiting for
            if ok:
                return value
            raise value

    def stop(self) -> None:
        self._jobs.put(None)


def _timed(space: Workspace, op: str) -> tuple[int, int, int | None]:
    """One sample of ``op``: untimed set-up, the timed operation, then the untimed read-back.

    Raises:
        Corrupt: The read-back found other data than was written (no sample then).
    """
    space.before(op)
    returncode = None
    begin = time.perf_counter_ns()
    if op == "command":
        count, returncode = space.op_command()
    else:
        count = getattr(space, "op_" + op)()
    elapsed = time.perf_counter_ns() - begin
    space.after(op)
    return count, elapsed, returncode


def _scratch(config: Config, target: Target) -> list[str]:
    """In the target's thread: note earlier runs' scratch folders, then make ours."""
    # This run's own (another target may be a view of the same folder) are not left over.
    ours = SCRATCH_PREFIX + config.run_id + "-"
    leftovers = sorted(
        os.path.join(target.path, name)
        for name in os.listdir(target.path)
        if name.startswith(SCRATCH_PREFIX) and not name.startswith(ours)
    )
    os.mkdir(target.scratch)
    return leftovers


def execute(
    config: Config,
    progress: Progress | None = None,
    ask: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Measure every target; returns the JSON document (see the module docstring).

    Args:
        config: The parsed command line.
        progress: Receives one event per step (the ``--progress`` lines).
        ask: Sends a request to the host side and returns its answer (op ``edit``); see ``--control``.

    Scratch folders are removed before this returns or raises, whatever happens (exceptions,
    KeyboardInterrupt, SIGTERM, SIGHUP), except those of a target that stopped answering.

    Raises:
        Interrupted: A signal arrived (after cleanup).
    """
    started = _now()
    mounts = read_mounts()
    env = environment()
    rng = random.Random(config.seed)
    doc: dict[str, Any] = {"schema": SCHEMA, "status": "ok", "params": config.params(), "environment": env}
    results: dict[str, dict[str, dict[str, Any]]] = {t.label: {} for t in config.targets}
    order: list[list[str]] = []
    errors: list[str] = []
    stalled: list[str] = []
    corrupt: list[dict[str, Any]] = []
    given_up: list[str] = []  # stalled or corrupt: the rest of the run goes on without them
    leftovers: list[str] = []
    target_docs: list[dict[str, Any]] = []
    created: list[str] = []
    workers: dict[str, Worker] = {}
    batch_ops = [op for op in config.ops if op not in PACED_OPS]
    needs_tree = any(op != "command" for op in config.ops)
    reps_total = config.warmup + config.reps
    editable = [t.label for t in config.targets if t.label in config.host_sides] if "edit" in config.ops else []
    total = reps_total * len(batch_ops) * len(config.targets)
    total += len(config.targets) * ("reloader" in config.ops) + len(editable)
    done = 0
    removed: list[str] = []
    left: list[str] = []

    def step(**fields: Any) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(dict(fields, progress=[done, total]))

    def attempt(label: str, job: Callable[[], Any], *, watch: bool = True) -> Any:
        """``job`` in ``label``'s thread; None (and the target given up) when it stalls or loses data."""
        try:
            return workers[label].call(job, watch=watch)
        except Stalled as exc:
            if label not in stalled:
                stalled.append(label)
                given_up.append(label)
                errors.append(f"{exc} (its other results are kept; the rest of the run went on without it)")
        except Corrupt as exc:
            # A folder that loses data has no speed worth comparing: the sample is dropped, the
            # target given up (what it measured before is kept, and shown without a ratio).
            corrupt.append(exc.record)
            given_up.append(label)
            errors.append(f"{exc} ({label} was given up; the rest of the run went on without it)")
        return None

    if editable and ask is None:
        raise UsageError("op edit needs a control channel to the host side (--control)")
    with _Signals() as signals:
        try:
            for t in config.targets:
                t.scratch = os.path.join(t.path, scratch_name(config.run_id, t.label))
                space = Workspace(config, t.scratch, t.path, t.label)
                space.uncached = bool(REMOTE_FS.fullmatch((mount_of(t.path, mounts) or {}).get("fs_type", "")))
                workers[t.label] = Worker(space, config.stall_timeout)
                # Listed before mkdir, so a signal between the two cannot leave it behind; taken off
                # again if the name turned out to be someone else's (it is never removed then).
                created.append(t.scratch)
                try:
                    leftovers.extend(attempt(t.label, functools.partial(_scratch, config, t)) or [])
                except FileExistsError:
                    created.remove(t.scratch)
                    raise
                if t.label not in given_up:
                    attempt(t.label, functools.partial(space.make_work, needs_tree))
            # A/A: every target's work folders are made above, one after another, before any
            # fixture. On ext4 without a journal a new inode is not one freed less than 60 s ago
            # (360 s while its inode-table block is dirty) when its block group has another, so each
            # create or mkdir steps over the recently freed inodes of its group (fs/ext4/ialloc.c:
            # find_inode_bit, recently_deleted). Made together, the work folders share a group and
            # that cost; made after each fixture, the first targets' landed among the previous
            # run's freed inodes and the last target's beyond them: the same folder under three
            # labels measured create 110/14/12 ms.
            for t in config.targets:
                space = workers[t.label].space
                if progress:
                    progress({"phase": "fixture", "target": t.label, "progress": [done, total]})
                fixture = None
                if t.label not in given_up:
                    fixture = attempt(t.label, functools.partial(space.prepare, needs_tree))
                target_docs.append(
                    {
                        "label": t.label,
                        "path": t.path,
                        "baseline": t.label == config.baseline,
                        "scratch": t.scratch,
                        "mount": mount_of(t.path, mounts),
                        "fixture": fixture,
                    }
                )
            for rep in range(reps_total):
                measured = rep >= config.warmup
                for op in batch_ops:
                    labels = [t.label for t in config.targets]
                    rng.shuffle(labels)
                    if measured:
                        order.append(labels)
                    for label in labels:
                        space = workers[label].space
                        outcome = None
                        if label not in given_up:
                            outcome = attempt(label, functools.partial(_timed, space, op), watch=op != "command")
                        if outcome is not None:
                            count, elapsed, returncode = outcome
                            if returncode:
                                # A command that fails measured nothing: no timing, and the run failed.
                                doc["status"] = "failed"
                                errors.append(f"{label}: --command exited {returncode}")
                            elif measured:
                                slot = results[label].setdefault(
                                    op, {"count": count, "unit": UNITS.get(op, "file"), "ns": []}
                                )
                                slot["ns"].append(elapsed)
                        step(
                            phase="warmup" if not measured else "measure",
                            rep=rep + 1 - config.warmup,
                            reps=config.reps,
                            op=op,
                            target=label,
                        )
            if "reloader" in config.ops:
                labels = [t.label for t in config.targets]
                rng.shuffle(labels)
                for label in labels:
                    space = workers[label].space
                    ticks = None
                    if label not in given_up:
                        ticks = attempt(label, functools.partial(space.paced_reloader, reps_total))
                    if ticks is not None:
                        count, wall, cpu = ticks
                        results[label]["reloader"] = {
                            "count": count,
                            "unit": "file",
                            "ns": wall[config.warmup :],
                            "cpu_ns": cpu[config.warmup :],
                        }
                    step(phase="measure", op="reloader", target=label)
            rng.shuffle(editable)
            for label in editable:
                assert ask is not None
                space = workers[label].space
                edits = None
                if label not in given_up:
                    edits = attempt(label, functools.partial(space.paced_edit, ask, random.Random(rng.random())))
                if edits is not None:
                    results[label]["edit"] = edits
                    if edits["misses"]:
                        errors.append(
                            f"{label}: {len(edits['misses'])} of {config.edits} edits not seen within "
                            f"{config.edit_timeout:g} s ({', '.join(sorted(set(edits['misses'])))})"
                        )
                step(phase="measure", op="edit", target=label)
        except (OSError, RuntimeError, subprocess.SubprocessError, py_compile.PyCompileError) as exc:
            doc["status"] = "failed"
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            signals.hold()
            for t in config.targets:
                if t.scratch not in created:
                    continue
                worker = workers.get(t.label)
                if worker is None or worker.dead:
                    continue  # cannot be removed while its file system does not answer
                try:
                    if worker.call(functools.partial(remove_tree, t.scratch)):
                        removed.append(t.scratch)
                except Stalled:
                    pass
            for worker in workers.values():
                worker.stop()
            left = [p for p in created if p not in removed]
            if left or stalled or corrupt:
                doc["status"] = "failed"
            if left:
                errors.append("could not remove " + ", ".join(left))
    doc["environment"]["started"] = started
    doc["environment"]["finished"] = _now()
    doc["targets"] = target_docs
    doc["order"] = order
    doc["results"] = results
    doc["errors"] = sorted(set(errors), key=errors.index)
    doc["stalled"] = stalled
    doc["corrupt"] = corrupt
    doc["leftovers"] = leftovers
    doc["cleanup"] = {"removed": removed, "left": left}
    return doc


class StdioControl:
    """``--control stdio``: a request is one JSON line on stderr (``{"control": ...}``), the answer one on stdin.

    stdin is read by a thread of its own, so a host that never answers is a timeout, not a hang.
    """

    def __init__(self, reader: Any, writer: Any, timeout: float = 60.0) -> None:
        self.writer = writer
        self.timeout = timeout
        self.lock = threading.Lock()
        self.answers: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=self._read, args=(reader,), daemon=True).start()

    def _read(self, reader: Any) -> None:
        for line in iter(reader.readline, b""):
            self.answers.put(line)
        self.answers.put(b"")

    def _send(self, request: dict[str, Any]) -> None:
        text = json.dumps({"control": request}) + "\n"
        with _STDERR:
            self.writer.write(text if isinstance(self.writer, io.TextIOBase) else text.encode())
            self.writer.flush()

    def __call__(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self._send(request)
            try:
                line = self.answers.get(timeout=self.timeout)
            except queue.Empty:
                raise RuntimeError(f"the host side did not answer within {self.timeout:g} s") from None
            if not line:
                raise RuntimeError("the host side closed the control channel")
            answer = json.loads(line)
            if not isinstance(answer, dict):
                raise RuntimeError(f"the host side answered {line!r}")
            return answer


def open_control(where: str) -> StdioControl:
    """The control channel ``--control`` names: our stdin/stderr, or a character device for both."""
    if where == "stdio":
        return StdioControl(sys.stdin.buffer, sys.stderr)
    device = open(where, "r+b", buffering=0)  # noqa: SIM115 - lives as long as the run
    return StdioControl(io.BufferedReader(device), device)


def write_output(text: str, path: str | None) -> None:
    """Write ``text`` to ``path`` atomically, or to stdout."""
    if path is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".bench-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


ARGV_B64 = "--argv-b64"


def encode_argv(args: Sequence[str]) -> list[str]:
    """``args`` as the ASCII ``--argv-b64 B64`` form when any of them is not ASCII, else as they are."""
    if all(a.isascii() for a in args):
        return list(args)
    return [ARGV_B64, base64.b64encode(json.dumps(list(args)).encode("utf-8")).decode("ascii")]


def decode_argv(rest: Sequence[str]) -> list[str]:
    """The arguments ``--argv-b64 B64`` carries.

    Raises:
        UsageError: Not one base64 JSON list of strings.
    """
    try:
        (text,) = rest
        args = json.loads(base64.b64decode(text, validate=True).decode("utf-8"))
    except (ValueError, TypeError):
        args = None
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise UsageError(f"invalid {ARGV_B64}: allowed one base64 JSON list of arguments")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run from the command line; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args[:1] == [ARGV_B64]:
            args = decode_argv(args[1:])
        config = parse_args(args)
    except UsageError as exc:
        sys.stderr.write(f"runner.py: error: {exc}\n")
        return EXIT_USAGE

    def show(event: dict[str, Any]) -> None:
        done, total = event.pop("progress")
        _emit_progress(done, total, **event)

    editing = "edit" in config.ops and bool(config.host_sides)
    try:
        doc = execute(
            config, progress=show if config.progress else None, ask=open_control(config.control) if editing else None
        )
    except Interrupted as exc:
        sys.stderr.write(f"runner.py: interrupted by {exc.signame}; scratch folders removed\n")
        return SIGNAL_EXIT.get(exc.signame, 1)
    write_output(json.dumps(doc, indent=1, sort_keys=True) + "\n", config.output)
    for line in doc["errors"]:
        sys.stderr.write(f"runner.py: {line}\n")
    return 0 if doc["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
