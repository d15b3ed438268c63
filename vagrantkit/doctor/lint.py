"""A Vagrantfile linter that reads the file as text and never executes it.

A Vagrantfile is Ruby; running it to inspect it would run whatever it contains. This module
recognises the handful of shapes that matter for synced folders (block variables, `synced_folder`
statements and their options, `private_network`, `config.winnfsd`, `has_plugin?` guards) with
line-oriented patterns, and reports each mistake with its line number and the corrected line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from vagrantkit.django.sharedfolder import literal_paths
from vagrantkit.doctor.model import Status
from vagrantkit.render.options import UDP_OPTIONS, UDP_REFUSED
from vagrantkit.render.ruby import ruby_literal

CURLY = {"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"}

_BLOCK_PARAMS = re.compile(r"(?:\bdo|\{)\s*\|([^|]*)\|")
_CONFIGURE = re.compile(r"\bVagrant\s*\.\s*configure\b")
# A receiver followed by one of Vagrant's top-level config namespaces.
_NAMESPACES = "vm|ssh|winrm|winssh|vagrant|nfs|package|push|trigger|winnfsd|hostmanager|vbguest|cache"
_RECEIVER = re.compile(rf"^(\s*)([A-Za-z_]\w*)(\s*\.\s*(?:{_NAMESPACES})\b)")
_SYNCED = re.compile(r"^\s*([A-Za-z_]\w*)\s*\.\s*vm\s*\.\s*synced_folder\b")
_PRIVATE_NETWORK = re.compile(r"\.\s*vm\s*\.\s*network\s*\(?\s*[\"':]private_network")
_STATIC_IP = re.compile(r"\bip\s*(?::|=>)\s*[\"']([0-9.]+)[\"']")
_WINNFSD = re.compile(r"^\s*[A-Za-z_]\w*\s*\.\s*winnfsd\s*\.")
_GUARD = re.compile(r"\bVagrant\s*\.\s*has_plugin\?\s*\(?\s*[\"']vagrant-winnfsd[\"']")
_OPENER = re.compile(r"^\s*(if|unless|while|until|case|begin|def|class|module|for)\b")
_DO = re.compile(r"\bdo\s*(\|[^|]*\|)?\s*$")
_END = re.compile(r"^\s*end\b")
_PROVIDER = re.compile(r"\.\s*vm\s*\.\s*provider\s*\(?\s*[\"':]([a-z_]+)")


def option_pattern(name: str) -> re.Pattern[str]:
    """``name: value`` or ``:name => value`` in a Ruby hash, capturing the value (up to a comma or bracket)."""
    return re.compile(rf"(?:\b{name}\s*:(?!:)|:{name}\s*=>)\s*(\[[^\]]*\]|%[wi][(\[{{][^)\]}}]*[)\]}}]|[^,\n)]+)")


_OPT = {n: option_pattern(n) for n in ("type", "nfs", "nfs_udp", "mount_options", "nfs_version", "owner", "group")}
_OPT["disabled"] = option_pattern("disabled")


@dataclass(frozen=True)
class SyncedFolder:
    """One `synced_folder` statement (possibly spread over several lines)."""

    line: int  # 1-based number of its first line
    lines: tuple[str, ...]  # the statement's lines as written
    options: dict[str, str] = field(default_factory=dict)  # option name -> Ruby value text

    @property
    def nfs(self) -> bool:
        kind = self.options.get("type", "").strip().strip("\"':").lower()
        return kind == "nfs" or self.options.get("nfs", "").strip() == "true"

    @property
    def disabled(self) -> bool:
        return self.options.get("disabled", "").strip() == "true"

    @property
    def type(self) -> str | None:
        """``nfs``, ``virtualbox``, ``rsync``... as written (``nfs: true`` is ``nfs``); None for the provider's default."""
        if self.nfs:
            return "nfs"
        kind = self.options.get("type", "").strip().strip("\"':").lower()
        return kind or None

    @property
    def guest_path(self) -> str | None:
        """The guest path, when it is a string literal."""
        joined = " ".join(code_part(line).strip() for line in self.lines)
        args = re.split(r"\bsynced_folder\b\s*\(?", joined, maxsplit=1)[-1]
        paths = literal_paths(args)
        return paths[1] if paths else None

    def line_with(self, *names: str) -> tuple[int, str]:
        """(index, text) of the statement's first line setting one of the options ``names``; else its first line."""
        return next(
            ((k, t) for k, t in enumerate(self.lines) if any(_OPT[n].search(code_part(t)) for n in names)),
            (0, self.lines[0]),
        )

    @property
    def mount_options(self) -> list[str] | None:
        """The mount options, one per item; None when absent or not a literal the linter can read.

        Vagrant joins the list with commas (plugins/guests/linux/cap/nfs.rb), so ``'nolock,actimeo=1'``
        holds two options; ``%w(nolock actimeo=1)`` is the same list. A variable or a method call is
        not guessed at: no finding is better than a wrong "corrected" line.
        """
        value = self.options.get("mount_options")
        if value is None:
            return None
        value = value.strip()
        words = re.fullmatch(r"%[wi][(\[{](.*)[)\]}]", value, re.S)
        if words:
            items = words[1].split()
        elif value.startswith("[") and value.endswith("]"):
            quoted = r"\"[^\"]*\"|'[^']*'"
            if re.sub(quoted, "", value[1:-1]).replace(",", "").strip():
                return None
            items = [q[1:-1] for q in re.findall(quoted, value[1:-1])]
        else:
            return None
        return [o.strip() for item in items for o in item.split(",") if o.strip()]


@dataclass(frozen=True)
class VagrantfileFacts:
    """What the linter understood of a Vagrantfile."""

    block_vars: tuple[str, ...]
    folders: tuple[SyncedFolder, ...]
    private_network: int | None  # line of the first private_network, if any
    static_ips: tuple[tuple[int, str], ...]  # (line, address) of private_network ips
    providers: tuple[str, ...]  # providers configured with `config.vm.provider`

    @property
    def nfs_folders(self) -> tuple[SyncedFolder, ...]:
        return tuple(f for f in self.folders if f.nfs and not f.disabled)


@dataclass(frozen=True)
class LintFinding:
    """One mistake: where it is, what it is, why it matters, and the corrected line(s)."""

    rule: str
    line: int
    status: Status
    message: str
    why: str
    written: str
    corrected: str


def _scan(line: str) -> tuple[str, str]:
    """(the line without its ``#`` comment, the same with the contents of straight-quoted strings blanked).

    Outside a string ``#`` always starts a comment (``#{}`` interpolation lives inside strings);
    curly quotes are not string delimiters for Ruby, so they stay visible as code.
    """
    quote = None
    blanked: list[str] = []
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\":
                blanked.append(" " * len(line[i : i + 2]))
                i += 2
                continue
            if ch == quote:
                quote = None
            blanked.append(ch if quote is None else " ")
        elif ch in "\"'":
            quote = ch
            blanked.append(ch)
        elif ch == "#":
            return line[:i], "".join(blanked)
        else:
            blanked.append(ch)
        i += 1
    return line, "".join(blanked)


def code_part(line: str) -> str:
    """The line without its trailing ``#`` comment (a ``#`` inside a string is kept)."""
    return _scan(line)[0]


def _statements(lines: list[str]) -> Iterator[tuple[int, list[str]]]:
    """(first line number, lines) of statements continued by a trailing comma or backslash."""
    i = 0
    while i < len(lines):
        start = i
        group = [lines[i]]
        while code_part(lines[i]).rstrip().endswith((",", "\\")) and i + 1 < len(lines):
            i += 1
            group.append(lines[i])
        yield start + 1, group
        i += 1


def parse(text: str) -> VagrantfileFacts:
    """Read the shapes that matter out of a Vagrantfile's text."""
    lines = text.splitlines()
    code = [code_part(line) for line in lines]
    block_vars: list[str] = []
    for line in code:
        block_vars.extend(name for m in _BLOCK_PARAMS.finditer(line) for name in _params(m[1]))
    folders = []
    for number, group in _statements(lines):
        if _SYNCED.match(code_part(group[0])):
            joined = " ".join(code_part(g).strip() for g in group)
            options = {name: m[1].strip() for name, rx in _OPT.items() if (m := rx.search(joined))}
            folders.append(SyncedFolder(number, tuple(group), options))
    network = next((n for n, line in enumerate(code, 1) if _PRIVATE_NETWORK.search(line)), None)
    ips = tuple(
        (n, m[1]) for n, line in enumerate(code, 1) if _PRIVATE_NETWORK.search(line) and (m := _STATIC_IP.search(line))
    )
    providers = tuple(dict.fromkeys(m[1] for line in code if (m := _PROVIDER.search(line))))
    return VagrantfileFacts(tuple(dict.fromkeys(block_vars)), tuple(folders), network, ips, providers)


def _params(text: str) -> list[str]:
    """Names in a block's ``|a, b|`` (splat and default values dropped)."""
    names = (p.strip().lstrip("*&").split("=")[0].strip() for p in text.split(","))
    return [n for n in names if re.fullmatch(r"[a-z_]\w*", n)]


def _configure_var(code: list[str]) -> str:
    for line in code:
        if _CONFIGURE.search(line) and (m := _BLOCK_PARAMS.search(line)) and _params(m[1]):
            return _params(m[1])[0]
    return "config"


def _guarded_lines(code: list[str]) -> set[int]:
    """Line numbers inside an ``if Vagrant.has_plugin?("vagrant-winnfsd")`` block."""
    stack: list[bool] = []
    guarded = set()
    for n, line in enumerate(code, 1):
        if any(stack):
            guarded.add(n)
        if _END.match(line):
            if stack:
                stack.pop()
            continue
        statement_if = _OPENER.match(line)
        if statement_if or _DO.search(line):
            # `unless Vagrant.has_plugin?(...)` is the opposite of a guard.
            stack.append(bool(statement_if and statement_if[1] == "if" and _GUARD.search(line)))
    return guarded


def _set_option(line: str, name: str, value: str) -> str:
    return option_pattern(name).sub(lambda m: m[0][: m.start(1) - m.start(0)] + value, line, count=1)


def _remove_option(line: str, name: str) -> str:
    """The line without option ``name`` (and its comma); a line left empty says so."""
    m = option_pattern(name).search(line)
    if m is None:
        return line
    before, after = line[: m.start()], line[m.end() :]
    if after.lstrip().startswith(","):
        after = after.lstrip()[1:]
    elif before.rstrip().endswith(","):
        before = before.rstrip()[:-1]
    fixed = (before.rstrip() + (" " if after.strip() and before.strip() else "") + after.lstrip()).rstrip()
    return fixed if fixed.strip() else "(delete this line)"


def _implicit_udp(folder: SyncedFolder) -> LintFinding | None:
    """An NFSv3 folder that leaves ``nfs_udp`` unset mounts over UDP.

    Vagrant sets ``nfs_udp`` to true unless the version starts with 4 (plugins/synced_folders/nfs/
    synced_folder.rb), and its Linux guest then adds ``udp`` to the mount options.
    """
    version = folder.options.get("nfs_version", "3").strip().strip("\"'")
    options = folder.mount_options or []
    if "nfs_udp" in folder.options or version.startswith("4") or {"tcp", "proto=tcp"} & set(options):
        return None
    k, line = folder.line_with("type", "nfs")
    option = _OPT["type"] if _OPT["type"].search(code_part(line)) else _OPT["nfs"]
    m = option.search(line)
    corrected = line if m is None else line[: m.end()] + ", nfs_udp: false" + line[m.end() :]
    return LintFinding(
        "nfs-udp",
        folder.line + k,
        Status.WARN,
        "NFS version 3 without `nfs_udp: false`: Vagrant mounts over UDP by default",
        f"Vagrant turns `nfs_udp` on for NFSv3 unless told otherwise, and {UDP_REFUSED}: the mount fails.",
        line,
        corrected,
    )


def lint(text: str, *, windows_host: bool, facts: VagrantfileFacts | None = None) -> list[LintFinding]:
    """Every known mistake in a Vagrantfile, in line order.

    Args:
        text: The Vagrantfile.
        windows_host: The host is Windows (WinNFSd serves NFS: version 3 only, no lock manager).
        facts: ``parse(text)``, when the caller has it already.
    """
    lines = text.splitlines()
    code = [code_part(line) for line in lines]
    if facts is None:
        facts = parse(text)
    var = _configure_var(code)
    found: list[LintFinding] = []

    for n, line in enumerate(lines, 1):
        if any(c in _scan(line)[1] for c in CURLY):  # in code: not in comments or straight-quoted strings
            fixed = "".join(CURLY.get(c, c) for c in line)
            found.append(
                LintFinding(
                    "curly-quotes",
                    n,
                    Status.FAIL,
                    "curly quotes (pasted from a web page or a word processor)",
                    "Ruby only knows straight quotes; Vagrant stops with a syntax error.",
                    line,
                    fixed,
                )
            )

    for n, line in enumerate(code, 1):
        m = _RECEIVER.match(line)
        if m and m[2] not in facts.block_vars and m[2] != "Vagrant":
            fixed = lines[n - 1][: m.start(2)] + var + lines[n - 1][m.end(2) :]
            found.append(
                LintFinding(
                    "receiver",
                    n,
                    Status.FAIL,
                    f"`{m[2]}` is not the block variable (`{var}`)",
                    f'Settings go through the variable named in `Vagrant.configure("2") do |{var}|`; '
                    f"`{m[2]}` is an undefined name there and Vagrant stops with an error.",
                    lines[n - 1],
                    fixed,
                )
            )

    guarded = _guarded_lines(code)
    for n, line in enumerate(code, 1):
        if _WINNFSD.match(line) and n not in guarded and not _GUARD.search(line):
            indent = re.match(r"\s*", lines[n - 1])[0]  # type: ignore[index]
            found.append(
                LintFinding(
                    "winnfsd-unguarded",
                    n,
                    Status.FAIL,
                    "`winnfsd` settings without a `Vagrant.has_plugin?` guard",
                    "Where vagrant-winnfsd is not installed (macOS, Linux, a fresh Windows), Vagrant rejects "
                    "the unknown `winnfsd` section and stops.",
                    lines[n - 1],
                    f'{indent}if Vagrant.has_plugin?("vagrant-winnfsd")\n  {lines[n - 1]}\n{indent}end',
                )
            )

    # vagrant-libvirt mounts NFS over the management network it makes for every machine: a
    # libvirt-only Vagrantfile needs no private network (seen in a real `vagrant up`, issue 9).
    libvirt_only = bool(facts.providers) and set(facts.providers) <= {"libvirt"}
    for index, folder in enumerate(facts.nfs_folders):
        first = folder.lines[0]
        if facts.private_network is None and index == 0 and not libvirt_only:
            indent = re.match(r"\s*", first)[0]  # type: ignore[index]
            found.append(
                LintFinding(
                    "nfs-without-private-network",
                    folder.line,
                    Status.FAIL,
                    "NFS synced folder without a `private_network`",
                    "The guest mounts the host's NFS server over a host-only network; without one "
                    '`vagrant up` stops with "NFS requires a host-only network to be created". '
                    "Add this line before the synced folder:",
                    first,
                    f'{indent}{var}.vm.network "private_network", type: "dhcp"\n{first}',
                )
            )
        implicit_udp = _implicit_udp(folder)
        if implicit_udp is not None:
            found.append(implicit_udp)
        for k, text_line in enumerate(folder.lines):
            number = folder.line + k
            part = code_part(text_line)
            m = _OPT["nfs_udp"].search(part)
            if m and m[1].strip() == "true":
                found.append(
                    LintFinding(
                        "nfs-udp",
                        number,
                        Status.FAIL,
                        "`nfs_udp: true`: NFS over UDP",
                        f"Use TCP: {UDP_REFUSED}, and WinNFSd over UDP loses writes under load.",
                        text_line,
                        _set_option(text_line, "nfs_udp", "false"),
                    )
                )
            m = _OPT["nfs_version"].search(part)
            if windows_host and m and m[1].strip().strip("\"'") in ("4", "4.0", "4.1", "4.2"):
                found.append(
                    LintFinding(
                        "nfs-version-4-windows",
                        number,
                        Status.FAIL,
                        f"`nfs_version: {m[1].strip()}` on a Windows host",
                        'WinNFSd speaks NFS version 3 only; the mount fails with "protocol not supported".',
                        text_line,
                        _set_option(text_line, "nfs_version", "3"),
                    )
                )
            for name in ("owner", "group"):
                m = _OPT[name].search(part)
                if m:
                    fixed = _remove_option(text_line, name)
                    found.append(
                        LintFinding(
                            "nfs-owner-group",
                            number,
                            Status.WARN,
                            f"`{name}:` on an NFS synced folder",
                            "NFS keeps the host's numeric owner and group; Vagrant ignores `owner`/`group` here. "
                            "Set them with `config.winnfsd.uid`/`gid` (Windows) or the folder's `map_uid`/`map_gid` "
                            "(macOS, Linux).",
                            text_line,
                            fixed,
                        )
                    )
        options = folder.mount_options
        if options is not None:
            k, opt_line = folder.line_with("mount_options")
            number = folder.line + k
            udp = [o for o in options if o in UDP_OPTIONS]
            kept = [o for o in options if o not in udp]
            if udp:
                found.append(
                    LintFinding(
                        "nfs-udp",
                        number,
                        Status.FAIL,
                        f"`{udp[0]}` in mount_options: NFS over UDP",
                        f"Use TCP: {UDP_REFUSED}.",
                        opt_line,
                        _set_option(opt_line, "mount_options", ruby_literal(kept)),
                    )
                )
            if windows_host:
                bad = [o for o in kept if re.fullmatch(r"(nfs)?vers=4(\.\d)?", o)]
                if bad:
                    kept = [o if o not in bad else "vers=3" for o in kept]
                    found.append(
                        LintFinding(
                            "nfs-version-4-windows",
                            number,
                            Status.FAIL,
                            f"`{bad[0]}` in mount_options on a Windows host",
                            "WinNFSd speaks NFS version 3 only.",
                            opt_line,
                            _set_option(opt_line, "mount_options", ruby_literal(kept)),
                        )
                    )
            if "nolock" not in kept and not any(o.startswith("local_lock=") for o in kept):
                # Vagrant adds nolock by itself on Windows only when mount_options is absent (vagrant-winnfsd
                # synced_folder.rb); custom options replace that default.
                found.append(
                    LintFinding(
                        "nfs-nolock",
                        number,
                        Status.FAIL if windows_host else Status.WARN,
                        "custom mount_options without `nolock`",
                        "WinNFSd has no lock manager: without `nolock` every file lock in the guest hangs "
                        "(SQLite, pip, git). Custom mount_options replace the `nolock` Vagrant adds on Windows"
                        + ("." if windows_host else "; this Vagrantfile breaks on Windows hosts."),
                        opt_line,
                        _set_option(opt_line, "mount_options", ruby_literal(["nolock", *kept])),
                    )
                )
    return sorted(found, key=lambda f: f.line)
