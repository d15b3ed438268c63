"""A lab with a real guest kernel: QEMU (software emulation), a 9p share and NFSv3 from nfs-ganesha.

Nothing here runs VirtualBox, but the two kinds of synced folder that matter can be had for real:

- a hypervisor shared folder: QEMU's 9p (virtio), the same class as vboxsf — every call a round
  trip to the hypervisor;
- an NFSv3 export, served by nfs-ganesha in userspace (this kernel has no nfsd) and mounted by
  the guest's own kernel with the mount options `vagrantkit init` renders.

:class:`Lab` makes a sandbox of its own (a network namespace and a private mount namespace, see
PRIVATE), starts rpcbind and ganesha in it, builds a small initramfs (busybox + the kernel
modules), and boots a one-shot guest per job, in the sandbox too: its init mounts the guest's own
disk (ext4 on a virtio disk), the 9p share and the NFS share of the *same* host folder, chroots
into the host's root (shared read-only, so the guest has the host's python3), runs the job, writes
the output to a control share, and powers off. :class:`QemuTransport` runs vagrantkit's bench
runner that way: it is the bench's ``Transport`` protocol, so the host renders the same table as
``vagrantkit bench``.

Everything has a timeout and is torn down on every exit path: every process in the sandbox
stopped, the namespace deleted, the folders removed.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.ganesha import MOUNT_PORT, NFS_PORT, Client, Export, GaneshaError, config, start_in, start_rpcbind
from tests.kernel import BUSYBOX, KernelUnavailable, initramfs, kernel_release
from tests.netns import Sandbox, SandboxUnavailable, sigterm_unwinds
from tests.samba import Samba, SambaError
from tests.samba import start_in as start_smbd
from vagrantkit.bench.edit import HostEditor
from vagrantkit.bench.transport import RUNNER_PATH, Editor, Progress, conversation, parse_document
from vagrantkit.errors import VagrantkitError
from vagrantkit.registry import SYNC_TYPES
from vagrantkit.render.options import InitOptions
from vagrantkit.watch.core import Watch, WatchStats
from vagrantkit.watch.link import RECEIVER_PATH, Channel, LinkError, StreamChannel

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
    # SMB3 with cifs: the client and the crypto it asks for by name (its modinfo softdeps: SMB3
    # signing is cmac(aes), SMB 3.1.1's preauth integrity sha512, NTLMSSP ecb(arc4), encryption
    # gcm(aes) and ccm(aes), which the crypto API builds of ghash and ctr: loaded by hand, as the
    # initramfs has no modprobe to answer the kernel's requests).
    "cifs",
    "cmac",
    "sha512_generic",
    "ecb",
    "ghash_generic",
    "ctr",
    "gcm",
    "ccm",
    "virtio_console",  # the control port: op edit's requests to the host side
)
# The control port's name; the guest finds its device (/dev/vportNp1, N by bus order) by it.
CONTROL_PORT = "vagrantkit.control"
FIND_CONTROL = (
    'for port in /sys/class/virtio-ports/*; do [ "$(cat "$port/name")" = ' + CONTROL_PORT + " ] && "
    'control="/dev/${port##*/}"; done\n'
)
# vagrantkit watch's port: the lab's transport for watch (a Vagrant guest has ssh), the receiver
# at the guest's end, reading and writing the port's device.
WATCH_PORT = "vagrantkit.watch"
START_RECEIVER = (
    'for port in /sys/class/virtio-ports/*; do [ "$(cat "$port/name")" = ' + WATCH_PORT + " ] && "
    'watchport="/dev/${port##*/}"; done\n'
    '/usr/bin/python3 /tmp/ctl/receiver.py --device "$watchport" 2> /tmp/ctl/receiver.err &\n'
)
PROGRAMS = (
    "qemu-system-x86_64",
    "ganesha.nfsd",
    "rpcbind",
    "rpcinfo",
    "smbd",
    "smbpasswd",
    "mkfs.ext4",
    "modinfo",
    "ip",
    "unshare",
    "nsenter",
)
GUEST_MOUNT_ROOT = "/tmp/lab"
# The lab's folders, the guest's own disk first (the baseline); the shares are one host folder each time.
SHARES = ("9p", "nfs", "smb")
LABELS = ("disk", *SHARES)  # inside the chroot (the host root, read-only, with a tmpfs on /tmp)


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


# The SMB folder's options as Vagrant mounts the folder init --sync smb renders: the rendered
# mount_options, then what Vagrant's smb mount_options cap adds itself — mfsymlinks here,
# sec=ntlmssp and the credentials in lab_smb_options (the lab's own account; busybox has no
# mount.cifs, so they go to the kernel as they are), uid/gid of the SSH user (root in the lab).
SMB_MOUNT_OPTIONS = (*SYNC_TYPES["smb"].mount_options, "mfsymlinks")


def lab_smb_options(samba: Samba, options: Sequence[str] = SMB_MOUNT_OPTIONS) -> list[str]:
    """The guest's cifs mount options for the lab's smbd."""
    return [*options, "sec=ntlmssp", f"username={samba.user}", f"password={samba.password}"]


def check_prerequisites() -> None:
    """Raise :class:`LabUnavailable` naming what is missing."""
    if os.name != "posix" or os.geteuid() != 0:
        raise LabUnavailable("the lab needs root (namespaces, rpcbind, ganesha, reading /boot)")
    for program in PROGRAMS:
        _which(program)
    if not BUSYBOX.exists():
        raise LabUnavailable("busybox-static is not installed")
    try:
        kernel_release()
    except KernelUnavailable as exc:
        raise LabUnavailable(str(exc)) from exc


def _which(program: str) -> str:
    found = shutil.which(program, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if not found:
        raise LabUnavailable(f"{program} is not installed (scripts/test installs it)")
    return found


# --- initramfs ---------------------------------------------------------------------------


# The rest of the lab guest's /init (its modules are loaded): mount the three targets, run
# /ctl/job.sh in the host's root, power off.
INIT_SCRIPT = r"""mkdir -p /ctl /host
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 ctl /ctl || { echo "lab: no ctl share"; poweroff -f; }
. /ctl/lab.env
step() { echo "lab: $*"; echo "$*" >> /ctl/steps; }
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro hostroot /host && step "host root mounted"
mount -t tmpfs tmpfs /host/tmp
mkdir -p /host/tmp/ctl "/host$LAB_ROOT/disk" "/host$LAB_ROOT/9p" "/host$LAB_ROOT/nfs" "/host$LAB_ROOT/smb"
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
mount -t cifs -o "$LAB_SMB_OPTIONS" "//10.0.2.2/$LAB_SMB_SHARE" "/host$LAB_ROOT/smb" && step "smb mounted"
cat /proc/mounts > /ctl/mounts
chroot /host /bin/sh /tmp/ctl/job.sh > /ctl/job.out 2> /ctl/job.err
echo $? > /ctl/job.rc
umount "/host$LAB_ROOT/smb" "/host$LAB_ROOT/nfs" "/host$LAB_ROOT/9p" "/host$LAB_ROOT/disk"
sync
step "done"
poweroff -f
"""


def build_initramfs(release: str, destination: Path) -> Path:
    """Write the lab guest's initramfs: busybox, the modules and :data:`INIT_SCRIPT`."""
    try:
        destination.write_bytes(initramfs(release, WANTED_MODULES, INIT_SCRIPT, ("ctl", "host", "tmp")))
    except KernelUnavailable as exc:
        raise LabUnavailable(str(exc)) from exc
    return destination


# --- the namespaces and the NFS server ------------------------------------------------

# The whole lab runs in namespaces of its own (tests.netns.Sandbox), the guest included. The
# network rule: besides loopback, a test sends traffic only to addresses inside a network
# namespace it creates. QEMU's user-mode network, started inside the namespace, makes the guest's
# 10.0.2.2 that namespace's loopback, so rpcbind and ganesha listen on a loopback no other test
# (and no server of the host) shares, and port 2049 is always free there. /run is private too:
# rpcbind's socket and lock there are shared by every network namespace otherwise, so ours would
# clash with another test's rpcbind. /var/lib/nfs is where ganesha keeps its recovery state.
PRIVATE = ("/run", "/var/lib/nfs")
# Where the guest's NFS traffic comes from, as ganesha sees it: QEMU's user-mode network connects
# from the namespace's loopback. The export is for that address only.
GUEST_AS_SEEN_BY_SERVER = "127.0.0.1"


def ganesha_config(export: Path) -> str:
    """ganesha's configuration for the lab: ``export`` over NFSv3 (the guest mounts vers=3), to the guest only."""
    # No_Root_Squash: the guest's job runs as root and makes its scratch folders in the share.
    guest = Client(GUEST_AS_SEEN_BY_SERVER, access="RW", squash="No_Root_Squash")
    # No Bind_addr: the sandbox has no address but loopback's anyway, and ganesha resolves it with
    # getaddrinfo(AI_ADDRCONFIG), which does not count loopback: with only lo up it finds nothing
    # for 127.0.0.1 and exits ("No IP address found"; nfs-ganesha src/config_parsing/config_parsing.c).
    return config([Export(str(export), (guest,))], protocols=(3,))


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
    """A sandbox with a userspace NFS server in it and a kernel ready to boot; use as a context manager.

    Args:
        share: The host folder shared to the guest twice, over 9p and over NFSv3.
        memory: Guest memory in MiB.
        disk_mib: Size of the guest's own ext4 disk.

    Attributes:
        sandbox: The namespaces the servers and the guests run in.
        workdir: The lab's folder (the sandbox's own), removed on the way out.
        release: The kernel the guests boot.
        pids: Every process the lab started, by pid: ``rpcbind``, ``ganesha``, ``qemu`` (one per guest).
    """

    def __init__(
        self, share: Path, *, memory: int = 1024, disk_mib: int = 256, mount_options: Sequence[str] | None = None
    ) -> None:
        self.share = share
        self.memory = memory
        self.disk_mib = disk_mib
        # init's NFS mount options unless others are asked for (benchmarks/lab.py --mount-option)
        self.options = InitOptions() if mount_options is None else InitOptions(mount_options=tuple(mount_options))
        self.sandbox = Sandbox("lab", private=PRIVATE)
        self._stack = ExitStack()
        self.workdir = Path()
        self.release = ""
        self.pids: dict[int, str] = {}
        self.samba: Samba | None = None

    @property
    def watch_socket(self) -> Path:
        """QEMU's end of the guest's watch port (:data:`WATCH_PORT`), while a guest runs."""
        return self.workdir / "watch.sock"

    def __enter__(self) -> Lab:
        check_prerequisites()
        try:
            try:
                self._stack.enter_context(self.sandbox)
            except SandboxUnavailable as exc:
                raise LabUnavailable(f"the lab's sandbox cannot be made: {exc}") from exc
            self.workdir = self.sandbox.root
            self.release = kernel_release()
            self.initramfs = build_initramfs(self.release, self.workdir / "initramfs.gz")
            try:
                self.pids.update(dict.fromkeys(start_rpcbind(self.sandbox), "rpcbind"))
                ganesha = start_in(self.sandbox, self.workdir / "ganesha", ganesha_config(self.share))
            except GaneshaError as exc:
                raise LabUnavailable(str(exc)) from exc
            self.pids[ganesha] = "ganesha"
            try:
                self.samba = start_smbd(self.sandbox, self.workdir / "samba", self.share)
            except SambaError as exc:
                raise LabUnavailable(str(exc)) from exc
            self.pids[self.samba.pid] = "smbd"
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
        control: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        watch: Callable[[str], None] | None = None,
        meanwhile: Callable[[], AbstractContextManager[object]] | None = None,
    ) -> GuestRun:
        """Boot a guest, run the shell script ``job`` (in the host root, chrooted), power off.

        ``files`` are put into the control folder, which the job sees as /tmp/ctl. ``control``
        answers what the guest writes to the control port (:data:`CONTROL_PORT`), one JSON line each. ``watch`` gets
        each line of the job's stderr as the job writes it (the runner's progress). ``meanwhile``
        is entered once the guest starts and left when it is gone (vagrantkit watch, on :attr:`watch_socket`).
        """
        ctl = self.workdir / f"ctl-{time.monotonic_ns()}"
        ctl.mkdir()
        disk = self.workdir / "disk.img"
        socket_path = self.workdir / "control.sock"
        helpers = ExitStack()
        try:
            for name, data in (files or {}).items():
                (ctl / name).write_bytes(data)
            (ctl / "job.sh").write_text(job)
            (ctl / "lab.env").write_text(
                f"LAB_ROOT='{GUEST_MOUNT_ROOT}'\n"
                f"LAB_EXPORT='{self.share}'\n"
                f"LAB_NFS_OPTIONS='{','.join(lab_mount_options(self.options))}'\n"
                f"LAB_SMB_SHARE='{self.samba.share if self.samba else ''}'\n"
                f"LAB_SMB_OPTIONS='{','.join(lab_smb_options(self.samba)) if self.samba else ''}'\n"
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
                *("-device", "virtio-serial-pci", "-chardev", f"socket,id=ctl0,path={socket_path},server=on,wait=off"),
                *("-device", f"virtserialport,chardev=ctl0,nr=1,name={CONTROL_PORT}"),
                *("-chardev", f"socket,id=watch0,path={self.watch_socket},server=on,wait=off"),
                *("-device", f"virtserialport,chardev=watch0,nr=2,name={WATCH_PORT}"),
            ]
            started = time.monotonic()
            # In the sandbox, so that the guest's user-mode network reaches the sandbox's loopback.
            # nsenter and env exec, they do not fork: the pid is QEMU's.
            with self.sandbox.popen(
                argv, cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            ) as qemu:
                self.pids[qemu.pid] = "qemu"
                if control is not None:
                    helpers.enter_context(_serving(socket_path, control))
                if watch is not None:
                    helpers.enter_context(_tailing(ctl / "job.err", watch))
                if meanwhile is not None:
                    helpers.enter_context(meanwhile())
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
            helpers.close()
            shutil.rmtree(ctl, ignore_errors=True)
            disk.unlink(missing_ok=True)
            socket_path.unlink(missing_ok=True)
            self.watch_socket.unlink(missing_ok=True)


@contextmanager
def _meanwhile(work: Callable[[threading.Event], None], join: float = 5) -> Iterator[None]:
    """Run ``work(stop)`` in a thread while the block runs; on the way out set ``stop`` and wait for it."""
    stop = threading.Event()
    thread = threading.Thread(target=work, args=(stop,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(join)


@contextmanager
def _serving(path: Path, answer: Callable[[dict[str, Any]], dict[str, Any]]) -> Iterator[None]:
    """Connect to QEMU's end of the control port and answer each JSON line the guest writes, meanwhile."""

    def serve(stop: threading.Event) -> None:
        deadline = time.monotonic() + 60
        while not path.exists() and time.monotonic() < deadline and not stop.is_set():
            time.sleep(0.05)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(str(path))
            sock.settimeout(0.5)
            buffer = b""
            while not stop.is_set():
                try:
                    data = sock.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    return
                buffer += data
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    request = json.loads(line).get("control", {})
                    sock.sendall(json.dumps(answer(request)).encode() + b"\n")

    with _meanwhile(serve):
        yield


@contextmanager
def _tailing(path: Path, each: Callable[[str], None]) -> Iterator[None]:
    """Hand each line appended to ``path`` (the job's stderr, on the 9p control share) to ``each``, meanwhile."""

    def tail(stop: threading.Event) -> None:
        offset, pending = 0, b""
        while not stop.is_set():
            try:
                with path.open("rb") as handle:
                    handle.seek(offset)
                    data = handle.read()
            except FileNotFoundError:
                data = b""
            offset += len(data)
            pending += data
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                each(line.decode(errors="replace"))
            time.sleep(0.1)

    with _meanwhile(tail):
        yield


class QemuTransport:
    """The bench's ``Transport``: runs runner.py inside a lab guest (one boot per run).

    Give the runner the lab's three folders with :func:`target_args`.
    """

    name = "qemu"

    def __init__(
        self,
        lab: Lab,
        *,
        timeout: float = 900,
        watch: Callable[[str], None] | None = None,
        forward: LabWatch | None = None,
    ) -> None:
        self.lab = lab
        self.timeout = timeout
        self.watch = watch  # each line of the runner's stderr, as it comes (tests act on progress)
        self.forward = forward  # vagrantkit watch, while the guest runs
        self.last: GuestRun | None = None

    def run_runner(
        self, args: Sequence[str], progress: Progress | None = None, editor: Editor | None = None
    ) -> dict[str, Any]:
        command = f"/usr/bin/python3 /tmp/ctl/runner.py {shlex.join([*args, '--progress'])}"
        job = FIND_CONTROL + f'exec {command} --control "$control"\n' if editor else f"exec {command}\n"
        files = {"runner.py": RUNNER_PATH.read_bytes()}
        if self.forward is not None:
            job = START_RECEIVER + job
            files["receiver.py"] = RECEIVER_PATH.read_bytes()
        progress_line = conversation(progress, None)

        def watch(line: str) -> None:
            progress_line(line)
            if self.watch is not None:
                self.watch(line)

        run = self.lab.run(job, files, timeout=self.timeout, control=editor, watch=watch, meanwhile=self.forward)
        self.last = run
        if run.returncode is None:
            raise VagrantkitError(
                f"the lab guest never finished its job; steps: {run.steps}; console: {run.console[-3000:]}"
            )
        return parse_document(run.stdout, run.returncode, run.stderr, "the lab guest")


class PortLink:
    """vagrantkit watch's ``Link`` in the lab: QEMU's end of the guest's watch port, a unix socket."""

    name = "virtio-serial"

    def __init__(self, path: Path) -> None:
        self.path = path

    def open(self) -> Channel:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(str(self.path))
        except OSError as exc:
            sock.close()
            raise LinkError(f"the lab's watch port is not there yet ({exc.strerror})") from None

        def closed() -> str:
            sock.close()
            return "the lab's watch port closed"

        return StreamChannel(sock.makefile("rb"), sock.makefile("wb"), closed)


class LabWatch:
    """vagrantkit watch for one lab guest: :class:`~vagrantkit.watch.core.Watch` over its watch
    port, from the guest's start to its end. Its folders come from the guest's mounts, as in a
    Vagrant guest (the NFS export is the share, a folder of this host).
    """

    def __init__(self, *, inotify: bool = False) -> None:
        self.lab: Lab | None = None  # the lab whose guest it serves (bench_in_lab sets it)
        self.inotify = inotify
        self.lines: list[str] = []
        self.stats: WatchStats | None = None
        self.failure: BaseException | None = None

    @contextmanager
    def __call__(self) -> Iterator[None]:
        assert self.lab is not None, "bench_in_lab gives it its lab"
        socket_path = self.lab.watch_socket

        def run(stop: threading.Event) -> None:
            watch = Watch(
                PortLink(socket_path),
                "the lab guest",
                notify=self.lines.append,
                inotify=self.inotify,
                stop=stop,
                backoff=(0.2, 1.0),
            )
            try:
                watch.run()
            except BaseException as exc:
                self.failure = exc
            finally:
                self.stats = watch.stats

        with _meanwhile(run, join=30):
            yield


def target_args(root: str = GUEST_MOUNT_ROOT, labels: Sequence[str] = LABELS) -> list[str]:
    """Runner target arguments for the lab's folders, the guest's own disk first (baseline)."""
    return [f"{label}={root}/{label}" for label in labels]


def bench_in_lab(
    share: Path,
    runner_args: Sequence[str],
    *,
    timeout: float,
    mount_options: Sequence[str] | None = None,
    watch: Callable[[str], None] | None = None,
    lab: Lab | None = None,
    labels: Sequence[str] = LABELS,
    forward: LabWatch | None = None,
) -> tuple[dict[str, Any], GuestRun, Lab]:
    """Run the bench runner once in a lab guest, on :func:`target_args` plus ``runner_args``.

    Both shares have a host side, ``share`` itself: op edit edits it (through the control port).
    SIGTERM unwinds meanwhile, so the guest, the servers and the lab's folders go whatever happens.
    Returns the runner's document, what the guest left behind, and the closed lab (its
    ``release``, ``workdir``, ``pids`` and ``sandbox.netns`` say what it booted, made and started).
    ``watch`` gets each line of the runner's stderr as it comes; ``lab``: use this one (not entered yet);
    ``labels``: the folders to measure; ``forward``: a vagrantkit watch to run meanwhile (its
    ``lines`` and ``stats`` say what it did).
    """
    run_id = secrets.token_hex(4)
    shared = [label for label in labels if label in SHARES]
    editor = HostEditor(dict.fromkeys(shared, share), run_id)
    args = [*target_args(labels=labels), *runner_args, "--id", run_id]
    args += [word for label in shared for word in ("--host-side", label)]
    with sigterm_unwinds(), lab or Lab(share, mount_options=mount_options) as entered:
        if forward is not None:
            forward.lab = entered
        transport = QemuTransport(entered, timeout=timeout, watch=watch, forward=forward)
        document = transport.run_runner(args, editor=editor)
    assert transport.last is not None  # run_runner sets it before it returns
    return document, transport.last, entered
