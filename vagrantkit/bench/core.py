"""`vagrantkit bench`: validate what the user asked, run the runner where asked, and analyse its document.

The data model lives in :mod:`vagrantkit.bench.model`, the analysis in :mod:`vagrantkit.bench.analysis`;
running in a Vagrant guest in :mod:`vagrantkit.bench.guest`. This module ties them together.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vagrantkit.bench import runner as bench_runner
from vagrantkit.bench.analysis import analyze
from vagrantkit.bench.edit import HostEditor
from vagrantkit.bench.guest import run_in_vagrant
from vagrantkit.bench.model import BenchOptions, BenchResult
from vagrantkit.bench.options import parse_host_sides, runner_args
from vagrantkit.bench.targets import parse_local
from vagrantkit.bench.transport import LocalTransport, Progress, Transport
from vagrantkit.errors import InvalidValue


def run_bench(
    options: BenchOptions,
    *,
    transport: Transport | None = None,
    adapter: Any = None,
    progress: Progress | None = None,
    notify: Callable[[str], None] | None = None,
) -> BenchResult:
    """Measure the folders ``options`` names and return the analysed result.

    With ``options.local``: those folders on this machine (``transport`` defaults to running the
    runner in-process). Without: the project's Vagrant guest, through ``adapter`` (see
    :mod:`vagrantkit.bench.guest`).

    Raises:
        InvalidValue: Bad input (exit 2), found before anything is written.
        VagrantkitError: The run could not be done.
    """
    if options.local:
        targets, baseline = parse_local(options.local, options.baseline)
        if options.copy is not None and not Path(options.copy).expanduser().is_dir():
            raise InvalidValue("--copy", options.copy, "an existing folder")
        folders = parse_host_sides(options.host_side, targets)
        run_id = secrets.token_hex(4)
        args = runner_args(options, targets, baseline, run_id, host_sides=list(folders))
        editor = HostEditor(folders, run_id) if folders else None
        doc = (transport or LocalTransport()).run_runner(args, progress, editor)
        return analyze(doc, where="local")
    return run_in_vagrant(options, adapter=adapter, transport=transport, notify=notify, progress=progress)


def analyze_file(path: Path, *, baseline: str | None = None) -> BenchResult:
    """:func:`analyze` a runner document saved in ``path`` (``vagrantkit bench --from FILE``).

    Raises:
        InvalidValue: The file is not JSON, or not a runner document (exit 2).
    """
    import json

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidValue("--from", str(path), f"a runner JSON document ({exc})") from None
    if isinstance(doc, dict) and doc.get("command") == "bench" and isinstance(doc.get("data"), dict):
        doc = doc["data"].get("runner")  # what `bench --json FILE` wrote: the runner's document is inside
    if not isinstance(doc, dict) or doc.get("schema") != bench_runner.SCHEMA:
        raise InvalidValue(
            "--from", str(path), f"a JSON document with schema {bench_runner.SCHEMA!r}, or one `bench --json` wrote"
        )
    try:
        return analyze(doc, where=str(doc.get("where", "runner document")), baseline=baseline)
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        raise InvalidValue("--from", str(path), f"a complete runner document (missing or malformed: {exc})") from None
