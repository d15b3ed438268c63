"""The bench runner in a real guest kernel: guest disk vs a 9p hypervisor share vs NFSv3 from nfs-ganesha.

Slow (a guest under software emulation, about a minute); marked ``lab``. Performance is not
asserted here: benchmarks/lab.py measures it and benchmarks/lab-results.md reports it.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from tests.bench.conftest import scratch_left
from tests.conftest import build_file_tree, unavailable
from tests.ganesha import start_in, terminate
from tests.lab.lab import (
    LABELS,
    SHARES,
    SMB_MOUNT_OPTIONS,
    GuestRun,
    Lab,
    LabUnavailable,
    LabWatch,
    bench_in_lab,
    check_prerequisites,
    ganesha_config,
)
from tests.netns import process_alive
from vagrantkit.bench import analysis, runner
from vagrantkit.bench.runner import OPERATIONS
from vagrantkit.django.sharedfolder import mount_of, parse_mounts
from vagrantkit.render.options import WATCH_MOUNT_OPTIONS, InitOptions

pytestmark = pytest.mark.lab

PROJECT = {"manage.py": "print('hello')\n", "shop/__init__.py": "", "shop/models.py": "# models\n"}


@dataclass(frozen=True)
class LabRun:
    share: Path
    document: dict[str, Any]
    guest: GuestRun
    workdir: Path
    share_before: dict[str, bytes]
    pids: dict[int, str]  # what the lab started: pid -> rpcbind, ganesha or qemu
    netns: str  # the lab's network namespace
    release: str  # the kernel the lab booted


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def need_lab() -> None:
    """The lab's programs (also in /usr/sbin and /sbin), root and a kernel: :func:`unavailable` naming what is missing."""
    try:
        check_prerequisites()
    except LabUnavailable as exc:
        unavailable(f"the lab cannot start here: {exc}")


@pytest.fixture(scope="module")
def lab_run(tmp_path_factory: pytest.TempPathFactory) -> LabRun:
    need_lab()
    share = build_file_tree(tmp_path_factory.mktemp("share"), PROJECT)
    before = snapshot(share)
    args = ["--size", "200", "--reps", "5", "--warmup", "1", "--edits", "8"]
    document, guest, lab = bench_in_lab(share, args, timeout=600)
    return LabRun(share, document, guest, lab.workdir, before, lab.pids, lab.sandbox.netns, lab.release)


def test_all_four_targets_are_measured_for_every_operation(lab_run: LabRun) -> None:
    doc = lab_run.document
    assert doc["status"] == "ok", doc["errors"]
    assert [t["label"] for t in doc["targets"]] == ["disk", "9p", "nfs", "smb"]
    assert {t["label"]: t["mount"]["fs_type"] for t in doc["targets"]} == {
        "disk": "ext4",
        "9p": "9p",
        "nfs": "nfs",
        "smb": "cifs",
    }
    for label in LABELS:
        # edit: the shares only (the host edits the folder behind them; the guest disk has none)
        assert set(doc["results"][label]) == set(OPERATIONS) - ({"edit"} if label == "disk" else set())
        for op, result in doc["results"][label].items():
            assert len(result["ns"]) == (8 if op == "edit" else 5), (label, op)
            assert all(ns > 0 for ns in result["ns"]), (label, op)


def test_a_host_edit_reaches_the_guest_through_every_share_over_the_control_port(lab_run: LabRun) -> None:
    for label in SHARES:
        edit = lab_run.document["results"][label]["edit"]
        assert edit["misses"] == [] and edit["kinds"] == runner.edit_plan(8)
    # With actimeo=1 (NFS: init's option; cifs: its default) and no attribute cache in ganesha,
    # NFS and SMB show an edit within about a second.
    for label in ("nfs", "smb"):
        latencies = lab_run.document["results"][label]["edit"]["ns"]
        assert max(latencies) < 3e9, (label, latencies)


def test_the_runner_ran_in_the_guest_kernel(lab_run: LabRun) -> None:
    # The guest boots Debian's packaged kernel from /boot, whatever kernel this host runs.
    booted = {p.name.removeprefix("vmlinuz-") for p in Path("/boot").glob("vmlinuz-*")}
    assert lab_run.document["environment"]["kernel"]["release"] in booted
    assert lab_run.document["environment"]["kernel"]["release"] == lab_run.release
    # The guest's init got through every step of INIT_SCRIPT, the job in between.
    assert lab_run.guest.steps == [
        "host root mounted",
        "guest disk mounted",
        "9p mounted",
        "nfs mounted",
        "smb mounted",
        "done",
    ]


def test_the_document_is_valid_json_and_analyses_against_the_guest_disk(lab_run: LabRun) -> None:
    text = json.dumps(lab_run.document)
    result = analysis.analyze(json.loads(text), where="qemu")
    assert result.baseline == "disk"
    assert [r.op for r in result.rows] == list(OPERATIONS)
    for row in result.rows:
        if row.op == "edit":  # latencies of the shares, no ratio to the guest disk (which has no host side)
            assert [c.label for c in row.cells] == list(SHARES) and all(c.ratio is None for c in row.cells)
            continue
        medians = {c.label: c.stats.median_ns for c in row.cells}
        ratios = {c.label: c.ratio for c in row.cells}
        assert ratios["disk"] is None  # the baseline
        for label in SHARES:
            ratio = ratios[label]
            assert ratio is not None
            assert ratio.value == pytest.approx(medians[label] / medians["disk"])
            assert ratio.low <= ratio.value <= ratio.high


def kernel_form(option: str) -> list[str]:
    """How the guest kernel shows a mount option in /proc/mounts."""
    if option.startswith("actimeo="):
        n = option.split("=", 1)[1]
        return [f"acregmin={n}", f"acregmax={n}", f"acdirmin={n}", f"acdirmax={n}"]
    return [option]


def test_nfs_is_mounted_with_the_options_init_renders(lab_run: LabRun) -> None:
    mount = mount_of(PurePosixPath("/host/tmp/lab/nfs"), parse_mounts(lab_run.guest.mounts))
    assert mount is not None and (mount.mount_point, mount.fstype) == ("/host/tmp/lab/nfs", "nfs")
    options = mount.options
    for rendered in InitOptions().guest_mount_options():
        for shown in kernel_form(rendered):
            assert shown in options, (rendered, options)
    # nfs_udp: false
    assert "proto=tcp" in options
    assert "udp" not in options and "proto=udp" not in options
    # The runner saw the same options for its target.
    nfs = next(t for t in lab_run.document["targets"] if t["label"] == "nfs")
    assert nfs["mount"]["options"] == ",".join(options)


def test_smb_is_mounted_with_smb3_and_the_options_init_renders(lab_run: LabRun) -> None:
    mount = mount_of(PurePosixPath("/host/tmp/lab/smb"), parse_mounts(lab_run.guest.mounts))
    assert mount is not None and mount.fstype == "cifs"
    for rendered in SMB_MOUNT_OPTIONS:
        assert rendered in mount.options, (rendered, mount.options)
    # The password went to the kernel, which never shows it.
    assert not any(option.startswith("password") for option in mount.options)
    smb = next(t for t in lab_run.document["targets"] if t["label"] == "smb")
    assert smb["mount"]["options"] == ",".join(mount.options)


def test_scratch_folders_are_gone_and_the_share_is_untouched(lab_run: LabRun) -> None:
    assert scratch_left(lab_run.share) == []
    assert snapshot(lab_run.share) == lab_run.share_before
    assert all(
        not t["scratch"] or t["scratch"] in lab_run.document["cleanup"]["removed"] for t in lab_run.document["targets"]
    )
    assert lab_run.document["cleanup"]["left"] == []


def test_the_lab_stops_everything_it_started(lab_run: LabRun) -> None:
    # Its own rpcbind (never one that ran already), ganesha and the guest, all in its sandbox ...
    assert sorted(lab_run.pids.values()) == ["ganesha", "qemu", "rpcbind", "smbd"]
    # ... are all gone, and so are the namespace and the lab's folders.
    assert {pid: name for pid, name in lab_run.pids.items() if process_alive(pid)} == {}
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=30, check=True)
    assert lab_run.netns not in [line.split()[0] for line in namespaces.stdout.splitlines() if line.strip()]
    assert not lab_run.workdir.exists()


def test_a_server_that_dies_mid_run_is_named_and_the_other_folders_finish(tmp_path: Path) -> None:
    # NFS mounts are hard: with ganesha gone, a stat in the guest waits until it is back. The
    # runner gives the folder up after --stall-timeout, by name, and measures the others to the end.
    need_lab()
    share = build_file_tree(tmp_path / "share", PROJECT)
    lab = Lab(share)
    killed = threading.Event()

    def outage() -> None:
        ganesha = next(pid for pid, name in lab.pids.items() if name == "ganesha")
        terminate(ganesha)
        killed.set()
        time.sleep(10)
        lab.pids[start_in(lab.sandbox, lab.workdir / "ganesha", ganesha_config(share))] = "ganesha"

    def watch(line: str) -> None:
        if not killed.is_set() and '"phase": "measure"' in line:
            killed.set()
            threading.Thread(target=outage, daemon=True).start()

    args = ["--ops", "stat", "--size", "100", "--reps", "40", "--warmup", "0", "--stall-timeout", "5"]
    document, guest, _ = bench_in_lab(share, args, timeout=600, lab=lab, watch=watch, labels=("disk", "9p", "nfs"))
    assert killed.is_set()
    assert document["status"] == "failed" and document["stalled"] == ["nfs"]
    assert any(e.startswith("nfs stopped answering after 5 s") for e in document["errors"]), document["errors"]
    assert [len(document["results"][label]["stat"]["ns"]) for label in ("disk", "9p")] == [40, 40]
    assert len(document["results"]["nfs"].get("stat", {"ns": []})["ns"]) < 40
    assert guest.returncode == 1 and guest.steps[-1] == "done"  # the runner ended; nothing stuck in the guest


def test_watch_over_the_guests_port_makes_every_edit_seen_under_a_60_s_cache(tmp_path: Path) -> None:
    # Mounted as init --watch renders (a minute of attribute cache, no close-to-open): without
    # watch a host edit stays unseen for up to 60 s (the curve in README). With vagrantkit watch
    # forwarding over the lab's virtio port, each edit (in place, by rename, new, deleted) is seen.
    need_lab()
    share = build_file_tree(tmp_path / "share", PROJECT)
    forward = LabWatch()
    args = ["--ops", "edit", "--size", "100", "--reps", "5", "--warmup", "0", "--edits", "12"]
    document, guest, _ = bench_in_lab(
        share, args, timeout=600, mount_options=WATCH_MOUNT_OPTIONS, labels=("disk", "nfs"), forward=forward
    )
    # (before the guest has booted, QEMU's end of the port may not be there yet: watch tries again)
    connected = [line for line in forward.lines if line.startswith("watch: connected")]
    assert connected, (forward.lines, guest.console[-2000:])
    assert document["status"] == "ok", document.get("errors")
    edit = document["results"]["nfs"]["edit"]
    assert edit["misses"] == [] and len(edit["ns"]) == 12, edit
    assert set(edit["kinds"]) == set(runner.EDIT_KINDS)
    assert forward.failure is None and forward.stats is not None
    assert connected[0] == f"watch: connected to the lab guest over virtio-serial: {share} -> /tmp/lab/nfs"
    assert forward.stats.batches >= 12 and forward.stats.last_ack.get("failed") == 0
    assert "nocto" in guest.mounts and "acregmin=60" in guest.mounts
