"""Bench inside the project's Vagrant guest: guest disk vs its synced folders (NFS, SMB) vs the hypervisor's own share.

Steps: find the machine and bring it up if needed; read the guest's /proc/mounts; find the synced
folders of every sync type in ``vagrantkit/registry.py`` (NFS, SMB) by their file systems, and the
host folder behind each (an NFS export names it; an SMB share is the Vagrantfile's folder with that
guest path); for a provider whose share can be added for one run (VirtualBox) add that host folder
as a *transient* shared folder and mount it with ``mount -t vboxsf`` (so vboxsf and NFS serve the
same files); run the runner over ``vagrant ssh`` against all of them; remove the share again on
every exit path. Where none can be added (libvirt), the 9p/virtiofs folders the Vagrantfile
already mounts are measured instead.
"""

from __future__ import annotations

import re
import secrets
import shlex
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Protocol

from vagrantkit import exports
from vagrantkit.bench import runner as bench_runner
from vagrantkit.bench.analysis import analyze
from vagrantkit.bench.edit import HostEditor
from vagrantkit.bench.options import runner_args
from vagrantkit.bench.targets import Target
from vagrantkit.bench.transport import Progress, Transport, VagrantTransport
from vagrantkit.errors import VagrantkitError
from vagrantkit.filesystems import Kind, kind_of
from vagrantkit.registry import PROVIDERS, SYNC_TYPES, TRANSIENT
from vagrantkit.vagrantfile import read as read_vagrantfile

if TYPE_CHECKING:
    from vagrantkit.bench.model import BenchOptions, BenchResult
    from vagrantkit.process import Completed
    from vagrantkit.vagrant_adapter import MachineStatus


class BenchVagrant(Protocol):
    """The Vagrant verbs bench uses (:class:`vagrantkit.vagrant_adapter.VagrantAdapter` has them; tests fake them)."""

    def status(self) -> list[MachineStatus]: ...
    def up(self, machine: str) -> None: ...
    def halt(self, machine: str) -> None: ...
    def suspend(self, machine: str) -> None: ...
    def ssh(
        self, command: str, *, machine: str | None = None, input: str | None = None, timeout: float = ...
    ) -> Completed: ...
    def ssh_stream(
        self,
        command: str,
        *,
        machine: str | None = None,
        first: bytes,
        on_line: Callable[[str], str | None],
        timeout: float = ...,
    ) -> Completed: ...
    def machine_id(self, machine: str, provider: str) -> str | None: ...
    def transient_shares(self, vm_id: str) -> list[str] | None: ...
    def transient_share(self, vm_id: str, name: str, host_path: Path, *, add: bool) -> Completed: ...


# The guest's own disk: the vagrant user's home (on the root file system of every common box).
GUEST_DISK = "~"
# States a machine is put back into with `vagrant suspend` (VirtualBox "saved", libvirt "paused");
# any other state but running is put back with `vagrant halt`.
SUSPENDED = ("saved", "paused", "suspended")
SHARE_ROOT = PurePosixPath("/mnt")
# The names bench gives its transient shares (`vagrantkit-bench-` + secrets.token_hex(4)), and the only
# ones it ever removes unasked: a user's share may well be called vagrantkit-bench-notes.
OWN_SHARE = re.compile(r"vagrantkit-bench-[0-9a-f]{8}")


def _say(notify: Callable[[str], None] | None, text: str) -> None:
    if notify:
        notify(text)


def exported_folder(source: str) -> Path | None:
    """The folder of this host an NFS mount serves (``192.168.56.1:/home/me/proj`` -> that path; WinNFSd's
    ``/C/Users/me/proj`` -> ``C:\\Users\\me\\proj`` on Windows), if it is one."""
    exported = exports.export_of(source)
    return exports.host_folder(exported) if exported is not None else None


def run_in_vagrant(
    options: BenchOptions,
    *,
    adapter: BenchVagrant | None = None,
    transport: Transport | None = None,
    notify: Callable[[str], None] | None = None,
    share_root: PurePosixPath = SHARE_ROOT,
    progress: Progress | None = None,
) -> BenchResult:
    """Run the bench in the project's guest (see the module docstring) and analyse it.

    Args:
        options: What to measure; ``options.project`` holds the Vagrantfile.
        adapter: The Vagrant adapter (default: a real one for ``options.project``).
        transport: Where the runner runs (default: ``vagrant ssh`` through ``adapter``).
        notify: Receives one-line status messages for stderr.
        share_root: Guest folder under which the transient vboxsf share is mounted.
        progress: Receives the runner's progress events as they happen.
    """
    if adapter is None:
        from vagrantkit.vagrant_adapter import VagrantAdapter

        if not (options.project / "Vagrantfile").is_file():
            raise VagrantkitError(
                f"no Vagrantfile in {options.project.resolve()}",
                hint="Run bench in the project folder, or measure folders on this machine with --local PATH.",
            )
        adapter = VagrantAdapter(options.project)
    machines = adapter.status()
    if options.machine:
        machines = [m for m in machines if m.name == options.machine]
    if not machines:
        raise VagrantkitError(
            "no such machine in this project" if options.machine else "the Vagrantfile defines no machine",
            hint="`vagrant status` lists the machines; pass one with --machine.",
        )
    machine = machines[0]
    if machine.state == "not_created" and not options.up:
        raise VagrantkitError(
            f"{machine.name} is not created: bench measures a machine that exists, it does not create one",
            hint=f"`vagrant up {machine.name}` creates it (downloading the box if needed), or pass --up to let "
            "bench create it; then run bench again.",
        )
    warnings: list[str] = []
    with ExitStack() as put_back:
        if machine.state == "not_created":
            _say(notify, f"bench: creating {machine.name} (vagrant up, as --up asks); it stays created...")
            put_back.callback(adapter.halt, machine.name)
            put_back.callback(
                _say, notify, f"bench: {machine.name} was created for the run: vagrant halt {machine.name}..."
            )
            adapter.up(machine.name)
            warnings.append(
                f"{machine.name} was not created: created for the run (--up), then halted; "
                f"`vagrant destroy {machine.name}` removes it"
            )
        elif machine.state != "running":
            # Leave the machine as it was found: started for the run, put back afterwards, whatever happens.
            verb, past, undo = ("suspend", "suspended", adapter.suspend)
            if machine.state not in SUSPENDED:
                verb, past, undo = ("halt", "halted", adapter.halt)
            _say(notify, f"bench: starting {machine.name} (vagrant up); it was {machine.state}...")
            put_back.callback(undo, machine.name)
            put_back.callback(
                _say, notify, f"bench: {machine.name} was {machine.state}: vagrant {verb} {machine.name}..."
            )
            adapter.up(machine.name)
            warnings.append(f"{machine.name} was {machine.state}: started for the run, then {past} again")
        return _measure(options, adapter, machine, warnings, transport, notify, share_root, progress)


def _measure(
    options: BenchOptions,
    adapter: BenchVagrant,
    machine: MachineStatus,
    warnings: list[str],
    transport: Transport | None,
    notify: Callable[[str], None] | None,
    share_root: PurePosixPath,
    progress: Progress | None,
) -> BenchResult:
    """Find the targets in the running machine, measure them, analyse the document."""

    mounts = bench_runner.parse_proc_mounts(adapter.ssh("cat /proc/mounts", machine=machine.name, timeout=60).stdout)
    run_id = secrets.token_hex(4)
    targets = [Target("disk", GUEST_DISK)]
    # The host folder behind each share, where op `edit` edits.
    folders: dict[str, Path] = {}
    synced = _synced_targets(mounts, options.project, machine.name)
    for target, served in synced:
        targets.append(target)
        if served is not None:
            folders[target.label] = served
    if not synced:
        names = " or ".join(s.title for s in SYNC_TYPES.values())
        warnings.append(f"no {names} folder is mounted in the guest (vagrantkit init renders one)")
    # The provider's own share is made of the folder a synced share serves, so that both measure the same files.
    host_folder = next(iter(folders.values()), options.project.resolve())
    provider = PROVIDERS.get(machine.provider)
    transient = provider if provider is not None and provider.bench_share == TRANSIENT else None
    for target, served in synced:
        if served is None:
            kind = "NFS export" if target.label == "nfs" else f"{target.label.upper()} share"
            instead = f"{transient.share} shares the folder {host_folder} instead, and " if transient else ""
            warnings.append(
                f"the {kind} {target.source} maps to no folder of this host: {instead}"
                f"edit latency in {target.label} is n/a"
            )
    with ExitStack() as shares:
        if transient is not None:
            share = _add_vboxsf(adapter, machine.name, run_id, host_folder, share_root, shares, warnings, mounts)
            if share:
                targets.append(Target(transient.share, share))
                folders[transient.share] = host_folder
        else:
            seen = set()
            for m in mounts:
                own = m["fs_type"] in provider.share_fs if provider else kind_of(m["fs_type"]) is Kind.HYPERVISOR
                if own and m["fs_type"] not in seen:
                    seen.add(m["fs_type"])
                    targets.append(Target(m["fs_type"], m["point"]))
            if not seen:
                warnings.append(
                    f"{machine.provider}: no 9p/virtiofs folder is mounted, and none can be added for one run"
                )
        if options.command is not None and options.copy is None:
            # The guest disk holds no project: the command runs in a copy of it in every
            # target's scratch folder, taken from the synced folder (the project as the guest sees it).
            options = replace(options, copy=targets[1].path if len(targets) > 1 else None)
        args = runner_args(options, targets, "disk", run_id, host_sides=list(folders))
        _say(notify, f"bench: measuring {', '.join(t.label for t in targets)} in {machine.name}...")
        guest = transport or VagrantTransport(_MachineShell(adapter, machine.name))
        doc = guest.run_runner(args, progress, HostEditor(folders, run_id) if folders else None)
    return analyze(doc, where=f"vagrant:{machine.name} ({machine.provider})", warnings=warnings)


def _synced_targets(mounts: list[dict[str, str]], project: Path, machine: str) -> list[tuple[Target, Path | None]]:
    """A target for the first mount of each sync type in the registry (NFS, SMB) the guest has, with
    the folder of this host behind it (None when it is none)."""
    found = []
    for sync in SYNC_TYPES.values():
        mount = next((m for m in mounts if m["fs_type"] in sync.fs_types), None)
        if mount is not None:
            target = Target(sync.label, mount["point"], source=mount["source"])
            found.append((target, _host_folder(sync.name, mount, project, machine)))
    return found


def _host_folder(sync: str, mount: dict[str, str], project: Path, machine: str) -> Path | None:
    """The folder of this host a synced mount serves: an NFS export names it; an SMB share's name
    does not (Vagrant makes one up), so the Vagrantfile's folder with that guest path does."""
    if sync == "nfs":
        return exported_folder(mount["source"])
    try:
        vagrantfile = read_vagrantfile(project / "Vagrantfile")
    except OSError:
        return None
    defined = vagrantfile.machine_named(machine)
    for folder in vagrantfile.folders:
        if (
            folder.type == sync
            and folder.disabled is False
            and folder.guest == mount["point"]
            and isinstance(folder.host, str)
            and vagrantfile.applies(folder, defined)
        ):
            path = (project / folder.host).resolve()
            return path if path.is_dir() else None
    return None


class _MachineShell:
    """``ssh`` bound to one machine, the shape :class:`VagrantTransport` needs."""

    def __init__(self, adapter: BenchVagrant, machine: str) -> None:
        self.adapter = adapter
        self.machine = machine

    def ssh_stream(
        self, command: str, *, first: bytes, on_line: Callable[[str], str | None], timeout: float = 600
    ) -> Completed:
        return self.adapter.ssh_stream(command, machine=self.machine, first=first, on_line=on_line, timeout=timeout)


def _add_vboxsf(
    adapter: BenchVagrant,
    machine: str,
    run_id: str,
    host_folder: Path,
    share_root: PurePosixPath,
    cleanup: ExitStack,
    warnings: list[str],
    mounts: list[dict[str, str]],
) -> str | None:
    """Add and mount a transient vboxsf share of ``host_folder``; register its removal. None if it cannot be.

    First the shares and guest mounts an earlier run left behind (killed before its cleanup ran) are
    removed, found in ``mounts`` (the guest's /proc/mounts) and in the VM's transient shares.
    """
    _sweep_stale_mounts(adapter, machine, mounts, share_root, warnings)
    vm_id = adapter.machine_id(machine, "virtualbox")
    if not vm_id:
        warnings.append("vboxsf skipped: the VirtualBox VM id is not in .vagrant/machines")
        return None
    _sweep_stale_shares(adapter, vm_id, host_folder, warnings)
    name = f"vagrantkit-bench-{run_id}"
    added = adapter.transient_share(vm_id, name, host_folder, add=True)
    if not added.ok:
        warnings.append(f"vboxsf skipped: VBoxManage sharedfolder add failed: {added.stderr.strip()[-200:]}")
        return None
    cleanup.callback(adapter.transient_share, vm_id, name, host_folder, add=False)
    point = str(share_root / name)
    q = shlex.quote(point)
    mounted = adapter.ssh(
        f"sudo mkdir -p {q} && sudo mount -t vboxsf -o uid=$(id -u),gid=$(id -g) {name} {q}",
        machine=machine,
        timeout=60,
    )
    if not mounted.ok:
        adapter.ssh(f"sudo rmdir {q}", machine=machine, timeout=60)
        warnings.append(
            f"vboxsf skipped: mounting it in the guest failed (are the Guest Additions installed?): {mounted.stderr.strip()[-200:]}"
        )
        return None
    cleanup.callback(_unmount, adapter, machine, point, warnings)
    return point


def _sweep_stale_mounts(
    adapter: BenchVagrant,
    machine: str,
    mounts: list[dict[str, str]],
    share_root: PurePosixPath,
    warnings: list[str],
) -> None:
    """Unmount (and rmdir) the guest's vboxsf mounts of bench's own shares under ``share_root``,
    before their shares are removed on the host (see :func:`_unmount`)."""
    points = [PurePosixPath(m["point"]) for m in mounts if m["fs_type"] == "vboxsf"]
    for point in [p for p in points if p.parent == share_root and OWN_SHARE.fullmatch(p.name)]:
        if _unmount(adapter, machine, str(point), warnings):
            warnings.append(f"vboxsf: unmounted a stale mount {point} left by an earlier run")


def _sweep_stale_shares(adapter: BenchVagrant, vm_id: str, host_folder: Path, warnings: list[str]) -> None:
    """Remove the VM's transient shares named as bench names its own."""
    names = adapter.transient_shares(vm_id)
    if names is None:
        warnings.append(
            f"vboxsf: VBoxManage showvminfo {vm_id} failed: shares left by an earlier run were not looked for"
        )
        return
    for name in filter(OWN_SHARE.fullmatch, names):
        # The host path is not part of a removal: VBoxManage removes a share by its name.
        removed = adapter.transient_share(vm_id, name, host_folder, add=False)
        if removed.ok:
            warnings.append(f"vboxsf: removed a stale share {name} left by an earlier run")
        else:
            warnings.append(
                f"vboxsf: removing a stale share {name} left by an earlier run failed: {removed.stderr.strip()[-200:]}"
            )


def _unmount(adapter: BenchVagrant, machine: str, point: str, warnings: list[str]) -> bool:
    """Unmount the share in the guest before VBoxManage removes it: removing a share that is still
    mounted "succeeds" and leaves the guest's I/O on it failing. A busy mount is unmounted lazily.
    True if it is unmounted (either way)."""
    q = shlex.quote(point)
    done = adapter.ssh(f"sudo umount {q}", machine=machine, timeout=60)
    unmounted = done.ok
    if not done.ok:
        lazy = adapter.ssh(f"sudo umount -l {q}", machine=machine, timeout=60)
        unmounted = lazy.ok
        how = "detached lazily (umount -l)" if lazy.ok else f"and umount -l failed too: {lazy.stderr.strip()[-200:]}"
        warnings.append(f"vboxsf: umount {point} in the guest failed ({done.stderr.strip()[-200:]}); {how}")
    adapter.ssh(f"sudo rmdir {q}", machine=machine, timeout=60)
    return unmounted
