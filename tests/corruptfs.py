"""A FUSE file system that loses data: a pass-through view of a folder whose chosen files do not keep what is written.

It speaks the kernel's FUSE protocol on ``/dev/fuse`` itself (standard library only: no libfuse
binding, no new dependency) and mounts with mount(2), so it needs root, as the tmpfs fixture does.
Every file is opened with ``FOPEN_DIRECT_IO`` and no attribute or name is cached, so each read,
write and stat reaches this daemon, as each call reaches a file server.

What it does to the files whose name is given (a basename; also ``NAME.*``, the temporary file an
atomic write renames over it), as WinNFSd does to some:

- ``--zero NAME``: writes are acknowledged and dropped, the file stays empty (winnfsd#62);
- ``--flip NAME``: the first byte of each write is changed (silent corruption, size intact);
- ``--eio NAME``: reads fail with EIO (winnfsd#101).

Run as a process: ``python corruptfs.py BACKING POINT [--zero NAME ...]``; it prints ``ready`` once
mounted and serves until SIGTERM or the mount goes away. :func:`tests.mounts.corrupting` wraps it.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import errno
import os
import signal
import stat
import struct
import sys

FUSE_LOOKUP, FUSE_FORGET, FUSE_GETATTR, FUSE_SETATTR = 1, 2, 3, 4
FUSE_MKDIR, FUSE_UNLINK, FUSE_RMDIR, FUSE_RENAME = 9, 10, 11, 12
FUSE_OPEN, FUSE_READ, FUSE_WRITE, FUSE_STATFS, FUSE_RELEASE = 14, 15, 16, 17, 18
FUSE_FSYNC, FUSE_FLUSH, FUSE_INIT = 20, 25, 26
FUSE_OPENDIR, FUSE_READDIR, FUSE_RELEASEDIR, FUSE_FSYNCDIR = 27, 28, 29, 30
FUSE_ACCESS, FUSE_CREATE, FUSE_INTERRUPT, FUSE_DESTROY, FUSE_BATCH_FORGET = 34, 35, 36, 38, 42
NO_REPLY = (FUSE_FORGET, FUSE_BATCH_FORGET, FUSE_INTERRUPT)
FOPEN_DIRECT_IO = 1
FATTR_MODE, FATTR_SIZE, FATTR_ATIME, FATTR_MTIME, FATTR_ATIME_NOW, FATTR_MTIME_NOW = 1, 8, 16, 32, 128, 256
IN_HEADER = struct.Struct("<IIQQIIII")  # len, opcode, unique, nodeid, uid, gid, pid, padding
OUT_HEADER = struct.Struct("<IiQ")  # len, error, unique
ATTR = struct.Struct("<QQQQQQIIIIIIIIII")  # fuse_attr (protocol 7.9+): 88 bytes
MS_NOSUID, MS_NODEV = 2, 4


def _attr(ino: int, st: os.stat_result) -> bytes:
    return ATTR.pack(
        ino,
        st.st_size,
        st.st_blocks,
        int(st.st_atime),
        int(st.st_mtime),
        int(st.st_ctime),
        st.st_atime_ns % 10**9,
        st.st_mtime_ns % 10**9,
        st.st_ctime_ns % 10**9,
        st.st_mode,
        st.st_nlink,
        st.st_uid,
        st.st_gid,
        0,
        4096,
        0,
    )


class CorruptFS:
    """The daemon: node ids stand for paths under ``backing``; open files are real file descriptors."""

    def __init__(self, backing: str, zero: set[str], flip: set[str], eio: set[str]) -> None:
        self.backing = backing
        self.zero, self.flip, self.eio = zero, flip, eio
        self.chosen = zero | flip | eio
        self.paths = {1: backing}
        self.ids = {backing: 1}
        self.names: dict[int, str] = {}  # open file handle -> its basename
        self.dirs: dict[int, list[tuple[int, int, str]]] = {}
        self.next_handle = 1

    def node(self, path: str) -> int:
        if path not in self.ids:
            self.ids[path] = len(self.paths) + 1
            self.paths[self.ids[path]] = path
        return self.ids[path]

    def entry(self, path: str) -> bytes:
        st = os.lstat(path)
        node = self.node(path)
        return struct.pack("<QQQQII", node, 0, 0, 0, 0, 0) + _attr(node, st)  # nothing cached

    def moved(self, old: str, new: str) -> None:
        for path in [p for p in self.ids if p == old or p.startswith(old + "/")]:
            node = self.ids.pop(path)
            renamed = new + path[len(old) :]
            self.paths[node], self.ids[renamed] = renamed, node

    def handle(self, opcode: int, nodeid: int, body: bytes) -> bytes:
        path = self.paths.get(nodeid, "")
        if opcode == FUSE_INIT:
            _major, minor, readahead, _flags = struct.unpack_from("<IIII", body)
            return struct.pack("<IIIIHHIIHHI28x", 7, min(minor, 31), readahead, 0, 16, 12, 1 << 17, 1, 32, 0, 0)
        if opcode == FUSE_LOOKUP:
            return self.entry(os.path.join(path, body.split(b"\0")[0].decode()))
        if opcode == FUSE_GETATTR:
            return struct.pack("<QII", 0, 0, 0) + _attr(nodeid, os.lstat(path))
        if opcode == FUSE_SETATTR:
            valid, _, _fh, size, _, atime, mtime, _, atime_ns, mtime_ns, _, mode = struct.unpack_from(
                "<IIQQQQQQIIII", body
            )
            if valid & FATTR_SIZE:
                os.truncate(path, size)
            if valid & FATTR_MODE:
                os.chmod(path, stat.S_IMODE(mode))
            if valid & (FATTR_ATIME_NOW | FATTR_MTIME_NOW):
                os.utime(path)
            elif valid & (FATTR_ATIME | FATTR_MTIME):
                os.utime(path, ns=(atime * 10**9 + atime_ns, mtime * 10**9 + mtime_ns))
            return struct.pack("<QII", 0, 0, 0) + _attr(nodeid, os.lstat(path))
        if opcode == FUSE_MKDIR:
            mode, _umask = struct.unpack_from("<II", body)
            child = os.path.join(path, body[8:].split(b"\0")[0].decode())
            os.mkdir(child, stat.S_IMODE(mode))
            return self.entry(child)
        if opcode in (FUSE_UNLINK, FUSE_RMDIR):
            child = os.path.join(path, body.split(b"\0")[0].decode())
            (os.unlink if opcode == FUSE_UNLINK else os.rmdir)(child)
            self.ids.pop(child, None)
            return b""
        if opcode == FUSE_RENAME:
            (newdir,) = struct.unpack_from("<Q", body)
            old_name, new_name = body[8:].split(b"\0")[:2]
            old = os.path.join(path, old_name.decode())
            new = os.path.join(self.paths[newdir], new_name.decode())
            os.rename(old, new)
            self.ids.pop(new, None)
            self.moved(old, new)
            return b""
        if opcode in (FUSE_OPEN, FUSE_CREATE):
            flags = struct.unpack_from("<I", body)[0] & ~(os.O_CREAT | os.O_EXCL)
            if opcode == FUSE_CREATE:
                mode = struct.unpack_from("<I", body, 4)[0]
                path = os.path.join(path, body[16:].split(b"\0")[0].decode())
                os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, stat.S_IMODE(mode)))
            fd = os.open(path, flags & ~os.O_APPEND)  # the kernel sends each write's offset
            name = os.path.basename(path)
            self.names[fd] = next((c for c in self.chosen if name == c or name.startswith(c + ".")), name)
            out = struct.pack("<QII", fd, FOPEN_DIRECT_IO, 0)
            return self.entry(path) + out if opcode == FUSE_CREATE else out
        if opcode == FUSE_READ:
            fh, offset, size = struct.unpack_from("<QQI", body)
            if self.names.get(fh) in self.eio:
                raise OSError(errno.EIO, "injected")
            return os.pread(fh, size, offset)
        if opcode == FUSE_WRITE:
            fh, offset, size = struct.unpack_from("<QQI", body)
            data = body[40 : 40 + size]
            name = self.names.get(fh)
            if name in self.flip and data:
                data = bytes([data[0] ^ 0xFF]) + data[1:]
            if name not in self.zero:
                os.pwrite(fh, data, offset)
            return struct.pack("<II", size, 0)  # acknowledged either way
        if opcode == FUSE_RELEASE:
            (fh,) = struct.unpack_from("<Q", body)
            self.names.pop(fh, None)
            os.close(fh)
            return b""
        if opcode == FUSE_OPENDIR:
            handle = self.next_handle
            self.next_handle += 1
            listing = [(nodeid, stat.S_IFDIR, "."), (1, stat.S_IFDIR, "..")]
            for item in os.scandir(path):
                listing.append((item.inode(), stat.S_IFMT(item.stat(follow_symlinks=False).st_mode), item.name))
            self.dirs[handle] = listing
            return struct.pack("<QII", handle, 0, 0)
        if opcode == FUSE_READDIR:
            fh, offset, size = struct.unpack_from("<QQI", body)
            out = b""
            for index, (ino, kind, name) in enumerate(self.dirs[fh][offset:], start=offset + 1):
                raw = name.encode()
                record = struct.pack("<QQII", ino, index, len(raw), kind >> 12) + raw
                record += b"\0" * (-len(record) % 8)
                if len(out) + len(record) > size:
                    break
                out += record
            return out
        if opcode == FUSE_RELEASEDIR:
            self.dirs.pop(struct.unpack_from("<Q", body)[0], None)
            return b""
        if opcode == FUSE_STATFS:
            s = os.statvfs(self.backing)
            return struct.pack(
                "<QQQQQIIII24x", s.f_blocks, s.f_bfree, s.f_bavail, s.f_files, s.f_ffree, s.f_bsize, 255, s.f_frsize, 0
            )
        if opcode in (FUSE_FLUSH, FUSE_FSYNC, FUSE_FSYNCDIR, FUSE_ACCESS):
            return b""
        raise OSError(errno.ENOSYS, "not implemented")

    def serve(self, fd: int) -> None:
        while True:
            try:
                request = os.read(fd, 1 << 20)
            except OSError as exc:
                if exc.errno in (errno.EINTR, errno.EAGAIN, errno.ENOENT):
                    continue  # ENOENT: a request the kernel took back (interrupted)
                return  # ENODEV: unmounted
            if not request:
                return
            _, opcode, unique, nodeid, *_ = IN_HEADER.unpack_from(request)
            if opcode in NO_REPLY:
                continue
            if opcode == FUSE_DESTROY:
                return
            try:
                body, error = self.handle(opcode, nodeid, request[IN_HEADER.size :]), 0
            except OSError as exc:
                body, error = b"", -(exc.errno or errno.EIO)
            with contextlib.suppress(OSError):  # the request was interrupted meanwhile
                os.write(fd, OUT_HEADER.pack(OUT_HEADER.size + len(body), error, unique) + body)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("backing")
    parser.add_argument("point")
    for name in ("zero", "flip", "eio"):
        parser.add_argument(f"--{name}", action="append", default=[])
    a = parser.parse_args(argv)
    fd = os.open("/dev/fuse", os.O_RDWR)
    libc = ctypes.CDLL(None, use_errno=True)
    options = f"fd={fd},rootmode=40000,user_id=0,group_id=0,allow_other".encode()
    if libc.mount(b"corruptfs", a.point.encode(), b"fuse.corruptfs", MS_NOSUID | MS_NODEV, options) != 0:
        sys.stderr.write(f"mount: {os.strerror(ctypes.get_errno())}\n")
        return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    CorruptFS(os.path.abspath(a.backing), set(a.zero), set(a.flip), set(a.eio)).serve(fd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
