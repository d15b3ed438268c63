"""A lab with a real guest kernel: QEMU (software emulation), a 9p share and NFSv3 from nfs-ganesha.

Nothing here runs VirtualBox, but the two kinds of synced folder that matter can be had for real:

- a hypervisor shared folder: QEMU's 9p (virtio), the same class as vboxsf — every call a round
  trip to the hypervisor;
- an NFSv3 export, served by nfs-ganesha in userspace on 127.0.0.1 (this kernel has no nfsd) and
  mounted by the guest's own kernel with the mount options `vagrantkit init` renders.

:class:`Lab` starts rpcbind and ganesha, builds a small initramfs (busybox + the kernel modules),
and boots a one-shot guest per job: its init mounts the guest's own disk (ext4 on a virtio disk),
the 9p share and the NFS share of the *same* host folder, chroots into the host's root (shared
read-only, so the guest has the host's python3), runs the job, writes the output to a control
share, and powers off. :class:`QemuTransport` runs vagrantkit's bench runner that way: it is the
bench's ``Transport`` protocol, so the host renders the same table as ``vagrantkit bench``.

Everything has a timeout and is torn down on every exit path: processes killed, folders removed.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vagrantkit.bench.transport import RUNNER_PATH, Progress, parse_document
from vagrantkit.errors import VagrantkitError
from vagrantkit.render.options import InitOptions

NFS_PORT = 2049
MOUNT_PORT = 20048
# Host loopback as seen from a guest on QEMU's user-mode network.
HOST_FROM_GUEST = "10.0.2.2"
# What the guest kernel needs, dependencies resolved with `modinfo -F depends` (and ext4's
# crc32c soft dependency named explicitly).
WANTED_MODULES = (
    "virtio_pci",
    "virtio_net",
    "virtio_blk",
    "9pnet_virtio",
    "9p",
    "crc32c_generic",
    "ext4",
    "nfsv3",
)
BUSYBOX = Path("/bin/busybox")
PROGRAMS = ("qemu-system-x86_64", "ganesha.nfsd", "rpcbind", "rpcinfo", "mkfs.ext4", "modinfo", "pgrep")
GUEST_MOUNT_ROOT = "/tmp/lab"  # inside the chroot (the host root, read-only, with a tmpfs on /tmp)


class LabUnavailable(RuntimeError):
    """The lab cannot start here (a program or permission is missing); the message says which."""


def lab_mount_options(options: InitOptions | None = None) -> list[str]:
    """The guest's NFS mount options: init's own, plus only what this lab's transport needs.

    busybox has no mount.nfs, so the kernel is told the ports and the protocol itself
    (Vagrant's guests have mount.nfs, which asks rpcbind for them).
    """
    rendered = (options or InitOptions()).guest_mount_options()
    transport = [
        "proto=tcp",
        f"port={NFS_PORT}",
        f"mountport={MOUNT_PORT}",
        "mountproto=tcp",
        f"addr={HOST_FROM_GUEST}",
    ]
    return rendered + transport


def kernel_release() -> str:
    """The newest kernel in /boot that has its modules installed."""
    candidates = sorted(
        (p.name.removeprefix("vmlinuz-") for p in Path("/boot").glob("vmlinuz-*")),
        key=lambda v: [int(x) if x.isdigit() else x for x in re.split(r"[.-]", v)],
    )
    for release in reversed(candidates):
        if Path("/lib/modules", release, "modules.dep").exists():
            return release
    raise LabUnavailable("no kernel with modules in /boot (apt-get install linux-image-amd64)")


def check_prerequisites() -> None:
    """Raise :class:`LabUnavailable` naming what is missing."""
    if os.name != "posix" or os.geteuid() != 0:
        raise LabUnavailable("the lab needs root (rpcbind, ganesha, reading /boot)")
    for program in PROGRAMS:
        _which(program)
    if not BUSYBOX.exists():
        raise LabUnavailable("busybox-static is not installed")
    kernel_release()


def _which(program: str) -> str:
    found = shutil.which(program, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if not found:
        raise LabUnavailable(f"{program} is not installed (scripts/test installs it)")
    return found


# --- initramfs ---------------------------------------------------------------------------


def resolve_modules(release: str, wanted: Sequence[str] = WANTED_MODULES) -> list[Path]:
    """The module files for ``wanted`` and their dependencies, dependencies first."""
    modinfo = _which("modinfo")
    order: list[Path] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        info = subprocess.run([modinfo, "-k", release, name], capture_output=True, text=True, timeout=30)
        if info.returncode != 0:
            raise LabUnavailable(f"kernel {release} has no module {name}: {info.stderr.strip()}")
        fields: dict[str, str] = {}
        for line in info.stdout.splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
        for dep in fields.get("depends", "").split(","):
            if dep.strip():
                visit(dep.strip())
        filename = fields.get("filename", "")
        if filename.startswith("/"):  # "(builtin)" needs no file
            order.append(Path(filename))

    for name in wanted:
        visit(name)
    return order


class Cpio:
    """A minimal writer of the 'newc' cpio format the kernel unpacks as its initramfs."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.ino = 1

    def _entry(self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)) -> None:
        encoded = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(encoded), 0]
        self.ino += 1
        header = b"070701" + b"".join(b"%08X" % f for f in fields)
        self.buffer.write(header + encoded)
        self.buffer.write(b"\0" * (-(len(header) + len(encoded)) % 4))
        self.buffer.write(data)
        self.buffer.write(b"\0" * (-len(data) % 4))

    def directory(self, name: str) -> None:
        self._entry(name, stat.S_IFDIR | 0o755)

    def file(self, name: str, data: bytes, mode: int = 0o644) -> None:
        self._entry(name, stat.S_IFREG | mode, data)

    def char_device(self, name: str, major: int, minor: int) -> None:
        self._entry(name, stat.S_IFCHR | 0o600, rdev=(major, minor))

    def finish(self) -> bytes:
        self._entry("TRAILER!!!", 0)
        return self.buffer.getvalue()


INIT_SCRIPT = r"""#!/bin/busybox sh
# vagrantkit lab guest: mount the three targets, run /ctl/job.sh in the host's root, power off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules.list); do insmod "/modules/$m" || echo "lab: insmod $m failed"; done
mkdir -p /ctl /host
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 ctl /ctl || { echo "lab: no ctl share"; poweroff -f; }
. /ctl/lab.env
step() { echo "lab: $*"; echo "$*" >> /ctl/steps; }
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro hostroot /host && step "host root mounted"
mount -t tmpfs tmpfs /host/tmp
mkdir -p /host/tmp/ctl "/host$LAB_ROOT/disk" "/host$LAB_ROOT/9p" "/host$LAB_ROOT/nfs"
mount --bind /ctl /host/tmp/ctl
mount -t proc proc /host/proc
mount -t devtmpfs dev /host/dev
mount -t sysfs sys /host/sys
mount -t ext4 /dev/vda "/host$LAB_ROOT/disk" && step "guest disk mounted"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 share "/host$LAB_ROOT/9p" && step "9p mounted"
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
mount -t nfs -o "$LAB_NFS_OPTIONS" "10.0.2.2:$LAB_EXPORT" "/host$LAB_ROOT/nfs" && step "nfs mounted"
cat /proc/mounts > /ctl/mounts
chroot /host /bin/sh /tmp/ctl/job.sh > /ctl/job.out 2> /ctl/job.err
echo $? > /ctl/job.rc
umount "/host$LAB_ROOT/nfs" "/host$LAB_ROOT/9p" "/host$LAB_ROOT/disk"
sync
step "done"
poweroff -f
"""


def build_initramfs(release: str, destination: Path) -> Path:
    """Write a gzip'd initramfs with busybox, the modules (decompressed) and the init script."""
    import lzma

    archive = Cpio()
    for folder in ("bin", "dev", "proc", "sys", "modules", "ctl", "host", "tmp"):
        archive.directory(folder)
    archive.char_device("dev/console", 5, 1)
    archive.char_device("dev/null", 1, 3)
    archive.file("bin/busybox", BUSYBOX.read_bytes(), 0o755)
    archive.file("init", INIT_SCRIPT.encode(), 0o755)
    names = []
    for module in resolve_modules(release):
        data = module.read_bytes()
        if module.suffix == ".xz":
            data = lzma.decompress(data)
        elif module.suffix == ".zst":
            raise LabUnavailable(f"{module}: zstd-compressed modules are not supported")
        name = module.name.split(".ko")[0] + ".ko"
        archive.file(f"modules/{name}", data)
        names.append(name)
    archive.file("modules.list", ("\n".join(names) + "\n").encode())
    destination.write_bytes(gzip.compress(archive.finish(), compresslevel=1))
    return destination


# --- the NFS server ----------------------------------------------------------------------


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise LabUnavailable(f"{what} did not come up within {timeout:g} s")
        time.sleep(0.2)


GANESHA_CONF = """\
NFS_CORE_PARAM {{
    NFS_Port = {nfs_port};
    MNT_Port = {mount_port};
    NLM_Port = 32803;
    Bind_addr = 127.0.0.1;
    Protocols = 3, 4;
    Enable_RQUOTA = false;
    Enable_UDP = false;
}}
NFSV4 {{ Graceless = true; }}
EXPORT {{
    Export_Id = 1;
    Path = "{path}";
    Pseudo = "/lab";
    Access_Type = RW;
    Squash = No_Root_Squash;
    SecType = sys;
    Protocols = 3, 4;
    Transports = TCP;
    FSAL {{ Name = VFS; }}
}}
"""


@contextmanager
def nfs_server(export: Path, workdir: Path) -> Iterator[list[int]]:
    """rpcbind (unless one runs) and nfs-ganesha serving ``export`` over TCP on 127.0.0.1.

    Yields the pids it started; each is stopped by its pid on the way out, none by name.
    """
    started: list[int] = []
    with ExitStack() as stack:
        rpcinfo = _which("rpcinfo")
        if subprocess.run([rpcinfo, "-p", "127.0.0.1"], capture_output=True, timeout=10).returncode != 0:
            # Without rpcbind ganesha exits after "Cannot register NFS V3 on UDP".
            # rpcbind daemonises without a pid file: ours is the rpcbind that was not there before.
            before = _pids("rpcbind")
            subprocess.run([_which("rpcbind"), "-w"], check=True, timeout=30)
            for pid in _pids("rpcbind") - before:
                stack.callback(_terminate, pid)
                started.append(pid)
            _wait(lambda: _port_open(111), 10, "rpcbind")
        if _port_open(NFS_PORT):
            raise LabUnavailable(f"port {NFS_PORT} is taken: another NFS server runs here")
        conf = workdir / "ganesha.conf"
        conf.write_text(GANESHA_CONF.format(nfs_port=NFS_PORT, mount_port=MOUNT_PORT, path=export))
        pidfile = workdir / "ganesha.pid"
        log = workdir / "ganesha.log"
        subprocess.run(
            [_which("ganesha.nfsd"), "-f", str(conf), "-L", str(log), "-p", str(pidfile), "-N", "NIV_WARN"],
            check=True,
            timeout=30,
        )
        ganesha = _read_pid(pidfile)
        stack.callback(_terminate, ganesha)
        started.append(ganesha)
        try:
            _wait(lambda: _port_open(NFS_PORT) and _port_open(MOUNT_PORT), 30, "nfs-ganesha")
        except LabUnavailable as exc:
            raise LabUnavailable(f"{exc}; its log: {log.read_text(errors='replace')[-2000:]}") from exc
        yield started


def _read_pid(pidfile: Path, timeout: float = 10) -> int:
    """The pid a daemon wrote; it writes the file right after forking."""
    deadline = time.monotonic() + timeout
    while True:
        with suppress(OSError, ValueError):
            return int(pidfile.read_text().strip())
        if time.monotonic() > deadline:
            raise LabUnavailable(f"{pidfile.name} was not written within {timeout:g} s")
        time.sleep(0.1)


def _terminate(pid: int, grace: float = 5.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return
        time.sleep(0.1)
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _pids(name: str) -> set[int]:
    out = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True, timeout=10)
    return {int(pid) for pid in out.stdout.split()}


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` is still a running process (a zombie counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """Turn SIGTERM into SystemExit(143) meanwhile, so a killed run still stops its guest and servers.

    Python's default for SIGTERM ends the process without unwinding: ganesha (a daemon) and the
    guest would outlive it.
    """
    previous = signal.signal(signal.SIGTERM, _exit_143)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _exit_143(signum: int, frame: object) -> None:
    raise SystemExit(143)


# --- the guest ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GuestRun:
    """What one guest job left behind."""

    returncode: int | None  # None: the job never ran to the end
    stdout: str
    stderr: str
    mounts: str  # the guest's /proc/mounts while the job ran
    steps: list[str]
    console: str  # what the guest printed on its serial console
    seconds: float


class Lab:
    """A userspace NFS server and a kernel ready to boot; use as a context manager.

    Args:
        share: The host folder shared to the guest twice, over 9p and over NFSv3.
        memory: Guest memory in MiB.
        disk_mib: Size of the guest's own ext4 disk.
    """

    def __init__(self, share: Path, *, memory: int = 1024, disk_mib: int = 256) -> None:
        self.share = share
        self.memory = memory
        self.disk_mib = disk_mib
        self._stack = ExitStack()
        self.workdir = Path()
        self.release = ""
        self.pids: list[int] = []  # every process the lab started (servers and guests), for checks

    def __enter__(self) -> Lab:
        check_prerequisites()
        try:
            self.workdir = Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix="vagrantkit-lab-")))
            self.release = kernel_release()
            self.initramfs = build_initramfs(self.release, self.workdir / "initramfs.gz")
            self.pids.extend(self._stack.enter_context(nfs_server(self.share, self.workdir)))
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def run(
        self,
        job: str,
        files: dict[str, bytes] | None = None,
        *,
        timeout: float = 900,
    ) -> GuestRun:
        """Boot a guest, run the shell script ``job`` (in the host root, chrooted), power off.

        ``files`` are put into the control folder, which the job sees as /tmp/ctl.
        """
        ctl = self.workdir / f"ctl-{time.monotonic_ns()}"
        ctl.mkdir()
        disk = self.workdir / "disk.img"
        try:
            for name, data in (files or {}).items():
                (ctl / name).write_bytes(data)
            (ctl / "job.sh").write_text(job)
            (ctl / "lab.env").write_text(
                f"LAB_ROOT='{GUEST_MOUNT_ROOT}'\n"
                f"LAB_EXPORT='{self.share}'\n"
                f"LAB_NFS_OPTIONS='{','.join(lab_mount_options())}'\n"
            )
            with disk.open("wb") as handle:
                handle.truncate(self.disk_mib * 1024 * 1024)
            subprocess.run([_which("mkfs.ext4"), "-q", "-F", str(disk)], check=True, timeout=60)
            argv = [
                _which("qemu-system-x86_64"),
                *("-accel", "tcg", "-cpu", "max", "-smp", "2", "-m", str(self.memory)),
                *("-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio"),
                *("-kernel", f"/boot/vmlinuz-{self.release}", "-initrd", str(self.initramfs)),
                *("-append", "console=ttyS0 quiet panic=-1"),
                *("-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"),
                *("-virtfs", f"local,path={ctl},mount_tag=ctl,security_model=none,multidevs=remap"),
                *("-virtfs", f"local,path={self.share},mount_tag=share,security_model=none,multidevs=remap"),
                *("-drive", f"file={disk},if=virtio,format=raw"),
                *("-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0"),
            ]
            started = time.monotonic()
            with subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            ) as qemu:
                self.pids.append(qemu.pid)
                try:
                    console, _ = qemu.communicate(timeout=timeout)
                except subprocess.TimeoutExpired:
                    qemu.kill()
                    console, _ = qemu.communicate()
                    console += f"\n[lab: guest killed after {timeout:g} s]".encode()
                except BaseException:  # Ctrl-C, SIGTERM turned into an exception: no guest left behind
                    qemu.kill()
                    raise
            seconds = time.monotonic() - started

            def read(name: str) -> str:
                path = ctl / name
                return path.read_text(errors="replace") if path.exists() else ""

            rc = read("job.rc").strip()
            return GuestRun(
                returncode=int(rc) if rc.lstrip("-").isdigit() else None,
                stdout=read("job.out"),
                stderr=read("job.err"),
                mounts=read("mounts"),
                steps=read("steps").splitlines(),
                console=console.decode(errors="replace"),
                seconds=seconds,
            )
        finally:
            shutil.rmtree(ctl, ignore_errors=True)
            disk.unlink(missing_ok=True)


class QemuTransport:
    """The bench's ``Transport``: runs runner.py inside a lab guest (one boot per run).

    Give the runner the lab's three folders with :func:`target_args`.
    """

    name = "qemu"

    def __init__(self, lab: Lab, *, timeout: float = 900) -> None:
        self.lab = lab
        self.timeout = timeout
        self.last: GuestRun | None = None

    def run_runner(self, args: Sequence[str], progress: Progress | None = None) -> dict[str, Any]:
        job = f"exec /usr/bin/python3 /tmp/ctl/runner.py {shlex.join(args)}\n"
        run = self.lab.run(job, {"runner.py": RUNNER_PATH.read_bytes()}, timeout=self.timeout)
        self.last = run
        if run.returncode is None:
            raise VagrantkitError(
                f"the lab guest never finished its job; steps: {run.steps}; console: {run.console[-3000:]}"
            )
        return parse_document(run.stdout, run.returncode, run.stderr, "the lab guest")


def target_args(root: str = GUEST_MOUNT_ROOT) -> list[str]:
    """Runner target arguments for the lab's three folders, the guest's own disk first (baseline)."""
    return [f"{label}={root}/{label}" for label in ("disk", "9p", "nfs")]


def bench_in_lab(share: Path, runner_args: Sequence[str], *, timeout: float) -> tuple[dict[str, Any], GuestRun, Lab]:
    """Run the bench runner once in a lab guest, on :func:`target_args` plus ``runner_args``.

    SIGTERM unwinds meanwhile, so the guest, the servers and the lab's folders go whatever happens.
    Returns the runner's document, what the guest left behind, and the closed lab (its
    ``release``, ``workdir`` and ``pids`` say what it booted and started).
    """
    with sigterm_unwinds(), Lab(share) as lab:
        transport = QemuTransport(lab, timeout=timeout)
        document = transport.run_runner([*target_args(), *runner_args])
    assert transport.last is not None  # run_runner sets it before it returns
    return document, transport.last, lab
