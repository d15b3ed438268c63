"""runner.py for real: on a tmpfs and on a bindfs (FUSE) view of it, as a separate process, signalled mid-run."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench.conftest import (
    BATCH,
    RUNNER,
    WITHOUT_HOST_SIDE,
    fs_type,
    interrupt_when,
    run_runner,
    scratch_left,
    workspace,
)
from tests.conftest import need
from vagrantkit.bench import runner
from vagrantkit.bench.targets import parse_local
from vagrantkit.process import run
from vagrantkit.watch.link import RECEIVER_PATH

TINY = ["--size", "30", "--reps", "2", "--warmup", "1"]


def test_runner_measures_tmpfs_and_fuse_and_leaves_nothing_behind(tmpfs: Path, fuse: Path, tmp_path: Path) -> None:
    before = sorted(os.listdir(tmpfs))
    out = tmp_path / "doc.json"
    done = run_runner(f"mem={tmpfs}", f"fuse={fuse}", *TINY, "--seed", "3", "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # the document went to --output
    doc = json.loads(out.read_text())
    assert doc["schema"] == runner.SCHEMA
    assert doc["status"] == "ok" and doc["errors"] == []
    assert doc["params"]["baseline"] == "mem"
    assert doc["params"]["ops"] == list(runner.OPERATIONS)  # edit asked for too: n/a without a host side
    targets = {t["label"]: t for t in doc["targets"]}
    assert targets["mem"]["mount"]["fs_type"] == fs_type(tmpfs) == "tmpfs"
    assert targets["fuse"]["mount"]["fs_type"] == fs_type(fuse)
    assert targets["fuse"]["mount"]["fs_type"].startswith("fuse")
    assert targets["mem"]["baseline"] and not targets["fuse"]["baseline"]
    assert targets["mem"]["fixture"]["files"] == 30
    assert doc["environment"]["kernel"]["release"] == os.uname().release
    paths = runner.fixture_paths(30)
    folders = {"/".join(p.split("/")[:i]) for p in paths for i in range(1, p.count("/") + 1)}
    templates = {
        p.split("/templates/")[0] + "/" + "/".join(p.split("/templates/")[1].split("/")[:i])
        for p in paths
        if "/templates/" in p
        for i in range(1, p.split("/templates/")[1].count("/") + 2)
    }
    expected_counts = {
        "stat": 30,
        "stat_missing": 30,
        "read": 30,
        "create": 7,  # write_count = files // 4
        "append": 7,
        "rename": 7,
        "delete": 7,
        "mkdir_rmdir": 7,
        "pyc": 2,
        "walk": len(paths) + len(folders),
        # StatReloader: every .py, plus every match of templates/**/* (files and folders)
        "reloader": sum(p.endswith(".py") for p in paths) + len(templates),
    }
    for label in ("mem", "fuse"):
        ops = doc["results"][label]
        assert sorted(ops) == sorted(WITHOUT_HOST_SIDE)
        for op, slot in ops.items():
            assert len(slot["ns"]) == 2, op  # the warm-up repetition is not in the samples
            assert all(isinstance(ns, int) and ns > 0 for ns in slot["ns"]), op
            if op in expected_counts:
                assert slot["count"] == expected_counts[op], op
    # interleaved: one shuffled order of both targets per operation and measured repetition
    assert len(doc["order"]) == 2 * len(BATCH)
    assert all(sorted(o) == ["fuse", "mem"] for o in doc["order"])
    assert scratch_left(tmpfs, fuse) == []
    assert sorted(os.listdir(tmpfs)) == before
    assert sorted(doc["cleanup"]["removed"]) == sorted(t["scratch"] for t in doc["targets"])


def test_runner_prints_the_document_on_stdout_and_progress_on_stderr(tmpfs: Path) -> None:
    done = run_runner(str(tmpfs), "--ops", "stat,reloader", *TINY, "--progress")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert [t["label"] for t in doc["targets"]] == ["tmpfs"]  # label from the folder's name
    assert sorted(doc["results"]["tmpfs"]) == ["reloader", "stat"]
    events = [json.loads(line) for line in done.stderr.splitlines()]
    assert events[-1]["progress"] == [4, 4]  # (1 warm-up + 2 reps) x stat + the paced reloader, 1 target
    assert [e["phase"] for e in events[:2]] == ["fixture", "warmup"]
    assert {e["phase"] for e in events} == {"fixture", "warmup", "measure"}


@pytest.mark.parametrize(("signame", "code"), [("SIGINT", 130), ("SIGTERM", 143), ("SIGHUP", 129)])
@pytest.mark.parametrize("phase", ["fixture", "measure"])
def test_a_signal_mid_run_removes_every_scratch_folder(
    tmpfs: Path, fuse: Path, tmp_path: Path, signame: str, code: int, phase: str
) -> None:
    code_seen, out, err = interrupt_when(
        [sys.executable, "-I", str(RUNNER), f"mem={tmpfs}", f"fuse={fuse}", "--size", "400", "--reps", "50", "--progress"],
        lambda line: json.loads(line)["phase"] == phase,  # the phase under test
        signame, tmpfs, fuse,
    )  # fmt: skip
    assert code_seen == code, err
    assert f"interrupted by {signame}; scratch folders removed" in err
    assert scratch_left(tmpfs, fuse) == []
    assert out == ""  # no document after an interruption


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/does/not/exist"], "not an existing folder"),
        (["--size", "XL", "{dir}"], "invalid --size 'XL': allowed S (2000 files), M (10000 files)"),
        (["--size", "5", "{dir}"], "a number from 10 to 200000"),
        (["--ops", "stat,fsync", "{dir}"], "invalid --ops 'stat,fsync': allowed a comma-separated list of stat"),
        (["--profile", "huge", "{dir}"], "invalid --profile 'huge': allowed quick, standard, full"),
        (["--reps", "0", "{dir}"], "invalid --reps 0"),
        (["--baseline", "nfs", "{dir}"], "invalid --baseline 'nfs': allowed one of tmpfs"),
        (["a={dir}", "a={dir}"], "label 'a' is given twice"),
        (["--id", "../x", "{dir}"], "invalid --id '../x'"),
        (["--copy", "{dir}", "{dir}"], "--copy needs --command"),
        (["--command", "'unclosed", "{dir}"], "invalid --command"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(tmpfs: Path, tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "out.json"
    done = run_runner(*[a.replace("{dir}", str(tmpfs)) for a in args], "--output", str(out))
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert os.listdir(tmpfs) == []
    assert not out.exists()


def test_an_existing_scratch_folder_is_never_reused(tmpfs: Path) -> None:
    (tmpfs / ".vagrantkit-bench-fixed-tmpfs").mkdir()
    (tmpfs / ".vagrantkit-bench-fixed-tmpfs" / "keep").write_text("user data")
    done = run_runner(str(tmpfs), "--id", "fixed", *TINY)
    assert done.returncode == 2
    assert "already exists; pass another --id" in done.stderr
    assert (tmpfs / ".vagrantkit-bench-fixed-tmpfs" / "keep").read_text() == "user data"


def test_command_runs_in_a_copy_never_in_the_users_folder(tmpfs: Path, tmp_path: Path) -> None:
    # The command writes a file where it runs and needs manage.py there: a copy of the target.
    (tmpfs / "manage.py").write_text("print('hi')\n")
    probe = f"{sys.executable} -c \"import os, sys; open('made-by-command', 'w').close(); sys.exit(0 if os.path.exists('manage.py') else 7)\""
    done = run_runner(str(tmpfs), "--command", probe, "--reps", "2", "--warmup", "0", "--size", "10")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["params"]["ops"] == ["command"]  # --command alone times only the command
    assert doc["targets"][0]["fixture"] is None  # and builds no fixture for it
    slot = doc["results"]["tmpfs"]["command"]
    assert slot["count"] == 1 and len(slot["ns"]) == 2
    assert sorted(os.listdir(tmpfs)) == ["manage.py"]  # nothing written into the user's folder
    assert scratch_left(tmpfs) == []


def test_a_command_that_fails_is_a_failed_measurement_not_a_timing(tmpfs: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    probe = f"{sys.executable} -c \"import os, sys; sys.exit(0 if os.path.exists('manage.py') else 7)\""
    done = run_runner(str(tmpfs), "--command", probe, "--copy", str(project), "--reps", "2", "--warmup", "0")
    assert done.returncode == 1
    doc = json.loads(done.stdout)
    assert doc["status"] == "failed"
    assert "tmpfs: --command exited 7" in doc["errors"]
    assert "command" not in doc["results"]["tmpfs"]  # no timing of a run that failed
    assert scratch_left(tmpfs) == []


def test_fixture_is_deterministic_django_shaped_and_compiles(tmp_path: Path) -> None:
    digests = []
    for name in ("one", "two"):
        info = runner.build_fixture(str(tmp_path / name), 300, seed=5)
        assert info["files"] == 300
        h = hashlib.sha256()
        for rel in runner.fixture_paths(300):
            h.update(rel.encode() + (tmp_path / name / rel).read_bytes())
        digests.append(h.hexdigest())
    assert digests[0] == digests[1]
    other = tmp_path / "other"
    runner.build_fixture(str(other), 300, seed=6)
    assert (other / "site/settings.py").read_bytes() != (tmp_path / "one/site/settings.py").read_bytes()
    paths = runner.fixture_paths(300)
    assert len(paths) == 300 and len(set(paths)) == 300
    assert "app000/__init__.py" in paths and "app000/tests/test_views.py" in paths
    assert any(p.endswith("/templates/app000/base.html") for p in paths)
    assert (tmp_path / "one/app000/locale/de/LC_MESSAGES/django.mo").read_bytes()[:4] == b"\xde\x12\x04\x95"
    sizes = [(tmp_path / "one" / p).stat().st_size for p in paths]
    assert 3000 < sum(sizes) / len(sizes) < 5200  # "small files around 4 KiB"
    for rel in paths:
        if rel.endswith(".py"):
            compile((tmp_path / "one" / rel).read_text(), rel, "exec")
    assert len(runner.fixture_paths(runner.SIZES["S"])) == 2000
    assert len(runner.fixture_paths(runner.SIZES["M"])) == 10000


# Every file sent into a guest: the bench runner and watch's receiver.
GUEST_FILES = pytest.mark.parametrize("guest_file", [RUNNER, RECEIVER_PATH], ids=["runner", "receiver"])


@GUEST_FILES
def test_guest_files_import_only_the_standard_library_and_parse_as_python_3_8(guest_file: Path) -> None:
    source = guest_file.read_text()
    tree = ast.parse(source, feature_version=(3, 8))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "a relative import would not exist in the guest"
            imported.add((node.module or "").split(".")[0])
    assert imported - {"__future__"} <= set(sys.stdlib_module_names)


@GUEST_FILES
def test_guest_files_need_nothing_newer_than_python_3_8(guest_file: Path) -> None:
    """vermin knows which release added each library call (str.removeprefix: 3.9), which a
    syntax check alone cannot see; it runs everywhere, CI included, where no 3.8 interpreter is."""
    vermin = need("vermin")
    done = subprocess.run(
        [vermin, "-t=3.8-", "--violations", "--no-tips", "--no-parse-comments", str(guest_file)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_runner_runs_under_python_3_8_when_this_machine_has_it(tmp_path: Path) -> None:
    candidates = [str(p) for p in Path.home().glob(".pyenv/versions/3.8*/bin/python3.8")]
    candidates += [p for p in [shutil.which("python3.8")] if p]
    working = [c for c in candidates if run([c, "-c", "pass"], timeout=30).ok]
    python38 = working[0] if working else None
    if python38 is None:
        pytest.skip("no python3.8 here; the syntax check above still holds the runner to 3.8")
    (tmp_path / "t").mkdir()
    done = run([python38, "-I", str(RUNNER), str(tmp_path / "t"), *TINY], timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["environment"]["python"].startswith("3.8")


def test_mount_of_picks_the_longest_mount_point_and_unescapes_spaces() -> None:
    mounts = runner.parse_proc_mounts(
        "/dev/vda / ext4 rw,relatime 0 0\n"
        "192.168.56.1:/home/me/my\\040proj /vagrant nfs rw,vers=3,nolock,actimeo=1 0 0\n"
        "none /vagrant/sub\\040dir 9p rw,trans=virtio 0 0\n"
    )
    assert mounts[1]["source"] == "192.168.56.1:/home/me/my proj"
    found = runner.mount_of("/vagrant/app", mounts)
    assert found is not None and found["fs_type"] == "nfs"
    deeper = runner.mount_of("/vagrant/sub dir/x", mounts)
    assert deeper is not None and deeper["fs_type"] == "9p"
    root = runner.mount_of("/vagrantfoo", mounts)
    assert root is not None and root["fs_type"] == "ext4"


def test_write_operations_use_the_same_names_on_every_repetition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = workspace(tmp_path)
    config, scratch = ws.config, tmp_path / "scratch"
    new = scratch / "work" / "new"
    n = config.write_count

    def step(op: str) -> int:
        ws.before(op)
        return int(getattr(ws, "op_" + op)())

    def names(suffix: str = "") -> list[str]:
        return sorted(f"f{i}{suffix}" for i in range(n))

    for _ in range(2):  # a second round: create's names are untouched by the renames before it
        assert step("create") == n
        assert sorted(os.listdir(new)) == names()
        assert step("append") == n
        assert step("rename") == n
        assert sorted(os.listdir(new)) == names(".r")
        assert step("rename") == n  # each rename adds ".r" again, as it always did
        assert sorted(os.listdir(new)) == names(".r.r")
        assert all(os.path.getsize(new / name) == runner.WRITE_BYTES + runner.APPEND_BYTES for name in names(".r.r"))
        assert step("delete") == n
        assert os.listdir(new) == []

    made: list[str] = []
    mkdir = os.mkdir
    monkeypatch.setattr(os, "mkdir", lambda path, *a, **k: (made.append(path), mkdir(path, *a, **k))[1])
    for _ in range(2):
        assert step("mkdir_rmdir") == n
    assert made == [str(scratch / "work" / "dirs" / f"d{i}") for i in range(n)] * 2
    assert os.listdir(scratch / "work" / "dirs") == []


def test_host_and_runner_derive_the_same_label_for_a_bare_path(tmp_path: Path) -> None:
    folder = tmp_path / ("my share (1)" + "x" * 50)
    folder.mkdir()
    (target,), _ = parse_local([str(folder)], None)
    assert target.label == runner._split_target(str(folder))[0] == ("my_share__1_" + "x" * 50)[:40]
    assert runner._split_target(target.argument()) == (target.label, str(folder))
