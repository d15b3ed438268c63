"""bench's data: what the user asked for, and what one run found (rendered by :mod:`vagrantkit.bench.report`)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vagrantkit.bench.stats import OpStats, Ratio
from vagrantkit.filesystems import Kind, kind_of


class BenchStatus(str, enum.Enum):
    OK = "ok"
    FAILED = "failed"


@dataclass(frozen=True)
class TargetInfo:
    """A measured folder and what it is mounted as."""

    label: str
    path: str
    baseline: bool
    fs_type: str | None
    mount_point: str | None
    mount_options: str | None
    mount_source: str | None
    corrupt: bool = False  # a file read back did not hold what was written

    @property
    def kind(self) -> Kind:
        return kind_of(self.fs_type)


@dataclass(frozen=True)
class Cell:
    """One operation on one target; ``ratio`` is None for the baseline."""

    label: str
    stats: OpStats
    ratio: Ratio | None
    ns: tuple[int, ...] = ()
    misses: int = 0  # edit: edits not seen in time (no sample)
    cpu_share: float | None = None  # reloader: the share of one CPU a tick every RELOADER_SLEEP costs
    corrupt: bool = False  # its target lost data: its times are shown, never compared (no ratio)


@dataclass(frozen=True)
class Corruption:
    """A file that did not hold what was written when read back (the runner's ``corrupt`` entries)."""

    target: str
    op: str  # the operation that wrote it, or "fixture"
    file: str  # relative to the run's scratch folder in the target
    message: str  # "data corruption: nfs: work/new/f3 (written by create): expected ..., found ..."
    record: Mapping[str, Any] = field(default_factory=dict)  # expected/found sizes and CRC-32, or the error


@dataclass(frozen=True)
class OpRow:
    """One operation across targets; ``winner`` has the lowest median time.

    ``decisive`` is False when the winner's lead over the baseline (or the baseline's over every
    other target) lies inside the bootstrap interval: a tie, as far as these samples can tell.
    """

    op: str
    cells: tuple[Cell, ...]
    winner: str
    decisive: bool = True

    def cell(self, label: str) -> Cell | None:
        return next((c for c in self.cells if c.label == label), None)


@dataclass(frozen=True)
class BenchResult:
    """Everything one bench run found; rendered by :mod:`vagrantkit.bench.report`."""

    status: BenchStatus
    where: str
    baseline: str
    targets: tuple[TargetInfo, ...]
    rows: tuple[OpRow, ...]
    recommendation: str
    params: Mapping[str, Any]
    environment: Mapping[str, Any]
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    document: Mapping[str, Any] = field(default_factory=dict)
    corruption: tuple[Corruption, ...] = ()

    @property
    def exit_code(self) -> int:
        return 0 if self.status is BenchStatus.OK else 1

    def row(self, op: str) -> OpRow | None:
        return next((r for r in self.rows if r.op == op), None)


@dataclass(frozen=True)
class BenchOptions:
    """What the user asked for (validated by :func:`runner_args`)."""

    local: tuple[str, ...] = ()
    baseline: str | None = None
    profile: str = "standard"
    ops: str | None = None
    size: str | None = None
    reps: int | None = None
    warmup: int = 1
    seed: int = 0
    command: str | None = None
    copy: str | None = None
    host_side: tuple[str, ...] = ()  # --local: LABEL=FOLDER, the host folder behind a target (op edit)
    edits: int | None = None
    project: Path = Path()
    machine: str | None = None
    up: bool = False  # create the machine when it does not exist
