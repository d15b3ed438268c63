"""The providers and synced-folder types vagrantkit knows: one entry each, read by init, bench and doctor.

A new provider or sync type is one entry here, plus the files it names: its template block
(``templates/``), and its doctor checks module. Entries hold data and module names only, so
that importing this module stays cheap (``vagrantkit --help`` imports nothing heavy).

- init renders ``SyncType.template`` for the project folder (with ``SyncType.mount_options`` unless
  others are given) and ``Provider.template`` for the machine's network and resources;
  ``init --sync``/``--provider`` take the entries' names.
- bench finds a sync type's mounts in the guest by ``SyncType.fs_types`` and measures each under
  ``SyncType.label``; a provider's own share is found as ``Provider.share`` says.
- doctor imports ``checks`` of every entry (then the per-OS modules, ``HOST_OS_MODULES`` in
  ``vagrantkit/doctor/model.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from vagrantkit.host import OS

#: How bench gets a provider's own shared folder for one run.
TRANSIENT = "transient"  # added for the run and removed after (VirtualBox: VBoxManage sharedfolder add --transient)
MOUNTED = "mounted"  # none can be added: the ones the Vagrantfile mounts are measured (libvirt: 9p, virtiofs)


@dataclass(frozen=True)
class SyncType:
    """A kind of synced folder Vagrant mounts from the host (``config.vm.synced_folder ..., type: NAME``)."""

    name: str  # Vagrant's `type:`, and init's --sync value
    title: str
    template: str  # the synced_folder block init renders (templates/)
    fs_types: tuple[str, ...]  # how the guest's /proc/mounts names its mounts
    label: str  # the target label bench measures its mount under
    hosts: frozenset[OS]  # the host OSes Vagrant serves it from
    checks: tuple[str, ...] = ()  # doctor check modules about it
    mount_options: tuple[str, ...] = ()  # what init renders unless --mount-option says otherwise


@dataclass(frozen=True)
class Provider:
    """A Vagrant provider init renders for and bench measures in."""

    name: str  # Vagrant's provider name, and init's --provider value
    title: str
    template: str  # the provider block init renders (templates/)
    share: str  # the file system of its own shared folder, as /proc/mounts names it
    share_fs: tuple[str, ...]  # every file system of its own shares bench measures
    bench_share: str  # TRANSIENT or MOUNTED
    checks: tuple[str, ...] = ()  # doctor check modules about it


SYNC_TYPES: dict[str, SyncType] = {
    s.name: s
    for s in (
        SyncType(
            "nfs",
            "NFS",
            "sync/nfs.j2",
            ("nfs", "nfs4"),
            "nfs",
            frozenset({OS.WINDOWS, OS.MACOS, OS.LINUX}),
            ("vagrantkit.doctor.checks.windows", "vagrantkit.doctor.checks.unix", "vagrantkit.doctor.checks.macos"),
            # nolock: WinNFSd has no lock manager (NLM), lock requests hang without it.
            # actimeo=1: attribute cache of 1 s, so a host edit reaches runserver's reloader within 1 s
            # (default: up to 60 s).
            mount_options=("nolock", "actimeo=1"),
        ),
        SyncType(
            "smb",
            "SMB",
            "sync/smb.j2",
            ("cifs", "smb3"),
            "smb",
            frozenset({OS.WINDOWS, OS.MACOS}),
            ("vagrantkit.doctor.checks.windows",),
            # SMB 3.0.2 (Windows 8.1 / Server 2012 R2 and later, macOS): SMB1 is off on current Windows and
            # insecure. Nothing else: Vagrant's smb mount_options cap (plugins/synced_folders/smb/cap/
            # mount_options.rb) adds sec=ntlmssp (or the host's own), credentials=, uid=/gid= of the
            # folder's owner (the SSH user, vagrant), mfsymlinks and _netdev itself, and merges ours over
            # them by key: vers=3.02 replaces the vers=2.0 a Windows host asks for.
            mount_options=("vers=3.02",),
        ),
    )
}

PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        Provider(
            "virtualbox",
            "VirtualBox",
            "provider/virtualbox.j2",
            "vboxsf",
            ("vboxsf",),
            TRANSIENT,
            ("vagrantkit.doctor.checks.provider",),
        ),
        Provider(
            "libvirt",
            "libvirt (vagrant-libvirt)",
            "provider/libvirt.j2",
            "9p",
            ("9p", "virtiofs"),
            MOUNTED,
            ("vagrantkit.doctor.checks.provider",),
        ),
    )
}

DEFAULT_SYNC = "nfs"
DEFAULT_PROVIDER = "virtualbox"


def sync_of_fs(fs_type: str | None) -> SyncType | None:
    """The sync type whose guest mounts have this file-system type (``nfs4`` -> NFS), if any."""
    return next((s for s in SYNC_TYPES.values() if fs_type in s.fs_types), None)


def check_modules() -> tuple[str, ...]:
    """Every doctor check module the entries name, in entry order, each once."""
    found: dict[str, None] = {}
    entries: tuple[Provider | SyncType, ...] = (*PROVIDERS.values(), *SYNC_TYPES.values())
    for entry in entries:
        found.update(dict.fromkeys(entry.checks))
    return tuple(found)
