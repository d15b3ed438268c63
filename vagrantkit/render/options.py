"""The answers `init` renders: defaults, validation, and the saved `vagrantkit.toml`."""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from vagrantkit.errors import InvalidAnswer, InvalidValue, VagrantkitError
from vagrantkit.registry import DEFAULT_PROVIDER, DEFAULT_SYNC, PROVIDERS, SYNC_TYPES

ANSWERS_FILE = "vagrantkit.toml"

# A current Ubuntu LTS box published for VirtualBox (and other providers) by the Bento project.
DEFAULT_BOX = "bento/ubuntu-24.04"
# The NFS folder's options (why each: its registry entry).
DEFAULT_MOUNT_OPTIONS = SYNC_TYPES["nfs"].mount_options
# init --watch, for use with `vagrantkit watch`, which revalidates each host edit in the guest:
# actimeo=60: stat and open answered from the guest's cache for a minute (the lab: a reloader tick
# about as fast as the guest disk, against several times slower with actimeo=1); nocto: opens too,
# which test discovery and imports need. Chosen from the lab's freshness/speed curve (README).
WATCH_MOUNT_OPTIONS = ("nolock", "actimeo=60", "nocto")
NFS_VERSIONS = (3, 4)
MEMORY_RANGE = (256, 262144)
CPUS_RANGE = (1, 128)

_BOX = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?")
_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# Vagrant joins mount options into a shell command in the guest without quoting them,
# so anything beyond this set would be a shell word of its own there.
_MOUNT_OPTION = re.compile(r"[A-Za-z0-9_.=:/+@-]+")
_FORWARD = re.compile(r"(\d{1,5}):(\d{1,5})")


@dataclass(frozen=True)
class Forward:
    """A forwarded port: host port -> guest port."""

    host: int
    guest: int

    def __str__(self) -> str:
        return f"{self.host}:{self.guest}"


@dataclass(frozen=True)
class InitOptions:
    """Every answer the Vagrantfile template needs, validated."""

    box: str = DEFAULT_BOX
    provider: str = DEFAULT_PROVIDER
    sync: str = DEFAULT_SYNC  # the synced folder's type (registry.SYNC_TYPES)
    memory: int = 2048
    cpus: int = 2
    hostname: str = "vagrant-dev"
    host_path: str = "."
    guest_path: str = "/vagrant"
    forwards: tuple[Forward, ...] = (Forward(8000, 8000),)
    mount_options: tuple[str, ...] = DEFAULT_MOUNT_OPTIONS
    nfs_version: int = 3
    require_plugins: bool = False
    watch: bool = False  # long attribute caching, kept fresh by `vagrantkit watch`

    def guest_mount_options(self) -> list[str]:
        """The options the guest's `mount -o` gets, composed as Vagrant's Linux guest does.

        Vagrant puts ``vers=N`` first, ``udp`` only when ``nfs_udp`` is true (never here),
        then the folder's ``mount_options`` (hashicorp/vagrant plugins/guests/linux/cap/nfs.rb).
        """
        return [f"vers={self.nfs_version}", *self.mount_options]


# --- validation -------------------------------------------------------------------------

#: The command-line option of each answer: validation names a bad value by it.
OPTION_OF = {
    "box": "--box",
    "provider": "--provider",
    "sync": "--sync",
    "memory": "--memory",
    "cpus": "--cpus",
    "hostname": "--hostname",
    "host_path": "--host-path",
    "guest_path": "--guest-path",
    "forwards": "--forward",
    "mount_options": "--mount-option",
    "nfs_version": "--nfs-version",
    "require_plugins": "--require-plugins",
    "watch": "--watch",
}
_KEY_OF = {option: key for key, option in OPTION_OF.items()}


def _text(option: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidValue(option, value, "text")
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise InvalidValue(option, value, "text that is valid Unicode (no undecodable bytes)")
    return value


def _no_control(option: str, value: str, allowed: str) -> str:
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in value):
        raise InvalidValue(option, value, allowed + ", without control or invisible characters")
    return value


def _int(option: str, value: object, low: int, high: int, unit: str = "") -> int:
    allowed = f"a whole number from {low} to {high}{unit}"
    if isinstance(value, bool):
        raise InvalidValue(option, value, allowed)
    if isinstance(value, str):
        if not value.strip().isdigit():
            raise InvalidValue(option, value, allowed)
        value = int(value)
    if not isinstance(value, int) or not low <= value <= high:
        raise InvalidValue(option, value, allowed)
    return value


def parse_forward(text: object) -> Forward:
    """Parse ``HOST:GUEST`` (both ports 1-65535)."""
    allowed = "HOST:GUEST with both ports from 1 to 65535, e.g. 8000:8000"
    match = _FORWARD.fullmatch(text) if isinstance(text, str) else None
    if not match:
        raise InvalidValue("--forward", text, allowed)
    host, guest = int(match[1]), int(match[2])
    if not (1 <= host <= 65535 and 1 <= guest <= 65535):
        raise InvalidValue("--forward", text, allowed)
    return Forward(host, guest)


def validate(options: InitOptions, *, allow_broken: bool = False) -> InitOptions:
    """Check every answer; the first bad one raises :class:`InvalidValue` (exit code 2).

    Args:
        options: The answers.
        allow_broken: Accept a mount option that asks for UDP or names the NFS version (``init --force``):
            doctor and lint FAIL such a file.

    Returns:
        The same options, normalised (e.g. numbers given as text become ints).
    """
    box = _text("--box", options.box)
    if len(box) > 255 or not _BOX.fullmatch(box):
        raise InvalidValue(
            "--box", box, "a box name like bento/ubuntu-24.04: letters, digits, '.', '_', '-' and one '/'"
        )
    for option, value, entries in (("--provider", options.provider, PROVIDERS), ("--sync", options.sync, SYNC_TYPES)):
        if not isinstance(value, str) or value not in entries:
            raise InvalidValue(option, value, " or ".join(entries))
    nfs = options.sync == "nfs"
    hostname = _text("--hostname", options.hostname)
    if len(hostname) > 253 or not all(_LABEL.fullmatch(label) for label in hostname.split(".")):
        raise InvalidValue(
            "--hostname",
            hostname,
            "a host name: dot-separated labels of letters, digits and '-' (1-63 each, no '-' at either end)",
        )
    host_path = _no_control("--host-path", _text("--host-path", options.host_path), "a folder path")
    if not host_path.strip():
        raise InvalidValue("--host-path", host_path, "a folder path (not empty)")
    guest_path = _no_control("--guest-path", _text("--guest-path", options.guest_path), "an absolute path")
    if not guest_path.startswith("/") or guest_path.rstrip("/") == "" or "'" in guest_path:
        raise InvalidValue(
            "--guest-path", guest_path, "an absolute path in the guest such as /vagrant (not /, no quotes)"
        )
    mount_options = tuple(options.mount_options)
    if not mount_options:
        raise InvalidValue("--mount-option", "", "at least one mount option, e.g. nolock")
    for opt in mount_options:
        if not isinstance(opt, str) or not _MOUNT_OPTION.fullmatch(opt):
            raise InvalidValue(
                "--mount-option",
                opt,
                "one option per --mount-option, made of letters, digits and . _ = : / + @ - (e.g. actimeo=1)",
            )
    udp = [o for o in mount_options if o in UDP_OPTIONS]
    if nfs and udp and not allow_broken:
        raise InvalidValue(
            "--mount-option", udp[0], f"options over TCP, since {UDP_REFUSED} (--force renders it anyway)"
        )
    smb1 = [o for o in mount_options if SMB1_OPTION.fullmatch(o)]
    if not nfs and smb1 and not allow_broken:
        raise InvalidValue(
            "--mount-option",
            smb1[0],
            f"an SMB version from 2.0 on, e.g. vers=3.02: {SMB1_REFUSED} (--force renders it anyway)",
        )
    version = [o for o in mount_options if VERSION_OPTION.fullmatch(o)]
    if nfs and version and not allow_broken:
        raise InvalidValue(
            "--mount-option",
            version[0],
            "options without an NFS version: say it with --nfs-version (Vagrant puts its own vers= first, and "
            "current guests refuse two: 'multiple version options not permitted'; --force renders it anyway)",
        )
    nfs_version = _int("--nfs-version", options.nfs_version, 3, 4)
    forwards = tuple(f if isinstance(f, Forward) else parse_forward(f) for f in options.forwards)
    seen: set[int] = set()
    for f in forwards:
        if f.host in seen:
            raise InvalidValue("--forward", str(f), "each host port forwarded once")
        seen.add(f.host)
    if not isinstance(options.require_plugins, bool):
        raise InvalidValue("--require-plugins", options.require_plugins, "true or false")
    if not isinstance(options.watch, bool):
        raise InvalidValue("--watch", options.watch, "true or false")
    if not nfs and options.require_plugins:
        raise InvalidValue(
            "--require-plugins",
            True,
            f"off with --sync {options.sync}: it installs vagrant-winnfsd, which serves NFS only",
        )
    if not nfs and options.watch:
        raise InvalidValue(
            "--watch", True, f"off with --sync {options.sync}: `vagrantkit watch` keeps NFS folders fresh, no others"
        )
    return replace(
        options,
        memory=_int("--memory", options.memory, *MEMORY_RANGE, " (MiB)"),
        cpus=_int("--cpus", options.cpus, *CPUS_RANGE),
        nfs_version=nfs_version,
        forwards=forwards,
        mount_options=mount_options,
    )


#: Why NFS must go over TCP; said the same way by init's refusal and warning and doctor's findings.
UDP_REFUSED = "guests with nfs-utils >= 2.1.2 (Ubuntu 22.04+, Debian 12) refuse NFS over UDP"
UDP_OPTIONS = ("udp", "udp6", "proto=udp", "proto=udp6")  # the mount options that ask for it (nfs(5))
#: Mount options naming the NFS version (nfs(5)); Vagrant already puts ``vers=<nfs_version>`` first.
VERSION_OPTION = re.compile(r"(nfs)?vers=.*|v[234](\.\d)?")
#: An SMB mount option asking for SMB1 (mount.cifs(8)), and why init refuses it and lint FAILs it.
SMB1_OPTION = re.compile(r"vers=1(\.0)?")
SMB1_REFUSED = "SMB1 is turned off on current Windows (10 1709 and later) and is insecure (WannaCry spread over it)"


def warnings_for(options: InitOptions) -> list[str]:
    """Choices that are allowed but that the user should hear about."""
    found = []
    if options.sync == "smb" and options.provider == "libvirt":
        found.append(
            "--sync smb with --provider libvirt: vagrant-libvirt runs on Linux hosts, where Vagrant cannot "
            "serve SMB; there use --sync nfs (mounted over libvirt's management network)."
        )
    owner = [o for o in options.mount_options if o.split("=", 1)[0] in ("uid", "gid")]
    if options.sync == "smb" and owner:
        found.append(
            f"{owner[0]!r} in mount options: Vagrant already adds uid= and gid= of the folder's owner (the "
            "guest's vagrant user) to an SMB mount, and warns at every mount when mount_options name them."
        )
    if options.sync != "nfs":
        return found
    if "nolock" not in options.mount_options:
        found.append(
            "mount options without 'nolock': WinNFSd (Windows hosts) has no lock manager, "
            "so file locks in the guest will hang."
        )
    for option in (o for o in options.mount_options if o in UDP_OPTIONS):
        found.append(f"{option!r} in mount options: {UDP_REFUSED}.")
    if any(VERSION_OPTION.fullmatch(o) for o in options.mount_options):
        found.append("set the NFS version with --nfs-version, not a 'vers=' mount option.")
    if options.nfs_version == 4:
        found.append("--nfs-version 4: WinNFSd speaks only NFSv3, so this folder will not mount on a Windows host.")
    return found


_DEFAULTS = (WATCH_MOUNT_OPTIONS, *(s.mount_options for s in SYNC_TYPES.values()))


def default_mount_options(sync: object, watch: object) -> tuple[str, ...]:
    """The mount options init renders when none are given: the sync type's, or NFS's for ``--watch``.

    ``sync`` and ``watch`` are answers not validated yet: a bad one gets NFS's, and validation names it.
    """
    if watch is True and sync in (None, "nfs"):
        return WATCH_MOUNT_OPTIONS
    entry = SYNC_TYPES.get(sync) if isinstance(sync, str) else None
    return (entry or SYNC_TYPES[DEFAULT_SYNC]).mount_options


def default_hostname(directory: Path) -> str:
    """A host name derived from the project folder's name (``My Shop`` -> ``my-shop``)."""
    slug = re.sub(r"[^a-z0-9-]+", "-", directory.resolve().name.lower()).strip("-")[:63].strip("-")
    return slug or InitOptions.hostname


# --- vagrantkit.toml --------------------------------------------------------------------

_KEYS = {f.name for f in fields(InitOptions)}


def _toml_string(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _toml_string(value)
    return "[" + ", ".join(_toml_value(v) for v in value) + "]"


def dump_answers(options: InitOptions) -> str:
    """The text of ``vagrantkit.toml`` for these answers."""
    data = asdict(options)
    data["forwards"] = [str(f) for f in options.forwards]
    lines = [
        "# The answers `vagrantkit init` rendered the Vagrantfile from.",
        "# The next `vagrantkit init` here reads them back: options given on its command line win.",
        "[init]",
    ]
    lines += [f"{key} = {_toml_value(data[key])}" for key in sorted(data)]
    return "\n".join(lines) + "\n"


def load_answers(path: Path) -> dict[str, Any]:
    """Read the saved answers; a broken file is a usage error naming the file and the problem."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python < 3.11 only
        import tomli as tomllib
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidValue(str(path), "", f"a TOML file written by vagrantkit init ({exc})") from exc
    except RecursionError:  # tomllib reads arrays and inline tables recursively
        raise InvalidValue(
            str(path), "", "a TOML file written by vagrantkit init (its arrays or tables nest too deep to read)"
        ) from None
    answers = document.get("init", {})
    if not isinstance(answers, dict):
        raise InvalidValue(f"{path} [init]", answers, "a table of answers")
    unknown = sorted(set(answers) - _KEYS)
    if unknown:
        raise InvalidValue(f"{path} [init]", unknown[0], "one of " + ", ".join(sorted(_KEYS)))
    for key in ("forwards", "mount_options"):
        if key in answers:
            if not isinstance(answers[key], list):
                raise InvalidAnswer(path, key, answers[key], "a list of strings", OPTION_OF[key])
            answers[key] = tuple(answers[key])
    return answers


def resolve(directory: Path, given: Mapping[str, Any], *, allow_broken: bool = False) -> InitOptions:
    """Merge the answers: command line first, then the saved ``vagrantkit.toml``, then defaults.

    Args:
        directory: The project folder (where the Vagrantfile goes).
        given: Options from the command line; ``None`` means "not given".
        allow_broken: See :func:`validate`.

    Raises:
        InvalidValue: A given or saved value is not allowed.
        VagrantkitError: ``directory`` exists but is not a folder.
    """
    if directory.exists() and not directory.is_dir():
        raise VagrantkitError(f"{directory} is not a folder", hint="Give the project folder as DIR.")
    answers_path = directory / ANSWERS_FILE
    merged: dict[str, Any] = {"hostname": default_hostname(directory)}
    saved = load_answers(answers_path) if answers_path.is_file() else {}
    merged.update(saved)
    merged.update({k: v for k, v in given.items() if v is not None})
    # --sync and --watch / --no-watch switch between the defaults; mount options of the user's own stay.
    switch = (given.get("sync") is not None or given.get("watch") is not None) and given.get("mount_options") is None
    if "mount_options" not in merged or (switch and tuple(merged["mount_options"]) in _DEFAULTS):
        merged["mount_options"] = default_mount_options(merged.get("sync"), merged.get("watch"))
        saved.pop("mount_options", None)  # a default now, whatever the file said
    from_file = {k for k in saved if given.get(k) is None}
    try:
        return validate(InitOptions(**merged), allow_broken=allow_broken)
    except InvalidValue as exc:
        key = _KEY_OF.get(exc.option)
        if key not in from_file:
            raise  # given on the command line: the option is the right name
        raise InvalidAnswer(answers_path, key, exc.value, exc.allowed, exc.option) from None
