"""`vagrantkit bench --local` end to end on a real tmpfs and its bindfs view; bad input exits 2 and writes nothing."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.bench.conftest import WITHOUT_HOST_SIDE, interrupt_when, run_runner, scratch_left
from vagrantkit.bench import runner

TINY = ("--size", "20", "--reps", "5", "--warmup", "0")


def test_bench_local_prints_the_table_and_writes_json_csv_and_plot(
    cli_runner: Any, tmpfs: Path, fuse: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = cli_runner(
        "bench", "--local", f"mem={tmpfs}", "--local", f"fuse={fuse}", *TINY, "--ops", "stat,read,create,reloader",
        "--json", str(out / "r.json"), "--csv", str(out / "r.csv"), "--plot", str(out / "r.png"),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "vagrantkit bench: local" in lines[0]
    assert any("tmpfs (baseline)" in line for line in lines)
    for title in ("stat existing", "open+read", "create+write", "reloader tick"):
        assert any(title in line for line in lines)
    assert lines[-1].startswith("fuse is ") and lines[-1].endswith(".")
    assert (
        " than mem for the reloader; writes are " in lines[-1] or " as mem for the reloader; writes are " in lines[-1]
    )
    envelope = json.loads((out / "r.json").read_text())
    assert envelope["command"] == "bench" and envelope["status"] == "ok" and envelope["exit_code"] == 0
    assert envelope["data"]["recommendation"] == lines[-1]
    assert [t["label"] for t in envelope["data"]["targets"]] == ["mem", "fuse"]
    assert [t["kind"] for t in envelope["data"]["targets"]] == ["memory", "fuse"]
    rows = list(csv.DictReader(io.StringIO((out / "r.csv").read_text())))
    assert [(r["op"], r["target"]) for r in rows] == [
        (op, t) for op in ("stat", "read", "create", "reloader") for t in ("mem", "fuse")
    ]
    assert (out / "r.png").read_bytes()[:4] == b"\x89PNG"
    assert sorted(os.listdir(out)) == ["r.csv", "r.json", "r.png"]
    assert scratch_left(tmpfs, fuse) == []


def test_json_dash_prints_only_the_envelope(cli_runner: Any, tmpfs: Path) -> None:
    result = cli_runner("bench", "--local", str(tmpfs), *TINY, "--ops", "stat", "--json", "-")
    assert result.exit_code == 0, result.stderr
    envelope = json.loads(result.stdout)
    assert envelope["data"]["baseline"] == "tmpfs"
    assert envelope["data"]["recommendation"] == "Only one folder was measured: nothing to compare."


def test_from_renders_a_runner_document_measured_elsewhere(cli_runner: Any, tmpfs: Path, tmp_path: Path) -> None:
    doc = tmp_path / "guest.json"
    done = run_runner(f"disk={tmpfs}", f"again={tmpfs}", "--size", "20", "--reps", "5", "--output", str(doc))
    assert done.returncode == 0, done.stderr
    result = cli_runner("bench", "--from", str(doc), "--baseline", "again", "--csv", str(tmp_path / "g.csv"))
    assert result.exit_code == 0, result.stderr
    assert "tmpfs (baseline)" in result.stdout
    rows = list(csv.DictReader(io.StringIO((tmp_path / "g.csv").read_text())))
    assert {r["target"] for r in rows if r["baseline"] == "True"} == {"again"}
    assert len(rows) == 2 * len(WITHOUT_HOST_SIDE)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--reps", "3"], "Invalid value for --reps: 3. Allowed: a number >= 5"),
        (["--size", "XL"], "Invalid value for --size: 'XL'. Allowed: S, M or a number of files from 10 to 200000."),
        (["--ops", "stat,fsync"], "Invalid value for --ops: 'stat,fsync'. Allowed: a comma-separated list of stat,"),
        (
            ["--plot", "{out}/chart.gif"],
            "Invalid value for --plot: '{out}/chart.gif'. Allowed: a file name ending in .png or .svg.",
        ),
        (
            ["--json", "{out}/missing/r.json"],
            "Invalid value for --json: '{out}/missing/r.json'. Allowed: a file in an existing folder.",
        ),
        (["--baseline", "nfs"], "Invalid value for --baseline: 'nfs'. Allowed: one of the labels: tmpfs."),
        (
            ["--local", "{dir}"],
            "Invalid value for --local: '{dir}'. Allowed: one folder per label; 'tmpfs' is already used.",
        ),
        (["--local", "x={out}/nope"], "Invalid value for --local: 'x={out}/nope'. Allowed: an existing folder"),
        (["--profile", "huge"], "Invalid value for '--profile': 'huge' is not one of 'quick', 'standard', 'full'."),
    ],
)
def test_bad_input_exits_2_with_the_option_and_what_is_allowed_and_writes_nothing(
    cli_runner: Any, tmpfs: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    fill = {"{dir}": str(tmpfs), "{out}": str(out)}

    def sub(text: str) -> str:
        for k, v in fill.items():
            text = text.replace(k, v)
        return text

    result = cli_runner("bench", "--local", str(tmpfs), *TINY, *[sub(a) for a in args], "--csv", str(out / "r.csv"))
    assert result.exit_code == 2
    assert sub(message) in result.stderr
    assert "Traceback" not in result.stderr
    assert os.listdir(tmpfs) == []
    assert os.listdir(out) == []


def test_from_refuses_a_file_that_is_not_a_runner_document(cli_runner: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    result = cli_runner("bench", "--from", str(bad))
    assert result.exit_code == 2
    assert (
        f"Invalid value for --from: '{bad}'. Allowed: a JSON document with schema 'vagrantkit-bench-runner/1', "
        "or one `bench --json` wrote." in result.stderr
    )


@pytest.mark.parametrize(("signame", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_the_command_interrupted_mid_run_removes_its_scratch_and_says_so(
    tmpfs: Path, fuse: Path, signame: str, code: int
) -> None:
    code_seen, out, err = interrupt_when(
        [sys.executable, "-m", "vagrantkit", "bench", "--local", f"mem={tmpfs}", "--local", f"fuse={fuse}",
         "--size", "300", "--reps", "50"],
        lambda line: line.startswith("bench: repetition 1/"),
        signame, tmpfs, fuse,
    )  # fmt: skip
    assert code_seen == code
    assert f"Error: bench interrupted by {signame}; scratch folders removed" in err
    assert out == ""
    assert scratch_left(tmpfs, fuse) == []


def test_copy_must_be_an_existing_folder(cli_runner: Any, tmpfs: Path, tmp_path: Path) -> None:
    result = cli_runner("bench", "--local", str(tmpfs), "--command", "true", "--copy", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert f"Invalid value for --copy: '{tmp_path / 'nope'}'. Allowed: an existing folder." in result.stderr
    assert os.listdir(tmpfs) == []


def test_from_refuses_options_that_only_a_measurement_uses(cli_runner: Any, tmp_path: Path) -> None:
    saved = tmp_path / "run.json"
    saved.write_text("{}")
    result = cli_runner("bench", "--from", str(saved), "--reps", "9")
    assert result.exit_code == 2
    assert "Invalid value for --reps: 9. Allowed: nothing together with --from (it renders a saved run" in result.stderr


def test_from_reads_back_what_bench_json_wrote(cli_runner: Any, tmpfs: Path, tmp_path: Path) -> None:
    saved = tmp_path / "run.json"
    first = cli_runner("bench", "--local", f"mem={tmpfs}", *TINY, "--ops", "stat", "--json", str(saved))
    assert first.exit_code == 0, first.stderr
    again = cli_runner("bench", "--from", str(saved), "--json", "-")
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["data"]["runner"] == json.loads(saved.read_text())["data"]["runner"]


def test_from_refuses_an_incomplete_runner_document(cli_runner: Any, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"schema": runner.SCHEMA}))
    result = cli_runner("bench", "--from", str(broken))
    assert result.exit_code == 2
    assert f"Invalid value for --from: '{broken}'. Allowed: a complete runner document" in result.stderr
    assert "Traceback" not in result.output


def test_csv_dash_prints_the_csv_instead_of_the_table(cli_runner: Any, tmpfs: Path) -> None:
    result = cli_runner("bench", "--local", f"mem={tmpfs}", *TINY, "--ops", "stat,read", "--csv", "-")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["op"], r["target"]) for r in rows] == [("stat", "mem"), ("read", "mem")]


def test_two_outputs_on_stdout_are_refused_before_anything_runs(cli_runner: Any, tmpfs: Path) -> None:
    result = cli_runner("bench", "--local", str(tmpfs), *TINY, "--json", "-", "--csv", "-")
    assert result.exit_code == 2
    message = "Invalid value for --csv: '-'. Allowed: a file, since --json already prints to stdout."
    assert message in result.stderr and "Traceback" not in result.stderr
    # stdout is the JSON's, so it gets the error envelope (and nothing else)
    assert json.loads(result.stdout) == {
        "vagrantkit": "1",
        "command": "bench",
        "status": "error",
        "exit_code": 2,
        "data": None,
        "errors": [message],
    }
    assert os.listdir(tmpfs) == []


def test_an_output_file_that_cannot_be_written_is_an_error_not_a_traceback(cli_runner: Any, tmpfs: Path) -> None:
    result = cli_runner("bench", "--local", f"mem={tmpfs}", *TINY, "--ops", "stat", "--json", "/proc/vagrantkit.json")
    assert result.exit_code == 1
    assert "Error: cannot write /proc/vagrantkit.json: " in result.stderr
    assert "Traceback" not in result.output
    assert scratch_left(tmpfs) == []


def test_a_fixture_too_large_to_hold_is_refused_before_anything_is_written(cli_runner: Any, tmpfs: Path) -> None:
    result = cli_runner("bench", "--local", f"mem={tmpfs}", "--size", "99999999999")
    assert result.exit_code == 2
    assert "Allowed: S, M or a number of files from 10 to 200000." in result.stderr
    assert os.listdir(tmpfs) == []


def test_command_splitting_keeps_windows_backslashes(monkeypatch: pytest.MonkeyPatch) -> None:
    assert runner.split_command("python manage.py test --parallel 2") == [
        "python",
        "manage.py",
        "test",
        "--parallel",
        "2",
    ]
    monkeypatch.setattr(runner.os, "name", "nt")
    assert runner.split_command(r'C:\Python311\python.exe "C:\my shop\manage.py" test') == [
        r"C:\Python311\python.exe",
        r"C:\my shop\manage.py",
        "test",
    ]
