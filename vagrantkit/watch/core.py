"""``vagrantkit watch``: host edits pushed into the guest, so its NFS client can cache and stay fresh.

Three parts (see the package's modules): watchfiles watches the host folders of the guest's NFS
mounts and feeds :class:`~vagrantkit.watch.changes.Pending`; :class:`Watch` sends what is pending
over one long-lived session (:mod:`vagrantkit.watch.link`) to the receiver in the guest
(:mod:`vagrantkit.watch.receiver`), which revalidates each path, and waits for its
acknowledgement. A session that drops is opened again, with backoff; what changed meanwhile is
still pending (or collapsed into its folders), so it is delivered after the reconnect. Nothing on
the host is ever written.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol

from vagrantkit.bench import runner as bench_runner
from vagrantkit.errors import InvalidValue, VagrantkitError
from vagrantkit.exports import export_of, host_folder
from vagrantkit.filesystems import Kind, kind_of
from vagrantkit.watch.changes import LIMIT, Batch, Folder, Pending
from vagrantkit.watch.link import Channel, Link, LinkError, SshConfigSource

if TYPE_CHECKING:
    from vagrantkit.vagrant_adapter import MachineStatus

DEBOUNCE_MS = 30  # watchfiles: the longest a batch is held to gather more changes
STEP_MS = 10  # watchfiles: a batch goes once no change came for this long
HELLO_TIMEOUT = 60.0  # the guest's python3 starting, under software emulation too
ACK_TIMEOUT = 60.0  # a tree revalidation of a big project can take this long
BACKOFF = (0.5, 30.0)  # first and longest wait between two connection attempts
SIGNATURES = 10_000  # --inotify: forwarded files remembered, to tell our own echo from an edit


class WatchVagrant(SshConfigSource, Protocol):
    """The Vagrant verbs watch uses (VagrantAdapter has them): the link's ``ssh_config``, and ``status``."""

    def status(self) -> list[MachineStatus]: ...


@dataclass
class WatchStats:
    """What watch did; the CLI prints it when watch stops."""

    machine: str
    folders: list[Folder] = field(default_factory=list)
    sessions: int = 0
    batches: int = 0
    changes: int = 0
    last_ms: float | None = None
    last_ack: dict[str, object] = field(default_factory=dict)  # the receiver's counts for the last batch
    echoes: int = 0  # --inotify: host events that were our own SETATTR coming back, dropped
    errors: list[str] = field(default_factory=list)


class NoAnswer(LinkError):
    """The receiver said nothing in time (the session may still be open)."""


def folders_from_mounts(mounts_text: str, resolve: Callable[[str], Path | None]) -> list[Folder]:
    """The guest's NFS mounts whose export is a folder of this host, as synced folders."""
    found = []
    for mount in bench_runner.parse_proc_mounts(mounts_text):
        if kind_of(mount["fs_type"]) is not Kind.NFS:
            continue
        exported = export_of(mount["source"])
        host = resolve(exported) if exported is not None else None
        if host is not None:
            found.append(Folder(host, PurePosixPath(mount["point"])))
    return found


class Watch:
    """Watch the folders, forward their changes, reconnect when the session drops; :meth:`run` blocks.

    Args:
        link: How to reach the receiver.
        machine: For messages.
        folders: Host folder -> guest path; default: the guest's NFS mounts (from the receiver's hello).
        notify: Gets each status line (connected, forwarded, dropped).
        inotify: The receiver also emits an inotify event in the guest for each change.
        limit: Past this many pending paths, their folders are revalidated instead (see Pending).
        stop: Set it to stop :meth:`run` (it returns normally).
    """

    def __init__(
        self,
        link: Link,
        machine: str,
        *,
        folders: Sequence[Folder] = (),
        notify: Callable[[str], None] = lambda _: None,
        inotify: bool = False,
        limit: int = LIMIT,
        debounce_ms: int = DEBOUNCE_MS,
        backoff: tuple[float, float] = BACKOFF,
        stop: threading.Event | None = None,
    ) -> None:
        self.link = link
        self.stats = WatchStats(machine, list(folders))
        self.notify = notify
        self.inotify = inotify
        self.limit = limit
        self.debounce_ms = debounce_ms
        self.backoff = backoff
        self.stop = stop or threading.Event()
        self.pending: Pending | None = None
        self.watching = threading.Event()  # set once watchfiles watches (tests wait for it)
        self._watcher: threading.Thread | None = None
        self._failure: BaseException | None = None
        self._sent: OrderedDict[str, tuple[int, int]] = OrderedDict()
        self._ident = 0

    def run(self) -> WatchStats:
        """Until :attr:`stop` is set. Raises VagrantkitError if there is nothing to watch or watching fails."""
        delay = self.backoff[0]
        try:
            while not self.stop.is_set():
                channel: Channel | None = None
                try:
                    channel = self.link.open()
                    self._greet(channel)
                    delay = self.backoff[0]
                    self._serve(channel)
                except LinkError as exc:
                    if self.stop.is_set():
                        break
                    self.notify(f"watch: {exc.message}; connecting again in {delay:g} s")
                    self.stop.wait(delay)
                    delay = min(delay * 2, self.backoff[1])
                finally:
                    if channel is not None:
                        channel.close()
                self._check_watcher()
        finally:
            self.stop.set()
            if self._watcher is not None:
                self._watcher.join(5)
        return self.stats

    def _greet(self, channel: Channel) -> None:
        # Asked for until it comes: over a virtio port, what is sent before the guest opens it is lost.
        deadline = time.monotonic() + HELLO_TIMEOUT
        while True:
            channel.send(b'{"hello": true}\n')
            try:
                hello = self._expect(channel, "hello", 1.0)["hello"]
                break
            except NoAnswer:
                if time.monotonic() > deadline or self.stop.is_set():
                    raise
        if not self.stats.folders:
            self.stats.folders = folders_from_mounts(str(hello.get("mounts", "")), host_folder)
            if not self.stats.folders:
                raise VagrantkitError(
                    f"{self.stats.machine} mounts no NFS folder of this host: nothing to keep fresh",
                    hint="watch forwards edits to NFS synced folders (vagrantkit init renders one); "
                    "name a folder with --folder HOST=GUEST.",
                )
        if not hello.get("statx"):
            self.notify("watch: the guest has no statx (kernel < 4.11): revalidating by open, close-to-open only")
        self.stats.sessions += 1
        if self._watcher is None:
            self.pending = Pending(self.stats.folders, self.limit)
            self._watcher = threading.Thread(target=self._watch, name="watchfiles", daemon=True)
            self._watcher.start()
        shown = ", ".join(f"{f.host} -> {f.guest}" for f in self.stats.folders)
        again = " again" if self.stats.sessions > 1 else ""
        self.notify(f"watch: connected{again} to {self.stats.machine} over {self.link.name}: {shown}")

    def _serve(self, channel: Channel) -> None:
        assert self.pending is not None
        while not self.stop.is_set():
            self._check_watcher()
            batch = self.pending.take(timeout=0.25)
            if batch is None:
                channel.receive(0)  # an idle session that ended says so now (LinkError), not at the next edit
                continue
            self._ident += 1
            try:
                channel.send(json.dumps(batch.message(self._ident)).encode() + b"\n")
                ack = self._expect(channel, "ack", ACK_TIMEOUT, self._ident)
            except LinkError:
                self.pending.put_back(batch)
                raise
            self._delivered(batch, ack)

    def _delivered(self, batch: Batch, ack: dict[str, object]) -> None:
        ms = (time.monotonic() - batch.since) * 1000
        self.stats.batches += 1
        self.stats.changes += batch.size
        self.stats.last_ms = ms
        self.stats.last_ack = ack
        what = [f"{len(batch.changes)} change{'s' if len(batch.changes) != 1 else ''}"] if batch.changes else []
        what += [f"{len(batch.folders)} folders"] if batch.folders else []
        what += [f"{len(batch.trees)} trees"] if batch.trees else []
        self.notify(
            f"watch: forwarded {', '.join(what)} in {ms:.0f} ms "
            f"(guest {ack.get('ms', '?')} ms; {self.stats.changes} in all)"
        )

    def _expect(self, channel: Channel, key: str, timeout: float, ident: int | None = None) -> dict[str, Any]:
        """The next message with ``key`` (and id ``ident``); anything else the receiver said is noted."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            line = channel.receive(min(left, 0.5))
            if line is None:
                if self.stop.is_set():
                    raise LinkError("stopping")
                continue
            try:
                message = json.loads(line)
            except ValueError:
                continue  # not ours (a shell that prints on start)
            if not isinstance(message, dict):
                continue
            if "error" in message:
                self.stats.errors.append(str(message["error"]))
                self.notify(f"watch: the receiver refused a message: {message['error']}")
                if ident is not None and message.get("id") == ident:
                    return {"ack": ident}
            if key in message and (ident is None or message.get(key) == ident):
                return message
        raise NoAnswer(f"no {key} from the receiver in {timeout:g} s")

    # --- the watching thread -----------------------------------------------------------

    def _watch(self) -> None:
        import watchfiles

        assert self.pending is not None
        try:
            self.watching.set()
            for changes in watchfiles.watch(
                *(f.host for f in self.stats.folders),
                watch_filter=None,  # everything: a guest's git, pytest or webpack reads them all
                debounce=self.debounce_ms,
                step=STEP_MS,
                stop_event=self.stop,
                yield_on_timeout=False,
                raise_interrupt=False,
                ignore_permission_denied=True,
            ):
                real = {(int(c), _real(p)) for c, p in changes}
                self.pending.add(self._not_echoes(real), time.monotonic())
        except BaseException as exc:  # handed to the main thread, which raises it
            self._failure = exc
            self.stop.set()

    def _not_echoes(self, changes: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
        """With --inotify: a modified file whose size and mtime are what was last forwarded is our
        own SETATTR (the receiver's IN_ATTRIB) coming back; dropped, so there is no loop."""
        if not self.inotify:
            return list(changes)
        kept = []
        for change in changes:
            signature = _signature(change[1])
            if change[0] == 2 and signature is not None and self._sent.get(change[1]) == signature:
                self.stats.echoes += 1
                continue
            if signature is not None:
                self._sent[change[1]] = signature
                self._sent.move_to_end(change[1])
                while len(self._sent) > SIGNATURES:
                    self._sent.popitem(last=False)
            kept.append(change)
        return kept

    def _check_watcher(self) -> None:
        if self._failure is not None:
            exc, self._failure = self._failure, None
            if isinstance(exc, VagrantkitError):
                raise exc
            raise VagrantkitError(f"watching the host folders failed: {exc}") from exc


def _real(path: str) -> str:
    """Where a reported path really is: watchfiles follows symlinks, so an edit in a folder outside
    the synced one, linked from inside, is reported inside; its real place is outside (ignored)."""
    folder, name = os.path.split(path)
    return os.path.join(os.path.realpath(folder), name)


def _signature(path: str) -> tuple[int, int] | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns // 1000  # microseconds: what every NFS server keeps


def parse_folder(text: str) -> Folder:
    """``--folder HOST=GUEST``: an existing host folder and an absolute guest path.

    Raises:
        InvalidValue: Either part is missing or wrong.
    """
    allowed = "HOST=GUEST: a folder of this host and the absolute path the guest mounts it at"
    host, sep, guest = text.rpartition("=")
    if not sep or not host or not guest.startswith("/"):
        raise InvalidValue("--folder", text, allowed)
    path = Path(host).expanduser()
    if not path.is_dir():
        raise InvalidValue("--folder", text, f"{allowed} ({host} is not a folder here)")
    return Folder(path.resolve(), PurePosixPath(guest))


def run_watch(
    project: Path,
    *,
    machine: str | None = None,
    folders: Sequence[Folder] = (),
    inotify: bool = False,
    notify: Callable[[str], None] = lambda _: None,
    adapter: WatchVagrant | None = None,
    link: Link | None = None,
    stop: threading.Event | None = None,
) -> WatchStats:
    """Find the machine, hold its watch lock, watch until ``stop`` is set (or Ctrl-C).

    Raises:
        VagrantkitError: No Vagrantfile, no such machine, one not created, another watch running.
    """
    if adapter is None:
        from vagrantkit.vagrant_adapter import VagrantAdapter

        if not (project / "Vagrantfile").is_file():
            raise VagrantkitError(
                f"no Vagrantfile in {project.resolve()}",
                hint="Run watch in the project folder (where `vagrant up` runs).",
            )
        adapter = VagrantAdapter(project)
    machines = adapter.status()
    chosen = [m for m in machines if m.name == machine] if machine else machines[:1]
    if not chosen:
        names = ", ".join(m.name for m in machines) or "none"
        raise InvalidValue("--machine", machine, f"a machine of this project ({names})")
    found = chosen[0]
    if found.state == "not_created":
        raise VagrantkitError(
            f"{found.name} is not created: nothing to watch for",
            hint=f"`vagrant up {found.name}`, then run watch again.",
        )
    if found.state != "running":
        notify(f"watch: {found.name} is {found.state}; watch connects once it runs")
    from vagrantkit.watch.link import SshLink
    from vagrantkit.watch.lock import hold

    with hold(project, found.name):
        link = link or SshLink(adapter, found.name, ["--inotify"] if inotify else [])
        return Watch(link, found.name, folders=folders, notify=notify, inotify=inotify, stop=stop).run()
