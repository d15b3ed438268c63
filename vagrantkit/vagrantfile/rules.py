"""The lint rules, as a table: each a small function over the parsed model, with a stable id and a
severity, yielding findings that carry a source range and the edit that fixes them (or why not).

Add a rule: write a function ``(ctx) -> Iterator[Finding]`` and decorate it with ``@rule(...)``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from vagrantkit.render.options import SMB1_OPTION, SMB1_REFUSED, UDP_OPTIONS, UDP_REFUSED, VERSION_OPTION
from vagrantkit.render.ruby import ruby_string
from vagrantkit.vagrantfile import edits, guards, syntax
from vagrantkit.vagrantfile.model import Machine, Network, Setting, SyncedFolder, Vagrantfile, key
from vagrantkit.vagrantfile.source import Edit
from vagrantkit.vagrantfile.syntax import COMPUTED, text

if TYPE_CHECKING:
    from tree_sitter import Node


class Severity(str, enum.Enum):
    WARN = "warn"
    FAIL = "fail"


class Host(str, enum.Enum):
    """The host the Vagrantfile is judged for; ``any`` applies every host's rules."""

    WINDOWS = "windows"
    MACOS = "macos"
    LINUX = "linux"
    ANY = "any"


@dataclass(frozen=True)
class Finding:
    """One mistake at a byte range, with its fix: edits, or the reason there is none."""

    rule: str
    severity: Severity
    start: int
    end: int
    message: str
    why: str
    edits: tuple[Edit, ...] = ()
    unfixable: str | None = None


@dataclass
class Context:
    model: Vagrantfile
    host: Host
    not_checked: list[tuple[int, str]] = field(default_factory=list)  # (byte offset, what)
    cache: dict[Any, Any] = field(default_factory=dict)  # what several rules ask for, found once

    @property
    def windows(self) -> bool:
        return self.host in (Host.WINDOWS, Host.ANY)

    def skip(self, node: Node, what: str) -> None:
        """Note a value only running the file would know: reported under -v, never guessed at."""
        self.not_checked.append((node.start_byte, f"{what} (`{_short(text(node))}`): not checked"))


def _short(value: str, limit: int = 60) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    title: str
    check: Callable[[Context], Iterator[Finding]]


RULES: dict[str, Rule] = {}


def rule(rule_id: str, severity: Severity, title: str) -> Callable[[Callable[[Context], Iterator[Finding]]], Any]:
    def register(check: Callable[[Context], Iterator[Finding]]) -> Callable[[Context], Iterator[Finding]]:
        RULES[rule_id] = Rule(rule_id, severity, title, check)
        return check

    return register


# --- helpers ------------------------------------------------------------------------------


def _string(model: Vagrantfile, value: str, like: Node | None = None) -> str:
    quote = text(like)[0] if like is not None and text(like)[:1] in ("'", '"') else model.quote
    return ruby_string(value, quote=quote)


def _rocket(folder: SyncedFolder) -> bool:
    """The folder's options are written ``:name => value``."""
    return any(
        o.pair.child_by_field_name("key") is not None and text(o.pair).startswith(":") for o in folder.options.values()
    )


def _pair(folder: SyncedFolder, name: str, value: str) -> str:
    return f":{name} => {value}" if _rocket(folder) else f"{name}: {value}"


def _nfs_folders(ctx: Context, *, windows: bool = False) -> list[SyncedFolder]:
    """Enabled NFS folders. ``windows``: only those a Windows host runs (not under ``if OS.linux?`` and the like)."""
    return _folders_of(ctx, "nfs", unless=guards.NOT_WINDOWS_HOST if windows else None)


def _folders_of(ctx: Context, kind: str, *, unless: guards.Condition | None = None) -> list[SyncedFolder]:
    """Enabled folders of type ``kind``; a folder whose type or state is computed is noted, not judged.
    ``unless``: not those that run only where this condition holds (a folder for other hosts)."""
    cached = ctx.cache.get((kind, unless))
    if cached is None:
        cached = ctx.cache[(kind, unless)] = list(_find_folders(ctx, kind, unless))
    return cached


def _find_folders(ctx: Context, kind: str, unless: guards.Condition | None) -> Iterator[SyncedFolder]:
    for folder in ctx.model.folders:
        if unless is not None and guards.guarded(ctx.model, folder.call, unless):
            continue
        if folder.type is COMPUTED:
            given = folder.options.get("type") or folder.options.get("nfs")
            ctx.skip(
                given.value if given is not None and given.value is not None else folder.call, "synced folder type"
            )
            continue
        if folder.type != kind:
            continue
        if folder.disabled is None:
            ctx.skip(folder.call, "`disabled`")
            continue
        if not folder.disabled:
            yield folder


def _options_matching(ctx: Context, kind: str, pattern: re.Pattern[str]) -> Iterator[tuple[SyncedFolder, list[str]]]:
    """Enabled folders of type ``kind`` whose literal mount_options hold options ``pattern`` matches, with those."""
    for folder in _folders_of(ctx, kind):
        options = folder.mount_options
        if isinstance(options, list) and (given := [o for o in options if pattern.fullmatch(o)]):
            yield folder, given


def _at(node: Node) -> tuple[int, int]:
    return node.start_byte, node.end_byte


def _type_pair(folder: SyncedFolder) -> Node:
    option = folder.options.get("type") or folder.options.get("nfs")
    return option.pair if option is not None else folder.call


def _insert_option(folder: SyncedFolder, name: str, value: str) -> Edit:
    """``, name: value`` after the pair that makes the folder NFS (else after the last argument)."""
    anchor = _type_pair(folder)
    if anchor is folder.call:
        args = [*folder.positional, *(o.pair for o in folder.options.values())]
        anchor = max(args, key=lambda n: n.end_byte) if args else folder.call
    return edits.insert_after(anchor, ", " + _pair(folder, name, value))


def _mount_list(folder: SyncedFolder) -> Node | None:
    option = folder.options.get("mount_options")
    return option.value if option is not None and option.value is not None else None


def _edit_mount_options(ctx: Context, folder: SyncedFolder, drop: Callable[[str], bool]) -> list[Edit] | None:
    """Edits removing the options ``drop`` picks from a literal mount_options list (an item holding
    several comma-joined options is rewritten with the rest), or None when the list cannot be edited."""
    return _rewrite_mount_options(ctx, folder, lambda o: None if drop(o) else o)


def _rewrite_mount_options(
    ctx: Context, folder: SyncedFolder, change: Callable[[str], str | None]
) -> list[Edit] | None:
    """Edits putting ``change(option)`` for each option of a literal mount_options list (None: remove it;
    an item holding several comma-joined options is rewritten whole), or None when the list cannot be edited."""
    node = _mount_list(folder)
    if node is None or node.type not in ("array", "string_array"):
        return None
    words = node.type == "string_array"
    items = node.named_children if words else syntax.elements(node)
    gone: list[Node] = []
    out: list[Edit] = []
    for item in items:
        value = text(item) if words else syntax.literal(item)
        if not isinstance(value, str):
            return None
        options = [o.strip() for o in value.split(",") if o.strip()]
        kept = [c for c in map(change, options) if c is not None]
        if not kept:
            gone.append(item)
        elif kept != options:
            out.append(edits.replace(item, ",".join(kept) if words else _string(ctx.model, ",".join(kept), item)))
    if gone:
        out.extend(edits.remove_items(ctx.model.source, gone, words=words))
    return out


def _prepend_mount_option(ctx: Context, folder: SyncedFolder, option: str) -> Edit | None:
    node = _mount_list(folder)
    if node is None or node.type not in ("array", "string_array"):
        return None
    opening = node.children[0]
    if node.type == "string_array":
        return edits.insert_after(opening, option + " ")
    first = syntax.elements(node)
    quoted = _string(ctx.model, option, first[0] if first else None)
    source = ctx.model.source
    if (
        first
        and source.starts_line(first[0].start_byte)
        and source.line_of(first[0].start_byte) > source.line_of(opening.end_byte)
    ):
        # A list written one item per line gets the new item on a line of its own.
        at = source.line_start(source.line_of(first[0].start_byte))
        return Edit(at, at, source.indent_of(first[0].start_byte) + quoted.encode() + b"," + source.newline)
    return edits.insert_after(opening, quoted + (", " if first else ""))


# --- the rules ----------------------------------------------------------------------------

CURLY = {"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"}
_CURLY_BYTES = re.compile("|".join(CURLY).encode("utf-8"))
# Where a curly quote is text, not code.
_TEXT = (
    "string_content",
    "heredoc_content",
    "heredoc_body",
    "comment",
    "bare_string",
    "regex",
    "subshell",
    "character",
)


@rule("curly-quotes", Severity.FAIL, "curly quotes in code")
def curly_quotes(ctx: Context) -> Iterator[Finding]:
    """Curly quotes where Ruby reads code (not inside strings, heredocs or comments), and a string
    opened with a straight quote but closed with a curly one (it swallows the lines after it)."""
    model = ctx.model
    code = model.source.code
    in_code: dict[int, list[Edit]] = {}
    closing: list[Edit] = []
    for match in _CURLY_BYTES.finditer(code):
        node = model.root.descendant_for_byte_range(match.start(), match.end())
        edit = Edit(match.start(), match.end(), CURLY[match[0].decode("utf-8")].encode("utf-8"))
        if not syntax.inside(node, _TEXT):
            in_code.setdefault(model.source.line_of(match.start()), []).append(edit)
        elif node is not None and model.syntax_errors and _closes_a_string(model, node, edit):
            closing.append(edit)
    for found in in_code.values():
        yield Finding(
            "curly-quotes",
            Severity.FAIL,
            found[0].start,
            found[-1].end,
            "curly quotes (pasted from a web page or a word processor)",
            "Ruby only knows straight quotes; Vagrant stops with a syntax error.",
            tuple(found),
        )
    for edit in closing:
        yield Finding(
            "curly-quotes",
            Severity.FAIL,
            edit.start,
            edit.end,
            "a string opened with a straight quote and closed with a curly one",
            "Ruby reads on to the next straight quote, so the lines after it become part of the string "
            "and Vagrant stops with a syntax error.",
            (edit,),
        )


def _closes_a_string(model: Vagrantfile, node: Node, edit: Edit) -> bool:
    """A curly quote on the first line of a string that runs on over lines, where a straight one
    would end the string and make the file parse better: the quote the user meant to type."""
    string: Node | None = node
    while string is not None and string.type != "string":
        string = string.parent
    if string is None or string.start_point[0] == string.end_point[0]:
        return False
    if model.source.line_of(edit.start) != string.start_point[0] + 1 or text(string)[:1] != edit.text.decode():
        return False
    fixed = model.source.apply([edit])
    tree = syntax.parse(fixed.code)
    if not tree.root_node.has_error:
        return True
    before = len(model.syntax_errors)
    after = syntax.captures("(ERROR) @e (MISSING) @m", tree.root_node)
    return sum(len(v) for v in after.values()) < before


@rule("syntax", Severity.WARN, "the parser cannot read the file from here")
def syntax_error(ctx: Context) -> Iterator[Finding]:
    """The first place the parser gave up: a quote, a bracket or an ``end`` missing or extra, or (rarely)
    Ruby that tree-sitter's grammar reads otherwise than Ruby does (``a <<"b"``), hence a warning; not
    reported when curly quotes, which fix can straighten, are why."""
    errors = ctx.model.syntax_errors
    if not errors or any(True for _ in curly_quotes(ctx)):
        return
    first = errors[0]
    yield Finding(
        "syntax",
        Severity.WARN,
        first.start_byte,
        first.start_byte + 1,
        "the parser cannot read the file from here: a quote, a bracket or an `end` missing or extra?",
        "What follows may not be checked. `ruby -c Vagrantfile` says whether Ruby reads it (and names "
        "the line it stops at); `vagrant validate` stops on a syntax error.",
        unfixable="what is missing is for you to say",
    )


@rule("receiver", Severity.FAIL, "a setting through a name that is not the block variable")
def receiver(ctx: Context) -> Iterator[Finding]:
    """``Config.vm.box`` (or ``config.vm.box`` inside ``|c|``): not a variable where it stands."""
    model = ctx.model
    seen = set()
    for root, _namespace in model.chains:
        if key(root) in seen or root.type not in ("identifier", "constant") or text(root) == "Vagrant":
            continue
        seen.add(key(root))
        name = text(root)
        bound = model.bound_names(root)
        if name in bound:
            continue
        var = model.configure_var_at(root)
        if root.type == "constant" and name.lower() not in {b.lower() for b in bound}:
            continue  # `Rails.cache.clear`: some other constant, not a misspelt variable
        if var is None or (root.type == "constant" and name.lower() != var.lower() and var not in bound):
            continue
        target = var if root.type == "identifier" else next(b for b in bound if b.lower() == name.lower())
        yield Finding(
            "receiver",
            Severity.FAIL,
            *_at(root),
            f"`{name}` is not the block variable (`{target}`)",
            f'Settings go through the variable named in `Vagrant.configure("2") do |{var}|`; '
            f"`{name}` is an undefined name there and Vagrant stops with an error.",
            (edits.replace(root, target),),
        )


S = TypeVar("S", bound=Setting)


def _by_machine(items: Iterable[S]) -> dict[tuple[int, int, str] | None, list[S]]:
    """Settings grouped by the define block they stand in (None: the top level)."""
    groups: dict[tuple[int, int, str] | None, list[S]] = {}
    for item in items:
        groups.setdefault(None if item.machine is None else key(item.machine.call), []).append(item)
    return groups


def _applying(groups: dict[tuple[int, int, str] | None, list[S]], machine: Machine | None) -> list[S]:
    """What applies to ``machine``: the top level's, then its own."""
    own = groups.get(key(machine.call), []) if machine is not None else []
    return [*groups.get(None, []), *own]


def _private_network(ctx: Context, networks: list[Network]) -> bool | None:
    """Whether these networks include a private one; None when a network's type is computed."""
    for network in networks:
        if network.kind is COMPUTED:
            ctx.skip(network.call, "network type")
            return None
    return any(n.kind == "private_network" for n in networks)


@rule("nfs-without-private-network", Severity.FAIL, "an NFS folder on a machine without a private network")
def nfs_without_private_network(ctx: Context) -> Iterator[Finding]:
    """Judged per machine: the top level applies to every machine, a define block only to its own.

    vagrant-libvirt mounts NFS over the management network it makes for every machine, so a
    machine whose only provider is libvirt needs none (seen in a real `vagrant up`, issue 9).
    """
    model = ctx.model
    folders = _by_machine(_nfs_folders(ctx))
    networks = _by_machine(model.networks)
    providers = _by_machine(model.providers)
    lacking: dict[tuple[int, int, str], list[Machine | None]] = {}
    with_network: list[Machine] = []
    for machine in model.machine_names():
        mine = _applying(folders, machine)
        names = [p.name for p in _applying(providers, machine)]
        has_network = _private_network(ctx, _applying(networks, machine))
        if machine is not None and has_network:
            with_network.append(machine)
        if not mine or (names and all(n == "libvirt" for n in names)) or has_network is not False:
            continue
        first = min(mine, key=lambda f: f.call.start_byte)
        lacking.setdefault(key(first.call), []).append(machine)
    for folder in (f for group in folders.values() for f in group):
        machines = lacking.get(key(folder.call))
        if machines is None:
            continue
        names = [m.label for m in machines if m is not None]
        where = f" (machine{'s' if len(names) > 1 else ''} {', '.join(names)})" if names else ""
        root = syntax.receiver_chain(folder.call)[0]
        recv = text(root)
        if recv not in model.bound_names(root):
            recv = model.configure_var_at(root) or recv  # `Config.vm...`: the receiver rule corrects it too
        q = model.quote
        line = f"{recv}.vm.network {q}private_network{q}, " + _pair(folder, "type", f"{q}dhcp{q}")
        others = with_network
        fix: tuple[Edit, ...] = ()
        unfixable = None
        if folder.machine is None and others:
            unfixable = (
                f"machines {', '.join(m.label for m in others)} have private networks of their own: add one "
                f"inside the define block of {', '.join(names)}"
            )
        else:
            fix = (edits.line_before(model.source, folder.statement, line),)
        yield Finding(
            "nfs-without-private-network",
            Severity.FAIL,
            *_at(folder.call),
            f"NFS synced folder without a `private_network`{where}",
            "The guest mounts the host's NFS server over a host-only network; without one "
            '`vagrant up` stops with "NFS requires a host-only network to be created". Add a '
            "private network before the synced folder.",
            fix,
            unfixable,
        )


def _version(ctx: Context, folder: SyncedFolder) -> str | None:
    value = folder.option("nfs_version")
    if value is COMPUTED:
        return None
    return "3" if value is None else str(value)


@rule("nfs-udp", Severity.FAIL, "NFS over UDP")
def nfs_udp(ctx: Context) -> Iterator[Finding]:
    """``nfs_udp: true``, ``udp`` in mount_options, or NFSv3 leaving ``nfs_udp`` to Vagrant's default (UDP)."""
    for folder in _nfs_folders(ctx):
        udp = folder.options.get("nfs_udp")
        if udp is not None and udp.value is not None:
            if udp.literal is COMPUTED:
                ctx.skip(udp.value, "`nfs_udp`")
            elif syntax.truthy(udp.literal):
                yield Finding(
                    "nfs-udp",
                    Severity.FAIL,
                    *_at(udp.pair),
                    "`nfs_udp: true`: NFS over UDP",
                    f"Use TCP: {UDP_REFUSED}, and WinNFSd over UDP loses writes under load.",
                    (edits.replace(udp.value, "false"),),
                )
        options = folder.mount_options
        if options is COMPUTED:
            ctx.skip(
                folder.options["mount_options"].pair if "mount_options" in folder.options else folder.call,
                "mount_options",
            )
            options = None
        bad = [o for o in options or [] if o in UDP_OPTIONS]
        if bad:
            fix = _edit_mount_options(ctx, folder, lambda o: o in UDP_OPTIONS)
            node = _mount_list(folder) or folder.call
            yield Finding(
                "nfs-udp",
                Severity.FAIL,
                *_at(node),
                f"`{bad[0]}` in mount_options: NFS over UDP",
                f"Use TCP: {UDP_REFUSED}.",
                tuple(fix or ()),
                None if fix else "the list is not written as literals",
            )
        version = _version(ctx, folder)
        if udp is None and not folder.unknown_options and version is not None and not version.startswith("4"):
            if {"tcp", "proto=tcp"} & set(options or []):
                continue
            yield Finding(
                "nfs-udp",
                Severity.WARN,
                *_at(_type_pair(folder)),
                "NFS version 3 without `nfs_udp: false`: Vagrant mounts over UDP by default",
                f"Vagrant turns `nfs_udp` on for NFSv3 unless told otherwise, and {UDP_REFUSED}: the mount fails.",
                (_insert_option(folder, "nfs_udp", "false"),),
            )


@rule("nfs-mount-version", Severity.FAIL, "an NFS version inside mount_options")
def nfs_mount_version(ctx: Context) -> Iterator[Finding]:
    """Vagrant puts ``vers=<nfs_version>`` (3 by default) in front of the mount options
    (plugins/guests/linux/cap/nfs.rb), so another ``vers=``/``nfsvers=`` makes two; nfs-utils since
    2.5.3 refuses that: "multiple version options not permitted" (vagrant-winnfsd#143, #145)."""
    for folder, given in _options_matching(ctx, "nfs", VERSION_OPTION):
        wanted = given[-1].split("=", 1)[-1].lstrip("v")
        version = folder.option("nfs_version")
        fix = _edit_mount_options(ctx, folder, lambda o: bool(VERSION_OPTION.fullmatch(o)))
        unfixable = None if fix is not None else "the list is not written as literals"
        if fix is not None and version is None and wanted != "3":
            number = wanted if re.fullmatch(r"\d+", wanted) else _string(ctx.model, wanted)
            fix.append(_insert_option(folder, "nfs_version", number))
        elif fix is not None and version is not None and str(version) != wanted:
            fix, unfixable = None, f"`nfs_version: {version}` and `{given[-1]}` disagree: keep the one you mean"
        node = _mount_list(folder) or folder.call
        yield Finding(
            "nfs-mount-version",
            Severity.FAIL,
            *_at(node),
            f"`{given[0]}` in mount_options: Vagrant adds its own `vers=`",
            "Vagrant puts `vers=<nfs_version>` in front of mount_options; a second version option makes "
            'current guests\' mount.nfs stop with "multiple version options not permitted". Say the '
            "version with `nfs_version:` instead.",
            tuple(fix or ()),
            unfixable,
        )


@rule("nfs-winnfsd-default-options", Severity.FAIL, "an NFS folder on Windows without mount_options")
def nfs_winnfsd_default_options(ctx: Context) -> Iterator[Finding]:
    """Without mount_options vagrant-winnfsd sets ``vers=3,nolock`` itself (synced_folder.rb) and
    Vagrant then puts its own ``vers=3`` in front: two version options (vagrant-winnfsd#145)."""
    if not ctx.windows:
        return
    for folder in _nfs_folders(ctx, windows=True):
        if "mount_options" in folder.options or folder.unknown_options:
            continue
        q = ctx.model.quote
        yield Finding(
            "nfs-winnfsd-default-options",
            Severity.FAIL,
            *_at(_type_pair(folder)),
            "NFS folder without `mount_options` on a Windows host",
            "vagrant-winnfsd then sets `vers=3,nolock` itself and Vagrant adds another `vers=3`: current "
            'guests refuse the mount ("multiple version options not permitted"). Give the options yourself.',
            (_insert_option(folder, "mount_options", f"[{q}nolock{q}]"),),
        )


@rule("nfs-version-4-windows", Severity.FAIL, "NFS version 4 on a Windows host")
def nfs_version_4_windows(ctx: Context) -> Iterator[Finding]:
    if not ctx.windows:
        return
    for folder in _nfs_folders(ctx, windows=True):
        option = folder.options.get("nfs_version")
        if option is None or option.value is None or not str(option.literal).startswith("4"):
            continue
        fixed = text(option.value).replace(str(option.literal), "3", 1)
        yield Finding(
            "nfs-version-4-windows",
            Severity.FAIL,
            *_at(option.pair),
            f"`nfs_version: {text(option.value)}` on a Windows host",
            'WinNFSd speaks NFS version 3 only; the mount fails with "protocol not supported".',
            (edits.replace(option.value, fixed),),
        )


@rule("nfs-nolock", Severity.WARN, "custom mount_options without nolock")
def nfs_nolock(ctx: Context) -> Iterator[Finding]:
    """Vagrant adds nolock by itself on Windows only when mount_options is absent (vagrant-winnfsd
    synced_folder.rb); custom options replace that default, and WinNFSd has no lock manager."""
    for folder in _nfs_folders(ctx):
        options = folder.mount_options
        if not isinstance(options, list):
            continue
        if "nolock" in options or any(o.startswith("local_lock=") for o in options):
            continue
        fix = _prepend_mount_option(ctx, folder, "nolock")
        yield Finding(
            "nfs-nolock",
            Severity.FAIL if ctx.host is Host.WINDOWS else Severity.WARN,
            *_at(_mount_list(folder) or folder.call),
            "custom mount_options without `nolock`",
            "WinNFSd has no lock manager: without `nolock` every file lock in the guest hangs "
            "(SQLite, pip, git). Custom mount_options replace the `nolock` Vagrant adds on Windows"
            + ("." if ctx.host is Host.WINDOWS else "; this Vagrantfile breaks on Windows hosts."),
            (fix,) if fix else (),
            None if fix else "the list is not written as literals",
        )


@rule("nfs-owner-group", Severity.FAIL, "owner or group on an NFS folder")
def nfs_owner_group(ctx: Context) -> Iterator[Finding]:
    """Vagrant refuses the file (plugins/kernel_v2/config/vm.rb: "Shared folders that have NFS
    enabled do not support owner/group attributes"), unless ``nfs__quiet`` silences it."""
    for folder in _nfs_folders(ctx):
        if syntax.truthy(folder.option("nfs__quiet")):
            continue
        given = [folder.options[n] for n in ("owner", "group") if n in folder.options]
        if not given:
            continue
        names = " and ".join(f"`{o.name}:`" for o in given)
        yield Finding(
            "nfs-owner-group",
            Severity.FAIL,
            given[0].pair.start_byte,
            given[-1].pair.end_byte,
            f"{names} on an NFS synced folder: Vagrant refuses the file",
            'Vagrant stops with "Shared folders that have NFS enabled do not support owner/group '
            "attributes\". NFS keeps the host's numeric owner and group: set them with "
            "`config.winnfsd.uid`/`gid` (Windows) or the folder's `map_uid`/`map_gid` (macOS, Linux).",
            tuple(edits.remove_items(ctx.model.source, [o.pair for o in given])),
        )


@rule("winnfsd-unguarded", Severity.FAIL, "winnfsd settings without a plugin guard")
def winnfsd_unguarded(ctx: Context) -> Iterator[Finding]:
    model = ctx.model
    for setting in model.winnfsd:
        if guards.guarded(model, setting.node, guards.WINNFSD_INSTALLED):
            continue
        q = model.quote
        fix = edits.wrap(model.source, model.root, setting.statement, f"if Vagrant.has_plugin?({q}{WINNFSD}{q})")
        yield Finding(
            "winnfsd-unguarded",
            Severity.FAIL,
            *_at(setting.node),
            "`winnfsd` settings without a `Vagrant.has_plugin?` guard",
            "Where vagrant-winnfsd is not installed (macOS, Linux, a fresh Windows), Vagrant rejects "
            "the unknown `winnfsd` section and stops.",
            tuple(fix or ()),
            None if fix else "the statement shares its line with others",
        )


WINNFSD = "vagrant-winnfsd"


@rule("winnfsd-guard-never-true", Severity.WARN, "a winnfsd guard that never holds")
def winnfsd_guard_never_true(ctx: Context) -> Iterator[Finding]:
    model = ctx.model
    if b"VagrantPlugins::" not in model.source.code:
        return  # the only spelling that never holds; no need to walk the tree for it
    found = syntax.captures("(unary operand: (_) @operand) @u", model.root)
    for node in found.get("u", []):
        if guards.stale_winnfsd_constant(node) and guards.has_winnfsd(node):
            q = model.quote
            yield Finding(
                "winnfsd-guard-never-true",
                Severity.WARN,
                *_at(node),
                f"`{text(node)}` is never true: what it guards never runs",
                "Since vagrant-winnfsd 1.0.7 the plugin's module is the top-level `VagrantWinNFSd`, not "
                "`VagrantPlugins::...`; ask Vagrant instead.",
                (edits.replace(node, f"Vagrant.has_plugin?({q}{WINNFSD}{q})"),),
            )


def _plugin_names(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [str(k) for k in value]
    if isinstance(value, list):
        names = [_plugin_names(v) for v in value]
        return None if any(n is None for n in names) else [x for n in names for x in n or []]
    return None


@rule("winnfsd-plugin-everywhere", Severity.FAIL, "config.vagrant.plugins requiring vagrant-winnfsd on every host")
def winnfsd_plugin_everywhere(ctx: Context) -> Iterator[Finding]:
    """Vagrant installs ``config.vagrant.plugins`` on every host (environment.rb, no host check), and
    vagrant-winnfsd takes over NFS wherever it is installed: on macOS and Linux ``vagrant up`` then
    fails in ``nfs_export`` (hashicorp/vagrant#12902, vagrant-winnfsd#142)."""
    model = ctx.model
    for setting in model.plugins:
        right = setting.node.child_by_field_name("right")
        names = _plugin_names(syntax.literal(right))
        if names is None:
            if right is not None:
                ctx.skip(right, "config.vagrant.plugins")
            continue
        if WINNFSD not in names or guards.guarded(model, setting.node, guards.WINDOWS_HOST):
            continue
        fix: tuple[Edit, ...] = ()
        unfixable = None
        if names == [WINNFSD] and syntax.same(setting.statement, setting.node):
            fix = (edits.insert_after(setting.node, " if Vagrant::Util::Platform.windows?"),)
        else:
            unfixable = (
                "other plugins are listed too: require vagrant-winnfsd on Windows only, e.g. "
                '`plugins << "vagrant-winnfsd" if Vagrant::Util::Platform.windows?` before the assignment'
            )
        yield Finding(
            "winnfsd-plugin-everywhere",
            Severity.FAIL,
            *_at(setting.node),
            "`config.vagrant.plugins` installs vagrant-winnfsd on every host",
            "Vagrant installs these plugins on macOS and Linux too, and vagrant-winnfsd then replaces "
            "Vagrant's own NFS there: `vagrant up` fails in nfs_export (hashicorp/vagrant#12902). "
            "Require it on Windows only.",
            fix,
            unfixable,
        )


# --- SMB (Vagrant's own synced folder: plugins/synced_folders/smb) -------------------------

SMB_VERSION = "vers=3.02"


@rule("smb-version-1", Severity.FAIL, "SMB1 in mount_options")
def smb_version_1(ctx: Context) -> Iterator[Finding]:
    """``vers=1.0`` (or ``vers=1``): current Windows has no SMB1 server unless it is installed back, and
    SMB1 has no protection against tampering (the protocol WannaCry spread over)."""
    for folder, given in _options_matching(ctx, "smb", SMB1_OPTION):
        fix = _rewrite_mount_options(ctx, folder, lambda o: SMB_VERSION if SMB1_OPTION.fullmatch(o) else o)
        yield Finding(
            "smb-version-1",
            Severity.FAIL,
            *_at(_mount_list(folder) or folder.call),
            f"`{given[0]}` in mount_options: SMB1",
            f"{SMB1_REFUSED}: the mount fails or is open to tampering. Ask for SMB 3 (`{SMB_VERSION}`).",
            tuple(fix or ()),
            None if fix else "the list is not written as literals",
        )


PASSWORD_ENV = "VAGRANT_SMB_PASSWORD"


@rule("smb-password-in-file", Severity.FAIL, "an SMB password written in the Vagrantfile")
def smb_password_in_file(ctx: Context) -> Iterator[Finding]:
    """A literal ``smb_password``: the Vagrantfile is committed, and the password is the host account's
    (on Windows the login password). Read from the environment, an unset variable makes Vagrant ask."""
    for folder in _folders_of(ctx, "smb"):
        option = folder.options.get("smb_password")
        if option is None or option.value is None or not isinstance(option.literal, str) or not option.literal:
            continue
        yield Finding(
            "smb-password-in-file",
            Severity.FAIL,
            *_at(option.pair),
            "`smb_password` written in the Vagrantfile",
            "The Vagrantfile gets committed and shared, and this is the password of your host account. "
            f"Read it from the environment (`{PASSWORD_ENV}`); where it is not set Vagrant asks for it at "
            "`vagrant up`. Change the password too: it stays in the repository's history.",
            (edits.replace(option.value, f"ENV[{_string(ctx.model, PASSWORD_ENV, option.value)}]"),),
        )


@rule("smb-credentials", Severity.WARN, "an SMB password without a user name")
def smb_credentials(ctx: Context) -> Iterator[Finding]:
    """``smb_password`` without ``smb_username``: Vagrant asks for both anyway (it skips asking only when
    some folder has both), then mounts with the user name typed and the password of the file, which need
    not belong together (plugins/synced_folders/smb/synced_folder.rb, prepare). A user name alone is fine:
    Vagrant offers it and asks for the password only, which keeps the password out of the file."""
    for folder in _folders_of(ctx, "smb"):
        if "smb_password" not in folder.options or "smb_username" in folder.options or folder.unknown_options:
            continue
        yield Finding(
            "smb-credentials",
            Severity.WARN,
            *_at(folder.options["smb_password"].pair),
            "`smb_password` without `smb_username`",
            "Vagrant then asks for the user name and a password anyway, and mounts with the user name typed "
            'and this password: a mismatch fails the mount with "Permission denied". Give smb_username too, '
            "or neither.",
            unfixable="the user name is yours to give (from the environment, like the password)",
        )


@rule("smb-on-linux-host", Severity.FAIL, "an SMB folder on a Linux host")
def smb_on_linux_host(ctx: Context) -> Iterator[Finding]:
    """Vagrant serves SMB from Windows and macOS hosts only: its Linux host plugin has no ``smb_installed``
    capability, so ``vagrant up`` (and validate) stop with "It appears your machine doesn't support SMB".
    A folder under a guard for Windows or macOS hosts is fine."""
    if ctx.host not in (Host.LINUX, Host.ANY):
        return
    for folder in _folders_of(ctx, "smb", unless=guards.NOT_LINUX_HOST):
        linux = ctx.host is Host.LINUX
        yield Finding(
            "smb-on-linux-host",
            Severity.FAIL if linux else Severity.WARN,
            *_at(_type_pair(folder)),
            "SMB synced folder on a Linux host" if linux else "SMB synced folder: it cannot work on Linux hosts",
            "Vagrant serves SMB folders from Windows and macOS hosts only; on Linux `vagrant up` stops with "
            '"It appears your machine doesn\'t support SMB". Use NFS there (`vagrantkit init --sync nfs`), or '
            "keep this folder for the other hosts under `if Vagrant::Util::Platform.windows? || "
            "Vagrant::Util::Platform.darwin?`.",
            unfixable="which folder Linux hosts get is for you to choose",
        )
