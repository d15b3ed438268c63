"""From a runner document to a result, a table, CSV, JSON and a chart, with no Vagrant involved."""

from __future__ import annotations

import copy
import csv
import io
import json
import statistics
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from tests.bench.conftest import WITHOUT_HOST_SIDE, run_runner
from vagrantkit.bench import analysis, report, runner, stats
from vagrantkit.bench.analysis import analyze, recommend
from vagrantkit.bench.model import BenchStatus
from vagrantkit.errors import InvalidValue, VagrantkitError


@pytest.fixture
def doc(tmpfs: Path, fuse: Path) -> dict[str, Any]:
    """A real runner document: tmpfs (baseline) and its bindfs view."""
    done = run_runner(f"mem={tmpfs}", f"fuse={fuse}", "--size", "30", "--reps", "5", "--warmup", "1")
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_ratios_are_computed_against_the_baseline(doc: dict[str, Any]) -> None:
    result = analyze(doc)
    assert result.baseline == "mem" and result.status is BenchStatus.OK
    assert result.targets[0].fs_type == "tmpfs"
    assert [r.op for r in result.rows] == WITHOUT_HOST_SIDE
    for row in result.rows:
        base_ns = doc["results"]["mem"][row.op]["ns"]
        fuse_ns = doc["results"]["fuse"][row.op]["ns"]
        mem, fuse = row.cell("mem"), row.cell("fuse")
        assert mem is not None and fuse is not None
        assert mem.ratio is None  # the baseline is not compared with itself
        assert fuse.ratio is not None
        assert fuse.ratio.value == pytest.approx(statistics.median(fuse_ns) / statistics.median(base_ns))
        assert fuse.ratio.low <= fuse.ratio.value <= fuse.ratio.high
        assert fuse.stats.median_ns == statistics.median(fuse_ns)
        assert fuse.stats.ops_per_s == pytest.approx(fuse.stats.count / (statistics.median(fuse_ns) / 1e9))
        assert row.winner == ("mem" if mem.stats.median_ns <= fuse.stats.median_ns else "fuse")
    flipped = analyze(doc, baseline="fuse")
    for a, b in zip(result.rows, flipped.rows):
        fuse_cell, mem_cell = a.cell("fuse"), b.cell("mem")
        assert fuse_cell and fuse_cell.ratio and mem_cell and mem_cell.ratio
        assert mem_cell.ratio.value == pytest.approx(1 / fuse_cell.ratio.value)
    with pytest.raises(InvalidValue, match="--baseline"):
        analyze(doc, baseline="nope")


def test_a_document_that_is_not_the_runners_is_refused() -> None:
    with pytest.raises(VagrantkitError, match="not a bench runner document"):
        analyze({"schema": "something/9"})


def test_table_csv_json_and_plot_render_from_the_document_alone(doc: dict[str, Any], tmp_path: Path) -> None:
    result = analyze(doc, where="qemu")
    console = Console(file=io.StringIO(), width=160, color_system=None)
    report.render_table(result, console)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "vagrantkit bench: qemu" in text
    assert "mem" in text and "tmpfs (baseline)" in text and "fuse" in text
    for row in result.rows:
        assert report.OP_TITLES[row.op] in text
    assert text.rstrip().endswith(result.recommendation)

    rows = list(csv.DictReader(io.StringIO(report.to_csv(result))))
    assert len(rows) == 2 * len(WITHOUT_HOST_SIDE)
    assert {r["target"] for r in rows} == {"mem", "fuse"}
    assert all(r["ratio"] == "" for r in rows if r["target"] == "mem")
    stat_fuse = next(r for r in rows if r["op"] == "stat" and r["target"] == "fuse")
    stat_row = result.row("stat")
    assert stat_row is not None and stat_row.cell("fuse") is not None
    assert float(stat_fuse["median_ms"]) == pytest.approx(stat_row.cell("fuse").stats.median_ns / 1e6)  # type: ignore[union-attr]

    envelope = json.loads(report.to_json(result))
    assert {k: envelope[k] for k in ("vagrantkit", "command", "status", "exit_code", "errors")} == {
        "vagrantkit": "1",
        "command": "bench",
        "status": "ok",
        "exit_code": 0,
        "errors": [],
    }
    data = envelope["data"]
    assert data["schema"] == report.BENCH_SCHEMA
    assert data["params"] == doc["params"] and data["environment"] == doc["environment"]
    assert data["runner"]["results"] == doc["results"]  # the raw samples travel with the summary
    assert data["results"][0]["targets"]["fuse"]["ratio"]["value"] == pytest.approx(
        result.rows[0].cells[1].ratio.value  # type: ignore[union-attr]
    )

    out = tmp_path / "out"
    out.mkdir()
    markdown = report.to_markdown(result).splitlines()
    assert markdown[0] == "| operation | n | mem (tmpfs) | fuse (" + (result.targets[1].fs_type or "?") + ") | winner |"
    assert len(markdown) == 2 + len(result.rows)
    stat_md = next(line for line in markdown if line.startswith("| stat existing | 30 |"))
    assert f"**x{result.rows[0].cells[1].ratio.value:.2f}**" in stat_md  # type: ignore[union-attr]

    png, svg = out / "chart.png", out / "chart.svg"
    report.write_plot(result, png)
    report.write_plot(result, svg)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in svg.read_text() and "fuse (fuse)" in svg.read_text()
    assert sorted(p.name for p in out.iterdir()) == ["chart.png", "chart.svg"]  # no temporary file left


def _synthetic(medians: dict[str, dict[str, int]]) -> dict[str, Any]:
    """A runner-shaped document whose samples sit tightly around the given medians."""
    labels = list(medians)
    ops = list(next(iter(medians.values())))
    return {
        "schema": runner.SCHEMA,
        "status": "ok",
        "params": {"baseline": labels[0], "ops": ops, "files": 2000, "reps": 7, "warmup": 1},
        "environment": {"kernel": {"sysname": "Linux", "release": "6.1.0"}},
        "targets": [
            {"label": label, "path": f"/{label}", "baseline": i == 0, "mount": None} for i, label in enumerate(labels)
        ],
        "order": [],
        "results": {
            label: {
                op: {"count": 100, "unit": "file", "ns": [m - 2, m - 1, m, m, m + 1, m + 2, m]}
                for op, m in ops_.items()
            }
            for label, ops_ in medians.items()
        },
        "errors": [],
        "cleanup": {"removed": [], "left": []},
    }


def test_recommendation_compares_the_shares_for_the_reloader_and_for_writes() -> None:
    doc = _synthetic(
        {
            "disk": {"reloader": 1000, "create": 1000},
            "nfs": {"reloader": 1050, "create": 14000},
            "vboxsf": {"reloader": 24150, "create": 10000},
        }
    )
    result = analyze(doc)
    assert result.recommendation == (
        "nfs is 23x faster than vboxsf for the reloader; writes are 1.4x slower "
        "(the baseline disk is about as fast as nfs)."
    )


def test_recommendation_with_one_share_compares_it_with_the_baseline() -> None:
    result = analyze(_synthetic({"mem": {"stat": 1000, "create": 1000}, "fuse": {"stat": 8200, "create": 1020}}))
    assert result.recommendation == "fuse is 8.2x slower than mem for stat; writes are about as fast."
    changed = copy.deepcopy(result.document)
    assert recommend(result.rows[:0], result.targets, "mem") == "Only one folder was measured: nothing to compare."
    assert changed == result.document


def test_a_failed_run_keeps_its_samples_and_exits_1() -> None:
    doc = _synthetic({"mem": {"stat": 1000}, "fuse": {"stat": 3000}})
    doc["status"] = "failed"
    doc["errors"] = ["OSError: [Errno 28] No space left on device"]
    result = analyze(doc)
    assert result.status is BenchStatus.FAILED and result.exit_code == 1
    assert result.errors == ("OSError: [Errno 28] No space left on device",)
    assert result.row("stat") is not None


def _doc(ns: dict[str, list[int]], baseline: str) -> dict[str, Any]:
    mount = {"point": "/m", "source": "src", "fs_type": "tmpfs", "options": "rw"}
    return {
        "schema": runner.SCHEMA,
        "status": "ok",
        "params": {"ops": ["stat", "create"], "baseline": baseline},
        "environment": {},
        "targets": [
            {"label": label, "path": "/" + label, "baseline": label == baseline, "mount": mount} for label in ns
        ],
        "results": {
            label: {
                op: {"count": 10, "unit": "file", "ns": [v * k for v in values]}
                for op, k in (("stat", 1), ("create", 3))
            }
            for label, values in ns.items()
        },
    }


def test_the_chosen_baseline_is_the_one_target_marked_as_baseline() -> None:
    doc = _doc({"disk": [100, 110, 105, 98, 120], "nfs": [300, 310, 290, 305, 330]}, baseline="disk")
    for chosen in ("disk", "nfs"):
        result = analysis.analyze(doc, baseline=chosen)
        assert [(t.label, t.baseline) for t in result.targets] == [("disk", chosen == "disk"), ("nfs", chosen == "nfs")]
        assert all(
            (t.fs_type, t.mount_point, t.mount_options, t.mount_source) == ("tmpfs", "/m", "rw", "src")
            for t in result.targets
        )


def test_the_recommendation_reuses_the_ratios_to_the_baseline(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = _doc({"disk": [100, 110, 105, 98, 120], "nfs": [300, 310, 290, 305, 330]}, baseline="disk")
    expected = analysis.analyze(doc)
    for row in expected.rows:  # what makes the reuse exact: a stored ratio is the same draw done again
        disk, nfs = row.cell("disk"), row.cell("nfs")
        assert disk and nfs and nfs.ratio == stats.ratio(nfs.ns, disk.ns, family=len(doc["params"]["ops"]))
    calls: list[int] = []
    monkeypatch.setattr(analysis, "ratio", lambda *a, **k: (calls.append(1), stats.ratio(*a, **k))[1])
    result = analysis.analyze(doc)
    assert len(calls) == len(result.rows)  # one per operation in analyze; none again in recommend
    assert (
        result.recommendation
        == expected.recommendation
        == "nfs is 2.9x slower than disk for stat; writes are 2.9x slower."
    )
