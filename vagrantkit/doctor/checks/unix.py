"""macOS and Linux host checks: an NFS server, /etc/exports, password-less sudo, no vagrant-winnfsd.

What only macOS has (its privacy folders) is in :mod:`vagrantkit.doctor.checks.macos`.

Facts from Vagrant's host plugins (plugins/hosts/{linux,bsd}/cap/nfs.rb) and its NFS docs: on
Linux Vagrant writes /tmp/vagrant-exports, `chown`s it and `mv`s it over /etc/exports, then runs
`exportfs -ar` or starts the NFS service; on macOS it appends with `tee -a /etc/exports`, removes
its block with `sed -E -e ... -ibak /etc/exports` and runs `nfsd restart`. Each of those runs
through sudo unless the sudoers lines below let them run without a password.
"""

from __future__ import annotations

from vagrantkit.doctor.checks.common import WINNFSD, install_command, linux_family
from vagrantkit.doctor.facts.exports import EXPORTS, exports_text, find_exportfs
from vagrantkit.doctor.model import UNIX_ONLY, Category, DoctorContext, Finding, Fix, OnlyOn, check
from vagrantkit.host import OS

SUDOERS_FILE = "/etc/sudoers.d/vagrant-nfs"

LINUX_SUDOERS = (
    r"Cmnd_Alias VAGRANT_EXPORTS_CHOWN = /bin/chown 0\:0 /tmp/vagrant-exports",
    "Cmnd_Alias VAGRANT_EXPORTS_MV = /bin/mv -f /tmp/vagrant-exports /etc/exports",
    "Cmnd_Alias VAGRANT_NFSD_CHECK = /usr/bin/systemctl status --no-pager nfs-server.service",
    "Cmnd_Alias VAGRANT_NFSD_START = /usr/bin/systemctl start nfs-server.service",
    "Cmnd_Alias VAGRANT_NFSD_APPLY = /usr/sbin/exportfs -ar",
    "{group} ALL=(root) NOPASSWD: VAGRANT_EXPORTS_CHOWN, VAGRANT_EXPORTS_MV, VAGRANT_NFSD_CHECK, "
    "VAGRANT_NFSD_START, VAGRANT_NFSD_APPLY",
)
MACOS_SUDOERS = (
    "Cmnd_Alias VAGRANT_EXPORTS_ADD = /usr/bin/tee -a /etc/exports",
    "Cmnd_Alias VAGRANT_NFSD = /sbin/nfsd restart",
    "Cmnd_Alias VAGRANT_EXPORTS_REMOVE = /usr/bin/sed -E -e /*/ d -ibak /etc/exports",
    "{group} ALL=(root) NOPASSWD: VAGRANT_EXPORTS_ADD, VAGRANT_NFSD, VAGRANT_EXPORTS_REMOVE",
)
# The commands Vagrant runs with sudo, as `sudo -n -l` is asked about them.
LINUX_COMMANDS = (
    ("/bin/chown", "0:0", "/tmp/vagrant-exports"),
    ("/bin/mv", "-f", "/tmp/vagrant-exports", "/etc/exports"),
    ("/usr/sbin/exportfs", "-ar"),
)
MACOS_COMMANDS = (("/usr/bin/tee", "-a", "/etc/exports"), ("/sbin/nfsd", "restart"))


@check("nfs.server", "NFS server", Category.NFS, only=UNIX_ONLY)
def nfs_server(ctx: DoctorContext) -> Finding:
    host = ctx.host
    if host.os is OS.MACOS:
        if host.which("nfsd") or host.is_file("/sbin/nfsd"):
            return Finding.passed("nfsd is available (part of macOS)")
        return Finding.fail(
            "nfsd was not found (it ships with macOS)",
            fix=Fix("Restore /sbin/nfsd (reinstall or update macOS).", ()),
        )
    exportfs = find_exportfs(ctx)
    # Loaded (listed in /proc/filesystems) or loadable (a module for the running kernel). Not
    # /proc/fs/nfsd: the kernel creates that mount point whenever CONFIG_NFSD is y or m, module or not.
    kernel = (
        "nfsd" in (host.read_text("/proc/filesystems") or "")
        or bool(host.glob(f"/lib/modules/{host.release}/kernel/fs/nfsd/nfsd.ko*"))
        or bool(host.glob(f"/usr/lib/modules/{host.release}/kernel/fs/nfsd/nfsd.ko*"))
    )
    package = {"debian": "nfs-kernel-server", "fedora": "nfs-utils", "arch": "nfs-utils", "suse": "nfs-kernel-server"}
    if exportfs is None:
        commands = install_command(host, package)
        family = linux_family(host)
        start = "sudo systemctl enable --now nfs-server"
        no_module = "" if kernel else f", and this kernel ({host.release}) has no nfsd module either"
        return Finding.fail(
            f"no NFS server: exportfs was not found{no_module}",
            fix=Fix(
                "Vagrant exports the project with the kernel NFS server"
                + ("" if kernel else " (containers, WSL 1 and some minimal kernels lack it: then use another host)")
                + f". Install it ({package.get(family, 'nfs-kernel-server or nfs-utils')}) and start it:",
                (*commands, start),
            ),
        )
    if not kernel:
        return Finding.fail(
            f"exportfs is installed ({exportfs}) but this kernel ({host.release}) has no nfsd module",
            fix=Fix(
                "The kernel NFS server is a kernel module; this kernel does not have it (containers, WSL 1 and "
                "some minimal kernels). Run Vagrant on a host whose kernel has nfsd, or load it:",
                ("sudo modprobe nfsd",),
            ),
        )
    return Finding.passed(f"kernel NFS server ({exportfs})")


@check("nfs.exports", "/etc/exports", Category.NFS, only=UNIX_ONLY)
def exports_file(ctx: DoctorContext) -> Finding:
    if ctx.host.is_file(EXPORTS):
        text = exports_text(ctx)
        if text is None:
            return Finding.passed(f"{EXPORTS} exists (not readable by this user)")
        blocks = text.count("# VAGRANT-BEGIN")
        return Finding.passed(f"{EXPORTS} exists ({blocks} Vagrant export block(s))")
    if ctx.host.os is OS.MACOS:
        # Vagrant's BSD host appends with `tee -a`, which creates the file.
        return Finding.passed(f"{EXPORTS} does not exist yet: Vagrant creates it")
    # Vagrant's Linux host stats the file before it replaces it: `vagrant up` stops with
    # Errno::ENOENT (plugins/hosts/linux/cap/nfs.rb, nfs_write_exports), seen in a real run.
    return Finding.fail(
        f"{EXPORTS} does not exist: `vagrant up` stops with Errno::ENOENT",
        fix=Fix(
            "Vagrant edits this file but does not create it, and the NFS server reads it at start; create it empty:",
            (f"sudo touch {EXPORTS}",),
        ),
    )


def sudoers_lines(ctx: DoctorContext) -> tuple[str, ...]:
    """The sudoers lines Vagrant's NFS needs on this host, for the admin group of this OS."""
    if ctx.host.os is OS.MACOS:
        return tuple(line.format(group="%admin") for line in MACOS_SUDOERS)
    group = "%wheel" if linux_family(ctx.host) in ("fedora", "arch", "suse") else "%sudo"
    return tuple(line.format(group=group) for line in LINUX_SUDOERS)


@check("nfs.sudoers", "Password-less sudo for NFS", Category.NFS, only=UNIX_ONLY)
def sudoers(ctx: DoctorContext) -> Finding:
    if ctx.host.which("sudo") is None and not ctx.host.is_file("/usr/bin/sudo"):
        # Vagrant's Linux host starts and reloads the NFS server through sudo even as root
        # (plugins/hosts/linux/cap/nfs.rb): without it `vagrant up` stops, seen in a real run.
        install = install_command(ctx.host, {"debian": "sudo", "fedora": "sudo", "arch": "sudo", "suse": "sudo"})
        return Finding.fail(
            "sudo is not installed: Vagrant runs its NFS commands through sudo, even as root",
            fix=Fix(
                "`vagrant up` stops with \"The executable 'sudo' Vagrant is trying to run was not found\". "
                "Install it as root"
                + ("" if ctx.host.uid == 0 else " and add yourself to the admin group (sudo, wheel or admin)")
                + ":",
                tuple(c.removeprefix("sudo ") for c in install),
            ),
        )
    if ctx.host.uid == 0:
        return Finding.passed("running as root: sudo runs Vagrant's NFS commands without a password")
    commands = MACOS_COMMANDS if ctx.host.os is OS.MACOS else LINUX_COMMANDS
    missing = []
    for command in commands:
        done = ctx.host.run(["sudo", "-n", "-l", *command], timeout=10)
        if done is None or not done.ok:
            missing.append(" ".join(command))
    if not missing:
        return Finding.passed("sudo runs Vagrant's NFS commands without a password")
    lines = sudoers_lines(ctx)
    body = "\n".join(lines)
    return Finding.warn(
        f"sudo asks for a password for {len(missing)} of Vagrant's NFS commands",
        fix=Fix(
            "`vagrant up` then stops to ask for your password (and scripts hang). Allow exactly these commands "
            f"without a password, in {SUDOERS_FILE} (checked by visudo):",
            (
                f"sudo tee {SUDOERS_FILE} <<'EOF'\n{body}\nEOF",
                f"sudo chmod 0440 {SUDOERS_FILE}",
                f"sudo visudo -cf {SUDOERS_FILE}",
            ),
        ),
        details=tuple(f"needs a password: sudo {m}" for m in missing),
    )


@check(
    "nfs.winnfsd-unix",
    "vagrant-winnfsd on macOS/Linux",
    Category.NFS,
    only=OnlyOn(frozenset(OS) - {OS.WINDOWS}, "not a macOS/Linux host"),
)
def winnfsd_on_unix(ctx: DoctorContext) -> Finding:
    installed = ctx.has_plugin(WINNFSD)
    if installed is None:
        return Finding.skip("Vagrant's plugins are unknown")
    if not installed:
        return Finding.passed("not installed (it belongs on Windows hosts only)")
    return Finding.fail(
        "vagrant-winnfsd is installed on a non-Windows host",
        fix=Fix(
            "The plugin replaces Vagrant's NFS synced-folder type with its Windows one, which breaks NFS on "
            "macOS and Linux (hashicorp/vagrant#12902). Remove it:",
            (f"vagrant plugin uninstall {WINNFSD}",),
        ),
    )
