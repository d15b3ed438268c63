"""A real `vagrant up`, end to end: init -> up -> NFS both ways -> bench -> doctor -> halt -> doctor -> up -> destroy.

Real Vagrant (Debian's 2.3.4) with vagrant-libvirt drives QEMU under software emulation, in network
and mount namespaces of the test's own; the box is built here from Debian packages
(:mod:`tests.e2e.box`); the project's Vagrantfile is exactly what `vagrantkit init --provider libvirt
--box local/debian12` writes. Vagrant's own NFS code exports the folder (it writes /etc/exports
and calls sudo); on this kernel, which has no nfsd, its commands drive nfs-ganesha
(:mod:`tests.e2e.nfs_shim`). Each test is one step, in order, timed (printed at the end of the run).

Slow (about nine minutes here, five of them `bench --profile quick` in the emulated guest); marked ``e2e``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import unavailable
from tests.e2e.box import ensure_box
from tests.e2e.conftest import record
from tests.e2e.harness import BOX_NAME, EXPORTS, World, WorldUnavailable
from tests.ganesha import parse_exports, vagrant_blocks
from tests.netns import SandboxUnavailable, process_alive, sigterm_unwinds
from vagrantkit.django.sharedfolder import parse_mounts

pytestmark = pytest.mark.e2e


@dataclass
class Run:
    """The world of this run and what its steps found, for the steps after them."""

    world: World
    box: Path
    exports_before: str | None
    vagrantfile_sha: str = ""
    passed: set[str] = field(default_factory=set)
    guest_ip: str = ""
    figures: dict[str, dict[str, float]] = field(default_factory=dict)  # setup -> bench figures, side by side

    def require(self, *steps: str) -> None:
        """Fail (never skip) a step whose earlier steps failed: the run cannot go on meaningfully."""
        missing = [s for s in steps if s not in self.passed]
        if missing:
            pytest.fail(f"an earlier step failed: {', '.join(missing)}")


@pytest.fixture(scope="module")
def run(box: Path) -> Iterator[Run]:
    before = EXPORTS.read_text() if EXPORTS.exists() else None
    started = time.monotonic()
    # SIGTERM unwinds too: the guest, libvirtd, ganesha and the namespaces go whatever stops the run.
    with sigterm_unwinds():
        try:
            world = World(box).__enter__()
        except (WorldUnavailable, SandboxUnavailable) as exc:
            unavailable(f"the e2e cannot run here: {exc}")
        record("start libvirtd and rpcbind in a new namespace, vagrant box add", time.monotonic() - started)
        try:
            yield Run(world, box, before)
        finally:
            world.__exit__(None, None, None)


def ssh_ok(run: Run, command: str, timeout: float = 120) -> str:
    done = run.world.ssh(command, timeout=timeout)
    assert done.returncode == 0, (command, done.stdout[-2000:], done.stderr[-2000:])
    return done.stdout


def vagrantkit_json(run: Run, *args: str, timeout: float = 900) -> tuple[subprocess.CompletedProcess[str], Any]:
    """`vagrantkit ARGS` with its JSON on stdout (doctor's --json is a flag, bench's takes ``-``)."""
    json_args = ["--json"] if args[0] == "doctor" else ["--json", "-"]
    done = run.world.vagrantkit(*args, *json_args, timeout=timeout)
    try:
        document = json.loads(done.stdout)
    except ValueError:
        raise AssertionError(
            f"vagrantkit {' '.join(args)} printed no JSON: {done.stdout[-2000:]} {done.stderr[-2000:]}"
        ) from None
    return done, document


def test_the_box_comes_from_the_cache_the_second_time(run: Run) -> None:
    stamp = run.box.stat().st_mtime_ns
    assert ensure_box() == run.box  # same inputs, same file: nothing rebuilt
    assert run.box.stat().st_mtime_ns == stamp
    run.passed.add("box")


def test_init_writes_the_project_vagrantfile(run: Run) -> None:
    done = run.world.vagrantkit("init", "--provider", "libvirt", "--box", BOX_NAME, timeout=60)
    assert done.returncode == 0, done.stderr
    vagrantfile = run.world.project / "Vagrantfile"
    text = vagrantfile.read_text()
    assert f'config.vm.box = "{BOX_NAME}"' in text and 'config.vm.provider "libvirt"' in text
    assert "private_network" not in text  # libvirt: NFS goes over the management network
    run.vagrantfile_sha = hashlib.sha256(text.encode()).hexdigest()
    run.passed.add("init")


def test_vagrant_up_succeeds(run: Run) -> None:
    run.require("init")
    done = run.world.vagrant("up", timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Mounting NFS shared folders..." in done.stdout
    assert run.world.names("list", "--state-running", "--name") == ["e2e-project_default"]
    run.passed.add("up")


def test_vagrant_exported_the_project_to_the_guest_alone_and_ganesha_serves_that(run: Run) -> None:
    run.require("up")
    exports = parse_exports(vagrant_blocks(EXPORTS.read_text()))
    (export,) = [e for e in exports if e.path == str(run.world.project)]
    (client,) = export.clients
    assert re.fullmatch(r"192\.168\.121\.\d+", client.address)  # vagrant-libvirt's management network
    assert (client.access, client.squash, client.anon_uid, client.anon_gid) == ("RW", "All_Squash", 0, 0)
    conf = (run.world.nfs_state / "ganesha.conf").read_text()
    assert f"Clients = {client.address};" in conf and "Access_Type = None;" in conf
    assert "Transports = TCP;" in conf and "Enable_UDP = false;" in conf
    assert "Attr_Expiration_Time = 0;" in conf
    actions = (run.world.nfs_state / "actions.log").read_text().splitlines()
    assert [a.split()[0] for a in actions] == ["start"]  # Vagrant saw no server, so it started one
    run.guest_ip = client.address
    run.passed.add("exports")


def test_the_guest_mounts_nfs_v3_over_tcp_with_nolock_and_the_rendered_attribute_cache(run: Run) -> None:
    run.require("up")
    mounts = {m.mount_point: m for m in parse_mounts(ssh_ok(run, "cat /proc/mounts"))}
    mount = mounts["/vagrant"]
    assert mount.fstype == "nfs"
    assert mount.device == f"192.168.121.1:{run.world.project}"
    for option in ("vers=3", "proto=tcp", "mountproto=tcp", "nolock"):
        assert option in mount.options, (option, mount.options)
    for name in ("acregmin", "acregmax", "acdirmin", "acdirmax"):
        assert f"{name}=1" in mount.options, (name, mount.options)  # actimeo=1, as init renders
    assert not any("udp" in o for o in mount.options)
    run.passed.add("mount")


def test_a_file_written_on_the_host_is_read_in_the_guest_and_the_reverse_byte_for_byte(run: Run) -> None:
    run.require("mount")
    data = secrets.token_bytes(64 * 1024)
    (run.world.project / "from-host.bin").write_bytes(data)
    out = ssh_ok(
        run,
        "sha256sum /vagrant/from-host.bin && head -c 65536 /dev/urandom > /vagrant/from-guest.bin && "
        "sync && sha256sum /vagrant/from-guest.bin",
    )
    seen_in_guest, written_in_guest = (line.split()[0] for line in out.splitlines()[-2:])
    assert seen_in_guest == hashlib.sha256(data).hexdigest()
    written = (run.world.project / "from-guest.bin").read_bytes()
    assert len(written) == 65536 and hashlib.sha256(written).hexdigest() == written_in_guest
    # An edit made on the host shows in the guest once its attribute cache (actimeo=1) expires:
    # ganesha keeps no cache of its own here, as a kernel server or WinNFSd would not.
    (run.world.project / "from-host.bin").write_bytes(b"edited on the host\n")
    assert ssh_ok(run, "sleep 2; cat /vagrant/from-host.bin") == "edited on the host\n"
    for name in ("from-host.bin", "from-guest.bin"):
        (run.world.project / name).unlink()
    run.passed.add("round trip")


def test_bench_quick_from_the_project_folder_measures_the_guest_disk_and_the_nfs_folder(run: Run) -> None:
    run.require("mount")
    done, document = vagrantkit_json(run, "bench", "--profile", "quick")
    assert done.returncode == 0, done.stderr[-3000:]
    assert document["command"] == "bench" and document["status"] == "ok" and document["errors"] == []
    data = document["data"]
    assert data["where"] == "vagrant:default (libvirt)"
    targets = {t["label"]: t for t in data["targets"]}
    assert list(targets) == ["disk", "nfs"]
    assert targets["disk"]["fs_type"] == "ext4" and targets["disk"]["mount_point"] == "/"
    nfs = targets["nfs"]
    assert (nfs["fs_type"], nfs["mount_point"], nfs["path"]) == ("nfs", "/vagrant", "/vagrant")
    options = nfs["mount_options"].split(",")
    assert {"vers=3", "proto=tcp", "nolock", "acregmin=1", "acdirmax=1"} <= set(options)
    assert nfs["mount_source"] == f"192.168.121.1:{run.world.project}"
    rows = {row["op"]: row for row in data["results"]}
    assert all(set(row["targets"]) == {"disk", "nfs"} for op, row in rows.items() if op != "edit")
    # A host edit, made by bench on the host, seen in the guest over real vagrant ssh and NFS:
    # within about actimeo=1 (ganesha keeps no cache of its own), every one of them.
    edit = rows["edit"]["targets"]
    assert list(edit) == ["nfs"] and (edit["nfs"]["samples"], edit["nfs"]["misses"]) == (20, 0)
    assert 0 < edit["nfs"]["median_ns"] < 2e9 and edit["nfs"]["max_ns"] < 3e9
    assert 0 < rows["reloader"]["targets"]["nfs"]["cpu_share"] < 1  # at runserver's 1 s cadence
    run.figures["init's default (actimeo=1)"] = side_by_side(rows)
    assert "bench: measuring disk, nfs in default..." in done.stderr
    # Found running, left running (bench halts again only a machine it had to start: tests/bench).
    assert "vagrant up" not in done.stderr and run.world.names("list", "--state-running", "--name") == [
        "e2e-project_default"
    ]
    assert sorted(p.name for p in run.world.project.iterdir()) == [".vagrant", "Vagrantfile", "vagrantkit.toml"]
    run.passed.add("bench")


def test_doctor_in_the_project_folder_checks_the_host_and_the_running_guest(run: Run) -> None:
    run.require("mount")
    (run.world.project / "manage.py").write_text("# a Django project, for the PYTHONPYCACHEPREFIX check\n")
    try:
        _, document = vagrantkit_json(run, "doctor", timeout=300)
    finally:
        (run.world.project / "manage.py").unlink()
    checks = {c["id"]: c for c in document["data"]["checks"]}
    verdicts = {i: c["status"] for i, c in checks.items()}
    folder = checks["guest.synced-folders:default:/vagrant"]
    assert folder["status"] == "pass", folder
    assert folder["message"] == (
        f"nfs from 192.168.121.1:{run.world.project} (vers=3, proto=tcp, nolock, acregmin=1, acregmax=1, "
        "acdirmin=1, acdirmax=1)"
    )
    assert re.fullmatch(
        r"default: kernel 6\.1\.\S+, nfs-utils 2\.\d+\.\d+", checks["guest.versions:default"]["message"]
    )
    assert verdicts["guest.pycache-prefix:default"] == "warn"  # the box's vagrant user has none
    expected = {
        "vagrant.installed": "pass",
        "provider.libvirt": "pass",
        "nfs.exports": "pass",
        "nfs.sudoers": "pass",  # root, and sudo installed (Vagrant calls it even as root)
        "nfs.winnfsd-unix": "pass",
        "vagrantfile.lint": "pass",
        "vagrantfile.validate": "pass",
        # True of this host: its kernel has no nfsd; Vagrant's NFS works here only through the test's
        # own host capabilities (tests/e2e/nfs_shim.py), which doctor rightly does not count.
        "nfs.server": "fail",
    }
    assert {i: verdicts.get(i) for i in expected} == expected, {i: checks.get(i) for i in expected}
    assert "whether KVM can run guests is not tested" in checks["provider.libvirt"]["message"]
    run.passed.add("doctor")


def side_by_side(rows: dict[str, Any]) -> dict[str, float]:
    """The figures the watch issue compares: NFS against the guest disk, and host edits."""
    edit = rows["edit"]["targets"]["nfs"]
    return {
        "reloader_ratio": rows["reloader"]["targets"]["nfs"]["ratio"]["value"],
        "discover_ratio": rows["discover"]["targets"]["nfs"]["ratio"]["value"],
        "edit_p50_s": edit["median_ns"] / 1e9,
        "edit_p95_s": edit["p95_ns"] / 1e9,
        "edit_misses": edit["misses"],
        "edits": edit["samples"] + edit["misses"],
    }


def test_halt_then_doctor_skips_the_guest_with_the_reason(run: Run) -> None:
    run.require("up")
    done = run.world.vagrant("halt", timeout=300)
    assert done.returncode == 0, done.stderr
    assert run.world.names("list", "--state-running", "--name") == []
    _, document = vagrantkit_json(run, "doctor", "guest", timeout=300)
    checks = {c["id"]: c for c in document["data"]["checks"]}
    for check_id in ("guest.synced-folders", "guest.versions"):
        assert checks[check_id]["status"] == "skip"
        assert checks[check_id]["message"] == "default is poweroff: the guest is checked while it runs (`vagrant up`)"
    # The next `vagrant up` mounts the folder as init --watch renders it: a minute of cache, no close-to-open.
    done = run.world.vagrantkit("init", "--watch", "--force", timeout=60)
    assert done.returncode == 0, done.stderr
    text = (run.world.project / "Vagrantfile").read_text()
    assert 'mount_options: ["nolock", "actimeo=60", "nocto"]' in text
    run.vagrantfile_sha = hashlib.sha256(text.encode()).hexdigest()  # what nothing may change from here on
    run.passed.add("halt")


def test_vagrant_up_again_applies_the_exports_to_the_running_server_and_mounts(run: Run) -> None:
    run.require("halt")
    done = run.world.vagrant("up", timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    actions = (run.world.nfs_state / "actions.log").read_text().splitlines()
    assert [a.split()[0] for a in actions] == ["start", "apply"]  # Vagrant's `exportfs -ar`, for ganesha
    mount = {m.mount_point: m for m in parse_mounts(ssh_ok(run, "cat /proc/mounts"))}["/vagrant"]
    wanted = {"vers=3", "proto=tcp", "nolock", "nocto", "acregmin=60", "acdirmin=60"}
    assert mount.fstype == "nfs" and wanted <= set(mount.options), mount.options
    run.passed.add("up again")


def test_watch_over_real_vagrant_ssh_keeps_the_long_cached_folder_fresh(run: Run) -> None:
    # init --watch + vagrantkit watch, side by side with init's default measured by bench quick above.
    run.require("up again", "bench")
    world = run.world
    _, before = vagrantkit_json(run, "doctor", "guest.watch", timeout=300)
    warned = {c["id"]: c for c in before["data"]["checks"]}["guest.watch:default"]
    assert warned["status"] == "warn" and warned["fix"]["commands"] == ["vagrantkit watch --machine default"]
    watch = world.sandbox.popen(
        [sys.executable, "-m", "vagrantkit", "watch"],
        cwd=world.project,
        env=world.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(watch.stderr.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        wait = time.monotonic() + 120
        while not any("watch: connected to default over ssh" in line for line in lines):
            assert watch.poll() is None and time.monotonic() < wait, lines
            time.sleep(0.2)
        assert f"{world.project} -> /vagrant" in lines[0], lines
        _, during = vagrantkit_json(run, "doctor", "guest.watch", timeout=300)
        running = {c["id"]: c for c in during["data"]["checks"]}["guest.watch:default"]
        assert running["status"] == "pass", running
        done, document = vagrantkit_json(
            run, "bench", "--profile", "quick", "--size", "1000", "--ops", "reloader,discover,edit", timeout=900
        )
        assert done.returncode == 0, done.stderr[-3000:]
        rows = {row["op"]: row for row in document["data"]["results"]}
        figures = side_by_side(rows)
        run.figures["init --watch + vagrantkit watch"] = figures
        # Every host edit seen, under a cache that would hide it for a minute without watch.
        assert (figures["edits"], figures["edit_misses"]) == (20, 0), figures
        assert figures["edit_p95_s"] < 5, figures
        assert any(line.startswith("watch: forwarded ") for line in lines)
        # ssh dropped under it: watch asks vagrant ssh-config again and goes on.
        ssh = [p for p in world.sandbox.pids() if _is_watch_ssh(p)]
        assert len(ssh) == 1, ssh
        os.kill(ssh[0], signal.SIGKILL)
        wait = time.monotonic() + 120
        while not any("watch: connected again to default" in line for line in lines):
            assert watch.poll() is None and time.monotonic() < wait, lines
            time.sleep(0.2)
    finally:
        if watch.poll() is None:
            watch.send_signal(signal.SIGINT)
        code = watch.wait(60)
        reader.join(10)
    assert code == 130, lines
    assert lines[-1] == "Interrupted.\n", lines
    _, after = vagrantkit_json(run, "doctor", "guest.watch", timeout=300)
    assert {c["id"]: c for c in after["data"]["checks"]}["guest.watch:default"]["status"] == "warn"
    side = "\n".join(f"{name}: {json.dumps(f)}" for name, f in run.figures.items())
    record(f"(figures, nfs vs guest disk)\n{side}", 0.0)
    run.passed.add("watch")


def _is_watch_ssh(pid: int) -> bool:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return Path(argv[0].decode()).name == "ssh" and argv[1:2] == [b"-F"] and b"receiver.py" in b" ".join(argv)


def test_destroy_leaves_no_domain_network_or_export(run: Run) -> None:
    run.require("up")
    done = run.world.vagrant("destroy", "-f", timeout=300)
    assert done.returncode == 0, done.stderr
    world = run.world
    assert world.names("list", "--all", "--name") == []
    assert world.names("net-list", "--all", "--name") == []  # management network gone, default never made
    assert str(world.project) not in EXPORTS.read_text()  # Vagrant pruned its export block
    # What vagrant-libvirt keeps by design: the box's base image, for the next `vagrant up`.
    volumes = world.names("vol-list", "default")[2:]
    assert len(volumes) == 1 and volumes[0].startswith("local-VAGRANTSLASH-debian12_vagrant_box_image_0_")
    assert hashlib.sha256((world.project / "Vagrantfile").read_bytes()).hexdigest() == run.vagrantfile_sha
    run.passed.add("destroy")


def test_teardown_removes_the_box_volume_the_pool_the_daemons_and_the_namespaces(run: Run) -> None:
    world = run.world
    volume = world.names("vol-list", "default")[2].split()[0]
    for args in (
        ("vol-delete", volume, "--pool", "default"),
        ("pool-destroy", "default"),
        ("pool-undefine", "default"),
    ):
        done = world.virsh(*args)
        assert done.returncode == 0, (args, done.stderr)
    assert world.names("pool-list", "--all", "--name") == []
    seen = world.sandbox.pids()
    root, netns = world.sandbox.root, world.sandbox.netns
    world.__exit__(None, None, None)
    assert seen and not [pid for pid in seen if process_alive(pid)]
    assert netns not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert not root.exists()
    assert (EXPORTS.read_text() if EXPORTS.exists() else None) == run.exports_before
