"""bench's options checked on this side, before anything runs, and turned into the runner's command line.

The runner (``vagrantkit/bench/runner.py``, sent into guests) checks its own command line again; this
side reads only its vocabulary (operations, sizes, profiles), never its parser, so a bad value is
named with the option the user typed (exit 2) and nothing starts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from vagrantkit.bench import runner as bench_runner
from vagrantkit.bench.model import BenchOptions
from vagrantkit.bench.targets import Target
from vagrantkit.errors import InvalidValue

MIN_REPS = 5


def _size_ok(text: str) -> bool:
    text = text.strip()
    if text.upper() in bench_runner.SIZES:
        return True
    return text.isdigit() and bench_runner.MIN_FILES <= int(text) <= bench_runner.MAX_FILES


def _ops_ok(text: str, has_command: bool) -> bool:
    names = [n.strip() for n in text.split(",") if n.strip()]
    return all(n in bench_runner.OPERATIONS for n in names) and (bool(names) or has_command)


def runner_args(
    options: BenchOptions,
    targets: Sequence[Target],
    baseline: str,
    run_id: str | None = None,
    host_sides: Sequence[str] = (),
) -> list[str]:
    """The runner's command line for ``options``, validated on this side first (exit 2, nothing written).

    Raises:
        InvalidValue: A bad --profile, --ops, --size, --reps or --warmup.
    """
    if options.profile not in bench_runner.PROFILES:
        raise InvalidValue("--profile", options.profile, ", ".join(bench_runner.PROFILES))
    if options.size is not None and not _size_ok(options.size):
        raise InvalidValue(
            "--size",
            options.size,
            f"S, M or a number of files from {bench_runner.MIN_FILES} to {bench_runner.MAX_FILES}",
        )
    if options.ops is not None and not _ops_ok(options.ops, options.command is not None):
        raise InvalidValue("--ops", options.ops, "a comma-separated list of " + ", ".join(bench_runner.OPERATIONS))
    if options.reps is not None and options.reps < MIN_REPS:
        raise InvalidValue("--reps", options.reps, f"a number >= {MIN_REPS} (fewer gives no meaningful interval)")
    if options.warmup < 0:
        raise InvalidValue("--warmup", options.warmup, "a number >= 0")
    if options.copy is not None and options.command is None:
        raise InvalidValue("--copy", options.copy, "a folder, together with --command")
    if options.edits is not None and options.edits < len(bench_runner.EDIT_KINDS):
        raise InvalidValue(
            "--edits", options.edits, f"a number >= {len(bench_runner.EDIT_KINDS)} (one edit of each kind)"
        )
    args = [t.argument() for t in targets]
    args += ["--baseline", baseline, "--profile", options.profile, "--warmup", str(options.warmup)]
    args += ["--seed", str(options.seed)]
    for flag, value in (("--ops", options.ops), ("--size", options.size), ("--command", options.command)):
        if value is not None:
            args += [flag, value]
    if options.reps is not None:
        args += ["--reps", str(options.reps)]
    if options.copy is not None:
        args += ["--copy", options.copy]
    for label in host_sides:
        args += ["--host-side", label]
    if options.edits is not None:
        args += ["--edits", str(options.edits)]
    if run_id is not None:
        args += ["--id", run_id]
    return args


def parse_host_sides(values: Sequence[str], targets: Sequence[Target]) -> dict[str, Path]:
    """``--host-side LABEL=FOLDER`` values -> the host folder behind each named target (op edit).

    Raises:
        InvalidValue: An unknown label, or a folder that does not exist.
    """
    labels = [t.label for t in targets]
    folders: dict[str, Path] = {}
    for value in values:
        label, sep, folder = value.partition("=")
        if not sep or label not in labels:
            raise InvalidValue(
                "--host-side", value, "LABEL=FOLDER with LABEL one of the --local labels: " + ", ".join(labels)
            )
        path = Path(folder).expanduser()
        if not folder or not path.is_dir():
            raise InvalidValue(
                "--host-side", value, "LABEL=FOLDER naming an existing folder (the one behind the target)"
            )
        folders[label] = path.resolve()
    return folders


def check_from_alone(given: Mapping[str, Any]) -> None:
    """``--from`` measures nothing: refuse options that only make sense for a measurement (exit 2)."""
    defaults = {f.name: f.default for f in fields(BenchOptions)}
    extra = [
        name for name, value in given.items() if name != "baseline" and value not in (defaults.get(name), (), None)
    ]
    if extra:
        name = extra[0]
        raise InvalidValue(
            "--" + name, given[name], "nothing together with --from (it renders a saved run and measures nothing)"
        )
