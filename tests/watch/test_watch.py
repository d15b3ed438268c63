"""vagrantkit watch for real: watchfiles on a host folder, OpenSSH to a real server, the receiver
revalidating a view that caches attributes for a minute (see conftest.py)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from tests.watch.conftest import CACHE, World, wait_for


def _cache(path: Path) -> int:
    """Stat through the view, so the kernel caches what it sees now."""
    return path.stat().st_size


def _fresh(view: Path, size: int) -> bool:
    try:
        return view.stat().st_size == size
    except FileNotFoundError:
        return False


def test_without_watch_the_view_keeps_a_host_edit_unseen(world: World) -> None:
    """The control: the view really caches, so what the other tests see is watch's doing."""
    (world.host / "app.py").write_text("a")
    assert _cache(world.view / "app.py") == 1
    (world.host / "app.py").write_text("abc")
    time.sleep(1.5)
    assert _cache(world.view / "app.py") == 1, f"the view should cache attributes for {CACHE:g} s"


def test_host_edits_are_seen_at_once_in_place_by_rename_with_spaces_and_non_ascii(world: World) -> None:
    names = ["app.py", "dir with space/ünïcödé views.py"]
    for name in names:
        (world.host / name).parent.mkdir(exist_ok=True)
        (world.host / name).write_text("a")
        assert _cache(world.view / name) == 1
    running = world.start()
    try:
        (world.host / names[0]).write_text("in place")  # nano, most IDEs
        temporary = world.host / "dir with space" / ".tmp-save"
        temporary.write_text("by rename, as vim does")
        os.replace(temporary, world.host / names[1])
        seconds = wait_for(lambda: _fresh(world.view / names[0], 8), 10, "the in-place edit in the view")
        wait_for(lambda: _fresh(world.view / names[1], 22), 10, "the renamed-over file in the view")
    finally:
        running.close()
    assert seconds < CACHE
    assert world.lines[0].startswith(f"watch: connected to default over ssh: {world.host} -> {world.view}")
    assert any(line.startswith("watch: forwarded ") for line in world.lines)
    assert running.watch.stats.last_ack.get("failed") == 0


def test_ssh_killed_reconnects_and_delivers_what_changed_meanwhile(world: World) -> None:
    (world.host / "app.py").write_text("a")
    _cache(world.view / "app.py")
    running = world.start()
    try:
        assert running.link.proc is not None
        running.link.proc.kill()
        (world.host / "app.py").write_text("after the kill")
        wait_for(lambda: _fresh(world.view / "app.py", 14), 30, "the edit after ssh was killed")
        assert running.watch.stats.sessions == 2
    finally:
        running.close()
    assert any("ssh ended" in line and "connecting again" in line for line in world.lines), "\n".join(world.lines)


def test_a_guest_reboot_under_a_running_watch_ends_in_a_new_session_on_its_new_port(world: World) -> None:
    (world.host / "app.py").write_text("a")
    _cache(world.view / "app.py")
    running = world.start()
    try:
        old_port = world.guest.port
        world.guest.stop()
        wait_for(lambda: any("connecting again" in line for line in world.lines), 30, "watch to see the guest gone")
        (world.host / "app.py").write_text("edited while the guest was down")
        (world.host / "new.py").write_text("new")
        time.sleep(1.0)  # attempts fail meanwhile: vagrant ssh-config says the machine is not running
        world.guest.start()
        assert world.guest.port != old_port
        wait_for(lambda: _fresh(world.view / "app.py", 31), 30, "the edit made while the guest was down")
        assert running.watch.stats.sessions == 2
        assert world.guest.configs >= 3, "the ssh configuration is asked for again on every attempt"
    finally:
        running.close()
    assert any("not running" in line for line in world.lines), world.lines


def test_the_network_gone_for_a_while_then_edits_made_meanwhile_are_delivered(world: World) -> None:
    (world.host / "app.py").write_text("a")
    _cache(world.view / "app.py")
    running = world.start()
    try:
        world.guest.pause()  # nothing answers; the TCP connection stays open
        (world.host / "app.py").write_text("edited while the network was gone")
        # ServerAliveInterval 1 x ServerAliveCountMax 2: ssh gives up after about 3 s
        wait_for(lambda: any("connecting again" in line for line in world.lines), 30, "ssh to notice")
        assert _cache(world.view / "app.py") == 1
        world.guest.resume()
        wait_for(lambda: _fresh(world.view / "app.py", 33), 60, "the edit made while the network was gone")
    finally:
        world.guest.resume()
        running.close()


def test_ten_thousand_changes_at_once_revalidate_folders_and_stay_bounded(world: World) -> None:
    files = [world.host / f"pkg{i // 1000}" / f"m{i}.py" for i in range(10_000)]
    for path in files:
        path.parent.mkdir(exist_ok=True)
        path.write_text("a")
    probes = files[::997]
    for path in probes:
        _cache(world.view / path.relative_to(world.host))
    running = world.start(limit=1000)
    try:
        for path in files:  # a git checkout: every file rewritten at once
            path.write_text("checked out")
        for path in probes:
            wait_for(lambda p=path: _fresh(world.view / p.relative_to(world.host), 11), 120, f"{path.name}")
    finally:
        running.close()
    stats = running.watch.stats
    assert any("folders" in line or "trees" in line for line in world.lines), world.lines
    assert stats.changes < 10_000, "the changes went as their folders, not one by one"


def test_a_symlink_is_forwarded_and_a_folder_outside_the_synced_one_is_not(world: World, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "lib.py").write_text("a")
    (world.host / "vendor").symlink_to(outside)  # a link to a folder that is not synced
    (world.host / "real.py").write_text("a")
    (world.host / "alias.py").symlink_to("real.py")
    _cache(world.view / "alias.py")
    running = world.start()
    try:
        (outside / "lib.py").write_text("changed outside")
        time.sleep(1.0)
        assert running.watch.stats.batches == 0, world.lines
        (world.host / "real.py").write_text("through the link")
        wait_for(lambda: _fresh(world.view / "alias.py", 16), 10, "the link's target, seen through the link")
        (world.host / "new_link.py").symlink_to("real.py")
        wait_for(lambda: (world.view / "new_link.py").is_symlink(), 10, "the new link in the view")
    finally:
        running.close()
    assert running.watch.stats.last_ack.get("failed") == 0


def test_inotify_flag_makes_an_event_in_the_guest_and_no_loop(world: World) -> None:
    import watchfiles

    (world.host / "app.py").write_text("a")
    _cache(world.view / "app.py")
    heard: list[set[tuple[watchfiles.Change, str]]] = []
    listening = threading.Event()
    stop = threading.Event()

    def listen() -> None:  # a tool in the guest that listens to inotify (webpack, watchman)
        listening.set()
        for changes in watchfiles.watch(world.view, stop_event=stop, watch_filter=None, debounce=50, step=10):
            heard.append(changes)

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    listening.wait(5)
    time.sleep(0.3)
    running = world.start(inotify=True)
    try:
        (world.host / "app.py").write_text("edited")
        wait_for(lambda: any(str(world.view / "app.py") == p for batch in heard for _, p in batch), 10, "inotify")
        time.sleep(2.0)  # a loop would forward again and again meanwhile
        stats = running.watch.stats
        assert stats.batches == 1, world.lines
        assert stats.echoes >= 1, "the receiver's SETATTR came back to the host as an event, and was dropped"
    finally:
        stop.set()
        running.close()
