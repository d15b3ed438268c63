"""Guest checks: inside the project's running machine, is each synced folder mounted as the Vagrantfile asks?

A Vagrantfile can ask for NFS over TCP with a one-second attribute cache and still end up with
something else in the guest: another type (Vagrant falls back to the provider's share on some
hosts), UDP, or mount options that the guest's kernel did not take. Only the guest's mount table
tells. These checks read it (and the kernel, nfs-utils and ``PYTHONPYCACHEPREFIX``) through one
``vagrant ssh`` per running machine (:mod:`vagrantkit.doctor.guest`); a machine that is not
running is skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from vagrantkit.django.sharedfolder import Mount, mount_of
from vagrantkit.doctor.checks.common import PYCACHE_LINE, vagrantfile_facts
from vagrantkit.doctor.guest import GuestFacts, ProbeFailed
from vagrantkit.doctor.model import Category, DoctorContext, Finding, Fix, check
from vagrantkit.filesystems import FILESYSTEMS
from vagrantkit.registry import PROVIDERS, SYNC_TYPES
from vagrantkit.vagrantfile.syntax import COMPUTED

# The file systems a synced-folder type mounts in the guest (rsync copies: nothing is mounted):
# the registry's sync types and VirtualBox's own share, then the types of other providers' plugins.
MOUNTED_AS = {
    **{sync.name: sync.fs_types for sync in SYNC_TYPES.values()},
    "virtualbox": PROVIDERS["virtualbox"].share_fs,
    "9p": ("9p",),
    "virtiofs": ("virtiofs",),
    "vmware": ("vmhgfs", "fuse.vmhgfs-fuse"),
    "parallels": ("prl_fs",),
}
DEFAULT_TYPE = {"virtualbox": "virtualbox"}  # a folder without `type:` gets its provider's share
ATTRIBUTE_CACHE = ("acregmin", "acregmax", "acdirmin", "acdirmax")
# The NFS client's own values, which /proc/mounts leaves out (fs/nfs/super.c nfs_show_mount_options
# shows an attribute-cache value only when it differs): actimeo=60 shows acregmin=60,acdirmin=60 alone.
KERNEL_DEFAULTS = {"acregmin": "3", "acregmax": "60", "acdirmin": "30", "acdirmax": "60"}


@dataclass(frozen=True)
class Wanted:
    """A synced folder the Vagrantfile enables, with what its guest mount should show."""

    guest_path: str
    type: str | None  # None: the provider's default
    line: int  # 0 for Vagrant's implicit /vagrant
    options: dict[str, str]  # option -> value ('' for a flag) in the kernel's own words


def in_force(options: list[str] | None, nfs_version: str | None, udp: bool | None) -> dict[str, str]:
    """What the guest kernel's mount table should show for these NFS settings.

    Vagrant puts ``vers=N`` first, ``udp`` when ``nfs_udp`` is true (else the mount is TCP), then
    the folder's own ``mount_options`` (a later option wins, as for mount). The kernel shows
    ``actimeo=N`` as its four attribute-cache values and ``udp``/``tcp`` as ``proto=``. Other
    options are not judged, nor ``proto`` when ``udp`` is unknown (None).
    """
    wanted: dict[str, str] = {}
    transport = [] if udp is None else ["udp" if udp else "tcp"]
    items = ([f"vers={nfs_version}"] if nfs_version else []) + transport + list(options or ())
    for item in items:
        name, _, value = item.partition("=")
        if name == "actimeo":
            wanted.update(dict.fromkeys(ATTRIBUTE_CACHE, value))
        elif name in ATTRIBUTE_CACHE or name == "vers":
            wanted[name] = value
        elif name == "nfsvers":
            wanted["vers"] = value
        elif name in ("udp", "tcp"):
            wanted["proto"] = name
        elif name == "proto":
            wanted["proto"] = value
        elif name in ("nolock", "lock"):
            wanted.pop("nolock" if name == "lock" else "lock", None)
            wanted[name] = ""
    return wanted


def wanted_folders(ctx: DoctorContext, machine: str | None = None) -> list[Wanted]:
    """Every enabled synced folder of the Vagrantfile with a literal guest path, the implicit /vagrant
    included: the top level's and those of ``machine``'s define block. A folder whose type, state or
    guest path is computed is left out (only running the file would know it)."""
    facts = vagrantfile_facts(ctx)
    if facts is None:
        return []
    defined = facts.machine_named(machine) if machine is not None else None
    found: dict[str, Wanted] = {}
    for folder in facts.folders:
        path = folder.guest
        if not isinstance(path, str) or not facts.applies(folder, defined) or folder.type is COMPUTED:
            continue
        if folder.disabled is None:
            continue
        if folder.disabled:
            found.pop(path, None)
            found[path] = Wanted(path, "disabled", folder.line, {})
            continue
        options: dict[str, str] = {}
        if folder.type == "nfs":
            version = folder.option("nfs_version")
            version = None if version is None or version is COMPUTED else str(version)
            mount_options = folder.mount_options
            options = in_force(
                None if mount_options is COMPUTED else mount_options,
                version,
                _nfs_udp(folder.option("nfs_udp"), version, folder.option("nfs_version") is COMPUTED),
            )
        found[path] = Wanted(path, folder.type, folder.line, options)
    found.setdefault("/vagrant", Wanted("/vagrant", None, 0, {}))
    return [w for w in found.values() if w.type not in ("disabled", "rsync")]


def _nfs_udp(written: object, version: str | None, version_computed: bool) -> bool | None:
    """Whether Vagrant mounts over UDP: ``nfs_udp`` as written, else its default (UDP unless NFSv4,
    plugins/synced_folders/nfs/synced_folder.rb); None when that cannot be read from the literals."""
    if written is COMPUTED or (written is None and version_computed):
        return None
    if written is not None:
        return written is not False and written is not None
    return not (version or "").startswith("4")


def _options(mount: Mount) -> dict[str, str]:
    return {name: value for name, _, value in (o.partition("=") for o in mount.options)}


def _where(want: Wanted, ctx: DoctorContext) -> str:
    name = ctx.vagrantfile.name if ctx.vagrantfile else "Vagrantfile"
    return f"{name}:{want.line}" if want.line else "the default /vagrant share"


def _mismatches(want: Wanted, shown: dict[str, str]) -> list[str]:
    wrong = []
    shown = {**KERNEL_DEFAULTS, **shown}
    for name, value in want.options.items():
        if name not in shown:
            wrong.append(f"{name}{'=' + value if value else ''} asked, not in force")
        elif name == "vers" and shown[name].split(".")[0] == value.split(".")[0]:
            continue  # vers=4 mounts as vers=4.2
        elif shown[name] != value:
            wrong.append(f"{name}={value} asked, {name}={shown[name]} in force")
    if shown.get("proto", "").startswith("udp") and want.options.get("proto") != "udp":
        wrong = [w for w in wrong if not w.startswith("proto=")]
        wrong.append(f"proto={shown['proto']} in force: UDP, which current guest kernels refuse or handle badly")
    return wrong


def folder_finding(want: Wanted, facts: GuestFacts, ctx: DoctorContext) -> Finding:
    """One folder's verdict: mounted, with the type and the options the Vagrantfile asks for."""
    key = f"{facts.machine}:{want.guest_path}"
    title = f"{want.guest_path} in {facts.machine}"
    mount = mount_of(PurePosixPath(want.guest_path), list(facts.mounts))
    reload = Fix(
        "Vagrant mounts synced folders at `vagrant up` and `vagrant reload`; its output says why a mount "
        "went otherwise. Reload the machine and read what it prints about synced folders:",
        (f"vagrant reload {facts.machine}",),
    )
    if mount is None or mount.mount_point != want.guest_path:
        on = f" (the folder is on {mount.mount_point}, {mount.fstype})" if mount else ""
        return Finding.fail(f"not mounted{on}", fix=reload, key=key, title=title)
    kind = want.type or DEFAULT_TYPE.get(facts.provider)
    expected = MOUNTED_AS.get(kind or "")
    described = f"{mount.fstype} from {mount.device}"
    if expected and mount.fstype not in expected:
        name = FILESYSTEMS.get(mount.fstype, (None, mount.fstype))[1] or mount.fstype
        return Finding.fail(
            f"mounted as {name} ({mount.fstype}), not as the {kind} folder {_where(want, ctx)} asks for",
            fix=reload,
            key=key,
            title=title,
            details=(f"mount: {mount.device} on {mount.mount_point} type {mount.fstype} ({','.join(mount.options)})",),
        )
    shown = _options(mount)
    wrong = _mismatches(want, shown) if mount.fstype in ("nfs", "nfs4") else []
    if wrong:
        return Finding.fail(
            f"{described}, but " + "; ".join(wrong),
            fix=Fix(
                f"The guest mounted it otherwise than {_where(want, ctx)} asks. Check the folder's mount_options, "
                "then remount it:",
                (f"vagrant reload {facts.machine}",),
            ),
            key=key,
            title=title,
            details=(f"in force: {','.join(mount.options)}",),
        )
    judged = ", ".join(f"{n}={shown[n]}" if shown[n] else n for n in want.options if n in shown)
    return Finding.passed(f"{described}" + (f" ({judged})" if judged else ""), key=key)


def per_machine(ctx: DoctorContext, judge: Callable[[GuestFacts], Iterable[Finding]]) -> list[Finding]:
    """``judge``'s findings for each running machine; a SKIP (or a WARN when ssh failed) for what cannot be looked at."""
    machines, why = ctx.machines()
    if why is not None:
        return [Finding.skip(why)]
    up = [m for m in machines if m.state == "running"]
    if not up:
        states = ", ".join(f"{m.name} is {m.state.replace('_', ' ')}" for m in machines) or "no machine"
        return [Finding.skip(f"{states}: the guest is checked while it runs (`vagrant up`)")]
    findings: list[Finding] = []
    for machine in up:
        facts = ctx.guest(machine)
        if isinstance(facts, ProbeFailed):
            findings.append(
                Finding.warn(
                    f"{machine.name} runs, but its inside could not be read: {facts.message}",
                    fix=Fix("Check that you can log in:", (f"vagrant ssh {machine.name}",)),
                    key=machine.name,
                )
            )
        else:
            findings.extend(judge(facts))
    return findings


@check("guest.synced-folders", "Synced folders in the guest", Category.GUEST)
def synced_folders(ctx: DoctorContext) -> list[Finding]:
    return per_machine(
        ctx, lambda facts: [folder_finding(want, facts, ctx) for want in wanted_folders(ctx, facts.machine)]
    )


def _versions(facts: GuestFacts) -> list[Finding]:
    nfs = f"nfs-utils {facts.nfs_utils}" if facts.nfs_utils else "no mount.nfs (nfs-utils not installed)"
    return [Finding.passed(f"{facts.machine}: kernel {facts.kernel}, {nfs}", key=facts.machine)]


@check("guest.versions", "Guest kernel and nfs-utils", Category.GUEST)
def versions(ctx: DoctorContext) -> list[Finding]:
    return per_machine(ctx, _versions)


def _pycache(facts: GuestFacts) -> list[Finding]:
    if facts.pycache_prefix:
        return [Finding.passed(f"{facts.machine}: {facts.pycache_prefix}", key=facts.machine)]
    return [
        Finding.warn(
            f"{facts.machine}: unset for the vagrant user: Python writes every .pyc onto the synced folder",
            fix=Fix(
                "Keep bytecode on the guest's own disk (Python 3.8+); in the guest (`vagrant ssh`), then log in again:",
                (PYCACHE_LINE,),
            ),
            key=facts.machine,
        )
    ]


@check("guest.pycache-prefix", "PYTHONPYCACHEPREFIX in the guest", Category.GUEST)
def pycache_prefix(ctx: DoctorContext) -> list[Finding] | Finding:
    if ctx.django_path is None:
        return Finding.skip("no Django project found (give one with --django)")
    return per_machine(ctx, _pycache)


# An NFS folder whose attribute cache outlives this many seconds (or that skips close-to-open)
# leaves host edits unseen for longer than runserver's reloader waits: it needs vagrantkit watch.
LONG_CACHE = 3


def _long_cache(mount: Mount) -> str | None:
    """Why an NFS mount keeps host edits unseen for long (``acregmax=60, nocto``), or None."""
    shown = {**KERNEL_DEFAULTS, **_options(mount)}
    why = [f"{n}={shown[n]}" for n in ("acregmax", "acdirmax") if shown[n].isdigit() and int(shown[n]) > LONG_CACHE]
    why += ["nocto"] if "nocto" in shown else []
    return ", ".join(why) or None


def _watch(facts: GuestFacts, ctx: DoctorContext) -> list[Finding]:
    from vagrantkit.watch.lock import running

    long = [(m, why) for m in facts.mounts if m.fstype in ("nfs", "nfs4") and (why := _long_cache(m))]
    if not long:
        return [Finding.passed(f"{facts.machine}: no NFS folder caches attributes for long", key=facts.machine)]
    folders = "; ".join(f"{m.mount_point} ({why})" for m, why in long)
    project = ctx.vagrantfile.parent if ctx.vagrantfile else ctx.project
    if running(project, facts.machine):
        return [Finding.passed(f"{facts.machine}: vagrantkit watch runs for {folders}", key=facts.machine)]
    return [
        Finding.warn(
            f"{facts.machine}: {folders} cache attributes and no vagrantkit watch runs: "
            "host edits can stay unseen in the guest for up to a minute",
            fix=Fix(
                "Start vagrantkit watch in the project folder (it runs in the foreground until Ctrl-C), "
                "or mount with a short cache (`vagrantkit init --no-watch --force`, then `vagrant reload`):",
                (f"vagrantkit watch --machine {facts.machine}",),
            ),
            key=facts.machine,
        )
    ]


@check("guest.watch", "Host edits reach the guest", Category.GUEST)
def watch(ctx: DoctorContext) -> list[Finding]:
    return per_machine(ctx, lambda facts: _watch(facts, ctx))
