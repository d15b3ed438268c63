"""A Vagrant box for vagrant-libvirt, built here from Debian packages, cached by a hash of its inputs.

Debian bookworm, minbase, with what a Vagrant guest needs and nothing more: openssh-server and sudo
(Vagrant's communicator), python3 (the bench runner), nfs-common and netbase (mount.nfs needs
/etc/protocols, or it says "Protocol not supported"), systemd with systemd-networkd on DHCP, and the
``vagrant`` user with the insecure public key Debian's vagrant package ships.

The kernel is Debian's, from this machine's /boot (linux-image-amd64, which the lab uses too), booted
directly: the box's own Vagrantfile names it and asks for software emulation (there is no KVM here).
The root file system holds only the modules a guest loads after boot (the network card, NFS); a
small initramfs (:mod:`tests.kernel`) loads the disk's and mounts it. Installing the kernel package
into the box instead would double the time the build takes and the size of what Vagrant copies.

The cache folder is ``$VAGRANTKIT_E2E_CACHE``, else ``$XDG_CACHE_HOME/vagrantkit/e2e``, else
``~/.cache/vagrantkit/e2e``. It holds one ``debian12-<hash>.box`` per set of inputs (this file's own
text, the kernel and busybox, the key) and nothing else that matters: removing it is always safe,
the next run rebuilds the box (about 45 s here, most of it mmdebstrap).

Run it by hand: ``python -m tests.e2e.box`` prints the box file's path (building it when needed).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tests import kernel
from tests.kernel import BUSYBOX, KernelUnavailable, initramfs, kernel_release, resolve_modules

SUITE = "bookworm"
MIRROR = os.environ.get("VAGRANTKIT_E2E_MIRROR", "http://deb.debian.org/debian")
PACKAGES = (
    "openssh-server",
    "sudo",
    "python3",
    "nfs-common",
    "netbase",
    "systemd-sysv",
    "udev",
    "iproute2",
    "procps",
    "kmod",
)
# Loaded by the initramfs: the root disk. Copied into the root file system: what the guest loads later.
INITRD_MODULES = ("virtio_pci", "virtio_blk", "crc32c_generic", "ext4")
GUEST_MODULES = ("virtio_net", "nfsv3")
# Not needed in a test guest, and most of a minbase system's size.
PRUNED = ("var/cache/apt/archives", "usr/share/locale", "usr/share/doc", "usr/share/man")
DISK_GIB = 3
# The guest's kernel command line: the root disk is the first virtio disk; eth0 keeps its old name.
CMD_LINE = "root=/dev/vda rw console=ttyS0 net.ifnames=0 quiet"
VAGRANT_KEY_GLOB = "/usr/share/rubygems-integration/all/gems/vagrant-*/keys/vagrant.pub"

# The box's own Vagrantfile (vagrant-libvirt reads it under the project's): boot the box's kernel
# directly, and emulate the CPU (driver "qemu" is TCG; qemu64 is a model TCG emulates fully).
BOX_VAGRANTFILE = f"""\
Vagrant.configure("2") do |config|
  # A test box: keep the insecure key instead of swapping in a new one at the first `vagrant up`
  # (20 s under emulation, and nothing the test looks at).
  config.ssh.insert_key = false
  config.vm.provider :libvirt do |libvirt|
    libvirt.driver = "qemu"
    libvirt.cpu_mode = "custom"
    libvirt.cpu_model = "qemu64"
    libvirt.kernel = File.expand_path("vmlinuz", __dir__)
    libvirt.initrd = File.expand_path("initrd.img", __dir__)
    libvirt.cmd_line = "{CMD_LINE}"
  end
end
"""

# Files written into the root file system (path -> text).
ROOTFS_FILES = {
    "etc/fstab": "/dev/vda / ext4 rw,errors=remount-ro 0 0\n",
    "etc/hostname": "debian12\n",
    "etc/hosts": "127.0.0.1 localhost\n127.0.1.1 debian12\n",
    "etc/resolv.conf": "",
    "etc/systemd/network/10-eth0.network": "[Match]\nName=eth0\n\n[Network]\nDHCP=yes\n",
    "etc/sudoers.d/vagrant": "vagrant ALL=(ALL) NOPASSWD: ALL\n",
    "etc/ssh/sshd_config.d/vagrant.conf": "UseDNS no\n",
}


class BoxUnavailable(RuntimeError):
    """The box cannot be built here; the message says what is missing or what failed."""


def vagrant_public_key() -> Path:
    """Vagrant's insecure public key, as Debian's vagrant package ships it."""
    found = sorted(Path("/").glob(VAGRANT_KEY_GLOB.lstrip("/")))
    if not found:
        raise BoxUnavailable(f"Vagrant's insecure key is not installed ({VAGRANT_KEY_GLOB}): apt-get install vagrant")
    return found[-1]


def cache_dir() -> Path:
    """Where built boxes are kept (see the module docstring)."""
    if explicit := os.environ.get("VAGRANTKIT_E2E_CACHE"):
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "vagrantkit" / "e2e"


def input_hash() -> str:
    """A hash of everything the box is built from: this file (packages, settings, steps), the kernel,
    busybox and the key."""
    release = kernel_release()
    digest = hashlib.sha256()
    for data in (
        Path(__file__).read_bytes(),
        Path(kernel.__file__).read_bytes(),
        release.encode(),
        Path(f"/boot/vmlinuz-{release}").read_bytes(),
        BUSYBOX.read_bytes(),
        vagrant_public_key().read_bytes(),
    ):
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()[:16]


# The rest of the initramfs's /init (its disk modules are loaded): mount the disk, hand over to systemd.
INIT = r"""mkdir -p /root
for i in $(seq 50); do [ -b /dev/vda ] && break; sleep 0.1; done
mount -t ext4 -o rw /dev/vda /root || { echo "box: cannot mount /dev/vda"; poweroff -f; }
umount /proc /sys /dev
exec switch_root /root /sbin/init
"""


def _install_modules(rootfs: Path, release: str) -> None:
    """Copy the guest's later modules (and what they need) into the root file system; index them."""
    source = Path("/lib/modules", release)
    target = rootfs / "usr/lib/modules" / release
    for module in resolve_modules(release, GUEST_MODULES):
        destination = target / module.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(module, destination)
    for name in ("modules.order", "modules.builtin", "modules.builtin.modinfo"):
        shutil.copyfile(source / name, target / name)
    _run(["depmod", "-b", str(rootfs), release], timeout=120, what="depmod")


def _run(argv: Sequence[str], *, timeout: float, what: str) -> None:
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise BoxUnavailable(f"{argv[0]} is not installed (scripts/test installs it)") from None
    except subprocess.TimeoutExpired:
        raise BoxUnavailable(f"{what}: no end after {timeout:g} s") from None
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise BoxUnavailable(f"{what} failed (exit {done.returncode}):\n{tail}")


def _configure(rootfs: Path, key: Path) -> None:
    for rel, text in ROOTFS_FILES.items():
        path = rootfs / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)  # resolv.conf may be a dangling symlink
        path.write_text(text)
    (rootfs / "etc/sudoers.d/vagrant").chmod(0o440)
    chroot = ["chroot", str(rootfs)]
    _run(
        [*chroot, "useradd", "--create-home", "--uid", "1000", "--shell", "/bin/bash", "vagrant"],
        timeout=60,
        what="useradd",
    )
    ssh = rootfs / "home/vagrant/.ssh"
    ssh.mkdir(mode=0o700)
    (ssh / "authorized_keys").write_bytes(key.read_bytes())
    (ssh / "authorized_keys").chmod(0o600)
    _run([*chroot, "chown", "-R", "vagrant:vagrant", "/home/vagrant/.ssh"], timeout=60, what="chown")
    _run([*chroot, "systemctl", "enable", "systemd-networkd", "ssh"], timeout=60, what="systemctl enable")
    # Units that only delay a test guest's boot: nothing waits for "network online", and there is
    # no point in scrubbing ext4 metadata of a disk that lives for minutes.
    masked = ("systemd-networkd-wait-online.service", "e2scrub_reap.service", "e2scrub_all.timer")
    _run([*chroot, "systemctl", "mask", *masked], timeout=60, what="systemctl mask")
    (rootfs / "etc/machine-id").write_text("")  # each guest makes its own at first boot


def build(destination: Path, workdir: Path) -> Path:
    """Build the box file ``destination`` in ``workdir`` (a folder the caller removes)."""
    key = vagrant_public_key()
    rootfs = workdir / "rootfs"
    # mmdebstrap: apt's parallel downloads and one dpkg run, half the time debootstrap takes (39 s vs 72 s here).
    _run(
        ["mmdebstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE, str(rootfs), MIRROR],
        timeout=1200,
        what="mmdebstrap",
    )
    _configure(rootfs, key)
    release = kernel_release()
    _install_modules(rootfs, release)
    for rel in PRUNED:
        shutil.rmtree(rootfs / rel, ignore_errors=True)
    box = workdir / "box"
    box.mkdir()
    shutil.copyfile(f"/boot/vmlinuz-{release}", box / "vmlinuz")
    (box / "initrd.img").write_bytes(initramfs(release, INITRD_MODULES, INIT))
    raw = workdir / "disk.raw"
    with raw.open("wb") as handle:
        handle.truncate(DISK_GIB * 1024**3)
    _run(["mkfs.ext4", "-q", "-F", "-L", "root", "-d", str(rootfs), str(raw)], timeout=600, what="mkfs.ext4 -d")
    _run(["qemu-img", "convert", "-O", "qcow2", str(raw), str(box / "box.img")], timeout=600, what="qemu-img convert")
    raw.unlink()
    metadata = {"provider": "libvirt", "format": "qcow2", "virtual_size": DISK_GIB}
    (box / "metadata.json").write_text(json.dumps(metadata) + "\n")
    (box / "Vagrantfile").write_text(BOX_VAGRANTFILE)
    partial = destination.with_name(destination.name + ".partial")
    with tarfile.open(partial, "w") as tar:  # uncompressed: qcow2 is compact already, and tar is fast
        for name in ("metadata.json", "Vagrantfile", "box.img", "vmlinuz", "initrd.img"):
            tar.add(box / name, arcname=name)
    partial.replace(destination)
    return destination


def ensure_box(cache: Path | None = None) -> Path:
    """The box file for the current inputs: taken from the cache, or built once and cached.

    Concurrent callers wait for one build (a lock file in the cache folder). Boxes of older inputs
    are removed when a new one is built.

    Raises:
        BoxUnavailable: A program is missing (mmdebstrap, mkfs.ext4, qemu-img) or a step failed.
    """
    if os.geteuid() != 0:
        raise BoxUnavailable("building the box needs root (mmdebstrap, chroot)")
    folder = cache or cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        box = folder / f"debian12-{input_hash()}.box"
    except KernelUnavailable as exc:
        raise BoxUnavailable(str(exc)) from exc
    with (folder / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if box.is_file():
            return box
        for old in folder.glob("debian12-*.box*"):
            old.unlink()
        with tempfile.TemporaryDirectory(prefix="build-", dir=folder) as workdir:
            try:
                return build(box, Path(workdir))
            except KernelUnavailable as exc:
                raise BoxUnavailable(str(exc)) from exc


if __name__ == "__main__":
    try:
        print(ensure_box())
    except BoxUnavailable as exc:
        sys.exit(f"box: {exc}")
