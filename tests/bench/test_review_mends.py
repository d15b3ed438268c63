"""The write operations' file names, now built outside the timed region, are the ones they always were."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from vagrantkit.bench import core, runner, stats
from vagrantkit.bench.targets import parse_local


def test_write_operations_use_the_same_names_on_every_repetition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = runner.parse_args([str(tmp_path), "--size", "10", "--id", "t"])
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    ws = runner.Workspace(config, str(scratch))
    ws.prepare(build=True)
    new = scratch / "work" / "new"
    n = config.write_count

    def step(op: str) -> int:
        ws.before(op)
        return int(getattr(ws, "op_" + op)())

    def names(suffix: str = "") -> list[str]:
        return sorted(f"f{i}{suffix}" for i in range(n))

    for _ in range(2):  # a second round: create's names are untouched by the renames before it
        assert step("create") == n
        assert sorted(os.listdir(new)) == names()
        assert step("append") == n
        assert step("rename") == n
        assert sorted(os.listdir(new)) == names(".r")
        assert step("rename") == n  # each rename adds ".r" again, as it always did
        assert sorted(os.listdir(new)) == names(".r.r")
        assert all(os.path.getsize(new / name) == runner.WRITE_BYTES + runner.APPEND_BYTES for name in names(".r.r"))
        assert step("delete") == n
        assert os.listdir(new) == []

    made: list[str] = []
    mkdir = os.mkdir
    monkeypatch.setattr(os, "mkdir", lambda path, *a, **k: (made.append(path), mkdir(path, *a, **k))[1])
    for _ in range(2):
        assert step("mkdir_rmdir") == n
    assert made == [str(scratch / "work" / "dirs" / f"d{i}") for i in range(n)] * 2
    assert os.listdir(scratch / "work" / "dirs") == []


def test_host_and_runner_derive_the_same_label_for_a_bare_path(tmp_path: Path) -> None:
    folder = tmp_path / ("my share (1)" + "x" * 50)
    folder.mkdir()
    (target,), _ = parse_local([str(folder)], None)
    assert target.label == runner._split_target(str(folder))[0] == ("my_share__1_" + "x" * 50)[:40]
    assert runner._split_target(target.argument()) == (target.label, str(folder))


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
        result = core.analyze(doc, baseline=chosen)
        assert [(t.label, t.baseline) for t in result.targets] == [("disk", chosen == "disk"), ("nfs", chosen == "nfs")]
        assert all(
            (t.fs_type, t.mount_point, t.mount_options, t.mount_source) == ("tmpfs", "/m", "rw", "src")
            for t in result.targets
        )


def test_the_recommendation_reuses_the_ratios_to_the_baseline(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = _doc({"disk": [100, 110, 105, 98, 120], "nfs": [300, 310, 290, 305, 330]}, baseline="disk")
    expected = core.analyze(doc)
    for row in expected.rows:  # what makes the reuse exact: a stored ratio is the same draw done again
        disk, nfs = row.cell("disk"), row.cell("nfs")
        assert disk and nfs and nfs.ratio == stats.ratio(nfs.ns, disk.ns)
    calls: list[int] = []
    monkeypatch.setattr(core, "ratio", lambda *a, **k: (calls.append(1), stats.ratio(*a, **k))[1])
    result = core.analyze(doc)
    assert len(calls) == len(result.rows)  # one per operation in analyze; none again in recommend
    assert (
        result.recommendation
        == expected.recommendation
        == "nfs is 2.9x slower than disk for stat; writes are 2.9x slower."
    )
