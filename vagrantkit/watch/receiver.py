"""vagrantkit watch's receiver: runs in the guest and makes its NFS client see host edits at once.

This one file is sent to the guest the way the bench runner is (``python3 -c LOADER``, see
``vagrantkit/bench/transport.py``); it uses the standard library only and runs on Python 3.8+.

Mounted with long attribute caching (``actimeo=60,nocto``), the guest's NFS client answers stat
and open from its cache: as fast as the guest disk, but a host edit stays invisible for up to a
minute. Told which paths changed on the host, the receiver revalidates each with
``statx(AT_STATX_FORCE_SYNC)``: the client fetches that file's attributes from the server (a
GETATTR) and the next stat, open or read sees the host's version, with or without close-to-open.
For a file created, deleted or renamed it revalidates the folder too, so the client's name cache
learns of it. It never writes a file, so nothing comes back to the host (but see ``--inotify``).

The protocol is one JSON object per line, both ways (the first line of stdin, read by the loader,
is not part of it):

host -> guest::

    {"hello": true}                            # answered with a hello (sent again until one comes)
    {"id": 7, "changes": [["modified", "/vagrant/app/views.py"], ["added", "/vagrant/app/new.py"],
                          ["deleted", "/vagrant/app/old.py"]]}
    {"id": 8, "folders": ["/vagrant/app"]}     # the folder and every entry in it
    {"id": 9, "trees": ["/vagrant"]}           # every folder and file below, recursively

guest -> host::

    {"hello": {"receiver": 1, "python": "3.11.2", "statx": true, "inotify": false, "mounts": "<its /proc/mounts>"}}
    {"ack": 7, "revalidated": 5, "missing": 1, "failed": 0, "ms": 3.1}
    {"error": "..."}                           # a line it could not use; it goes on

``--inotify``: tools that listen to inotify in the guest (watchman, webpack, chokidar) hear nothing
of host edits over NFS. With this flag the receiver also sets each changed file's (or, for a
create or delete, its folder's) times to the values they already have: the guest kernel emits
IN_ATTRIB for it. The server sees a SETATTR that changes nothing but the file's ctime; the host
side drops the host event that follows (its size and mtime are what it last forwarded), so it
never comes back as a loop.

Exit: 0 when stdin ends (the host closed the session), 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import json
import os
import platform
import sys
import time
from typing import Any

PROTOCOL = 1
AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW = 0x100
AT_STATX_FORCE_SYNC = 0x2000
STATX_BASIC_STATS = 0x7FF
# statx(2) by number where libc has no wrapper (glibc < 2.28, old musl).
STATX_SYSCALL = {"x86_64": 332, "aarch64": 291, "armv7l": 397, "i686": 383, "ppc64le": 383, "s390x": 379}
KINDS = ("modified", "added", "deleted")


class Revalidator:
    """Forces the guest's file-system client to fetch a path's attributes from the server."""

    def __init__(self) -> None:
        self.buffer = ctypes.create_string_buffer(256)  # struct statx is 256 bytes
        self.call = self._find_statx()

    @staticmethod
    def _find_statx() -> Any:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        statx = getattr(libc, "statx", None)
        if statx is not None:
            statx.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p)
            return statx
        number = STATX_SYSCALL.get(platform.machine())
        if number is None:
            return None
        syscall = libc.syscall

        def by_number(dirfd: int, path: bytes, flags: int, mask: int, buf: Any) -> int:
            return int(syscall(ctypes.c_long(number), dirfd, path, flags, ctypes.c_uint(mask), buf))

        return by_number

    def force(self, path: str) -> int:
        """Revalidate ``path`` (a symlink itself, not its target). Returns 0, or the errno."""
        if self.call is None:
            # No statx here (kernel < 4.11): an open makes the client revalidate, under close-to-open.
            try:
                os.close(os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK))
                return 0
            except OSError as exc:
                return exc.errno or 1
        flags = AT_SYMLINK_NOFOLLOW | AT_STATX_FORCE_SYNC
        if self.call(AT_FDCWD, os.fsencode(path), flags, STATX_BASIC_STATS, self.buffer) == 0:
            return 0
        return ctypes.get_errno() or 1


class Receiver:
    """Carries out the host's messages; one :class:`Revalidator` for the session."""

    def __init__(self, inotify: bool = False) -> None:
        self.revalidator = Revalidator()
        self.inotify = inotify

    def hello(self) -> dict[str, Any]:
        return {
            "hello": {
                "receiver": PROTOCOL,
                "python": platform.python_version(),
                "statx": self.revalidator.call is not None,
                "inotify": self.inotify,
                "mounts": read_mounts(),
            }
        }

    def handle(self, message: dict[str, Any]) -> dict[str, Any]:
        """One message from the host -> its acknowledgement."""
        began = time.perf_counter()
        counts = {"revalidated": 0, "missing": 0, "failed": 0}
        done = set()

        def force(path: str, touch: bool = False) -> None:
            if path in done:
                return
            done.add(path)
            err = self.revalidator.force(path)
            if err == 0:
                counts["revalidated"] += 1
                if touch and self.inotify:
                    self._touch(path)
            elif err in (2, 20, 116):  # ENOENT, ENOTDIR, ESTALE: it is gone, and the client knows now
                counts["missing"] += 1
            else:
                counts["failed"] += 1

        for kind, path in _changes(message.get("changes", [])):
            parent = os.path.dirname(path)
            if kind != "modified":
                # The folder first: its new mtime makes the client look the name up again.
                force(parent, touch=kind == "deleted")
            force(path, touch=kind != "deleted")
        for folder in _paths(message.get("folders", [])):
            force(folder)
            for entry in _entries(folder):
                force(entry)
        for top in _paths(message.get("trees", [])):
            force(top)
            for root, dirs, files in os.walk(top):
                for name in dirs + files:
                    force(os.path.join(root, name))
        ack = {"ack": message.get("id")}
        ack.update(counts)
        ack["ms"] = round((time.perf_counter() - began) * 1000, 3)
        return ack

    @staticmethod
    def _touch(path: str) -> None:
        # Its own times again: IN_ATTRIB in the guest, nothing new on the host but ctime.
        try:
            st = os.lstat(path)
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)
        except (OSError, NotImplementedError):
            pass


def _paths(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError("expected a list of paths")
    for path in value:
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"not an absolute path: {path!r}")
    return value


def _changes(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError("changes: expected a list of [kind, path]")
    for change in value:
        if not (isinstance(change, list) and len(change) == 2 and change[0] in KINDS):
            raise ValueError(f"not a change: {change!r} (kinds: {', '.join(KINDS)})")
        _paths([change[1]])
    return value


def _entries(folder: str) -> list[Any]:
    try:
        with os.scandir(folder) as found:
            return [entry.path for entry in found]
    except OSError:
        return []


def read_mounts() -> str:
    """The guest's /proc/mounts, as it is (the host parses it)."""
    try:
        with open("/proc/mounts", encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def serve(reader: Any, writer: Any, receiver: Receiver) -> None:
    """Answer each line of ``reader`` (bytes) on ``writer`` until ``reader`` ends."""

    def say(obj: dict[str, Any]) -> None:
        writer.write(json.dumps(obj).encode() + b"\n")
        writer.flush()

    for line in iter(reader.readline, b""):
        if not line.strip():
            continue
        message = None
        try:
            message = json.loads(line)
            if not isinstance(message, dict):
                raise ValueError("expected a JSON object")
            if message.get("bye"):
                return
            say(receiver.hello() if message.get("hello") else receiver.handle(message))
        except ValueError as exc:
            say({"error": f"{exc}", "id": message.get("id") if isinstance(message, dict) else None})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="receiver.py", description="vagrantkit watch's guest side")
    parser.add_argument("--inotify", action="store_true", help="also emit IN_ATTRIB for each change in the guest")
    parser.add_argument("--device", help="talk over this character device (a virtio port) instead of stdin/stdout")
    args = parser.parse_args(argv)
    receiver = Receiver(inotify=args.inotify)
    try:
        if not args.device:
            serve(sys.stdin.buffer, sys.stdout.buffer, receiver)
        while args.device:  # a virtio port: the host may connect again after its end closed
            # Opened once (a virtio port takes one open at a time: EBUSY), read and written through two files.
            fd = os.open(args.device, os.O_RDWR)
            with os.fdopen(fd, "rb") as reader, os.fdopen(os.dup(fd), "wb", buffering=0) as writer:
                serve(reader, writer, receiver)
            time.sleep(0.2)
    except (BrokenPipeError, KeyboardInterrupt):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
