"""Data, not only speed: the runner reads back what it wrote, on a real FUSE file system that loses data.

tests/corruptfs.py is a pass-through FUSE daemon that acknowledges writes and drops them (a file
that ends up empty, winnfsd#62), changes a byte of them, or fails reads with EIO (winnfsd#101).
"""

from __future__ import annotations

import binascii
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import mounts
from tests.bench.conftest import run_runner, scratch_left, workspace
from vagrantkit.bench import runner
from vagrantkit.bench.analysis import analyze
from vagrantkit.bench.report import json_data, to_markdown

CREATED = {"size": runner.WRITE_BYTES, "crc32": binascii.crc32(runner.CREATE_DATA)}


@pytest.fixture
def lossy(tmpfs: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    """A folder of the tmpfs seen through corruptfs, losing data as ``request.param`` says."""
    backing = tmpfs / "backing"
    backing.mkdir()
    point = tmpfs.parent / "lossy"
    point.mkdir()
    with mounts.corrupting(backing, point, **request.param):
        yield point


def _run(tmpfs: Path, lossy: Path, ops: str) -> tuple[int, dict[str, Any]]:
    disk = tmpfs / "disk"
    disk.mkdir(exist_ok=True)
    done = run_runner(f"disk={disk}", f"lossy={lossy}", "--size", "30", "--reps", "2", "--warmup", "0", "--ops", ops)
    assert scratch_left(disk, lossy) == []  # removed from the lossy folder too: it is given up, not dead
    return done.returncode, json.loads(done.stdout)


@pytest.mark.parametrize("lossy", [{"zero": ["f3"]}], indirect=True)
def test_writes_that_are_acknowledged_and_dropped_are_data_corruption_not_a_timing(tmpfs: Path, lossy: Path) -> None:
    code, doc = _run(tmpfs, lossy, "stat,create,append")
    assert (code, doc["status"]) == (1, "failed")
    assert doc["corrupt"] == [
        {
            "target": "lossy",
            "op": "create",
            "file": "work/new/f3",
            "expected": CREATED,
            "found": {"size": 0, "crc32": 0},
            "error": None,
        }
    ]
    assert (
        "data corruption: lossy: work/new/f3 (written by create): expected 4096 bytes (crc32 "
        f"{CREATED['crc32']:08x}), found 0 bytes (crc32 00000000) (lossy was given up; the rest of the run went on"
        " without it)"
    ) in doc["errors"]
    # The first repetition's stat is kept; its create, which lost data, is no timing, and nothing after it ran.
    assert {op: len(slot["ns"]) for op, slot in doc["results"]["lossy"].items()} == {"stat": 1}
    assert {op: len(slot["ns"]) for op, slot in doc["results"]["disk"].items()} == {"stat": 2, "create": 2, "append": 2}
    assert doc["stalled"] == []


@pytest.mark.parametrize("lossy", [{"eio": ["f3"]}], indirect=True)
def test_a_file_that_cannot_be_read_back_is_data_corruption(tmpfs: Path, lossy: Path) -> None:
    code, doc = _run(tmpfs, lossy, "create")
    assert code == 1
    (record,) = doc["corrupt"]
    assert (record["file"], record["found"], record["error"]) == ("work/new/f3", None, "[Errno 5] Input/output error")
    assert "lossy: work/new/f3 (written by create) could not be read back: [Errno 5]" in doc["errors"][0]


@pytest.mark.parametrize("lossy", [{"flip": ["models.py"]}], indirect=True)
def test_a_changed_byte_in_the_fixture_is_found_before_anything_is_timed(tmpfs: Path, lossy: Path) -> None:
    code, doc = _run(tmpfs, lossy, "stat")
    assert code == 1
    (record,) = doc["corrupt"]
    assert (record["op"], record["file"]) == ("fixture", "tree/app000/models.py")
    assert record["found"]["size"] == record["expected"]["size"]  # same size, other bytes
    assert record["found"]["crc32"] != record["expected"]["crc32"]
    assert doc["results"]["lossy"] == {}


@pytest.mark.parametrize("lossy", [{"flip": ["0.pyc"]}], indirect=True)
def test_a_pyc_that_does_not_hold_the_sources_code_is_data_corruption(tmpfs: Path, lossy: Path) -> None:
    code, doc = _run(tmpfs, lossy, "pyc")
    assert code == 1
    (record,) = doc["corrupt"]
    assert (record["op"], record["file"], record["expected"]) == ("pyc", "work/pyc/0.pyc", "a .pyc of tree/manage.py")
    assert "pyc" not in doc["results"]["lossy"]
    assert len(doc["results"]["disk"]["pyc"]["ns"]) == 2  # the same check passes where nothing is lost


@pytest.mark.parametrize("lossy", [{"zero": ["f3"]}], indirect=True)
def test_the_report_shows_the_corruption_apart_and_gives_the_folder_no_ratio(tmpfs: Path, lossy: Path) -> None:
    _, doc = _run(tmpfs, lossy, "stat,create")
    result = analyze(doc)
    assert result.exit_code == 1
    stat = result.row("stat")
    assert stat is not None
    cell = stat.cell("lossy")
    assert cell is not None and cell.corrupt and cell.ratio is None and len(cell.ns) == 1
    data = json_data(result)
    assert [t["corrupt"] for t in data["targets"]] == [False, True]
    assert [(c["target"], c["op"], c["file"]) for c in data["corruption"]] == [("lossy", "create", "work/new/f3")]
    assert data["corruption"][0]["message"].startswith("data corruption: lossy: work/new/f3")
    assert data["stalled"] == []
    assert "**data corrupt**" in to_markdown(result)
    assert result.recommendation.startswith("No recommendation: the run failed")


def test_the_read_back_is_outside_the_timed_region(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    space = workspace(tmp_path)
    read_back = runner.Workspace.read_back

    def slow(self: runner.Workspace, path: str) -> bytes:
        time.sleep(0.05)
        return read_back(self, path)

    monkeypatch.setattr(runner.Workspace, "read_back", slow)
    for op in ("create", "append"):
        started = time.perf_counter_ns()
        _, elapsed, _ = runner._timed(space, op)
        total = time.perf_counter_ns() - started
        assert total >= space.config.write_count * 0.05e9  # every file was read back...
        assert elapsed < 0.05e9  # ...after the clock stopped
