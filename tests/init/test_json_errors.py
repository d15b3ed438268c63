"""Every command with `--json` prints its envelope when it fails too: click's usage errors and vagrantkit's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli, build_file_tree


def error_envelope(command: str, exit_code: int, *errors: str) -> dict[str, Any]:
    return {
        "vagrantkit": "1",
        "command": command,
        "status": "error",
        "exit_code": exit_code,
        "data": None,
        "errors": list(errors),
    }


CASES = [
    # click's own, while it parses
    (["--memory", "lots"], 2, "Invalid value for '--memory': 'lots' is not a valid integer."),
    (["--provider=hyperv"], 2, "Invalid value for '--provider': 'hyperv' is not one of 'virtualbox', 'libvirt'."),
    (["--sync=cifs"], 2, "Invalid value for '--sync': 'cifs' is not one of 'nfs', 'smb'."),
    (["--bogus"], 2, "No such option '--bogus'. (Did you mean one of: '--box', '--cpus'?)"),
    (["--box"], 2, "Option '--box' requires an argument."),
    # the command's own usage error
    (["--forward", "1:1", "--no-forwards"], 2, "--forward and --no-forwards exclude each other: give one of them."),
    # vagrantkit's
    (["--memory", "100"], 2, "Invalid value for --memory: 100. Allowed: a whole number from 256 to 262144 (MiB)."),
    (
        ["--sync", "smb", "--mount-option", "vers=1.0"],
        2,
        "Invalid value for --mount-option: 'vers=1.0'. Allowed: an SMB version from 2.0 on, e.g. vers=3.02: SMB1 is "
        "turned off on current Windows (10 1709 and later) and is insecure (WannaCry spread over it) (--force "
        "renders it anyway).",
    ),
]


@pytest.mark.parametrize(("args", "code", "message"), CASES, ids=[" ".join(a) for a, _, _ in CASES])
def test_init_json_prints_an_error_envelope_and_the_message_on_stderr(
    args: list[str], code: int, message: str, tmp_path: Path, cli_runner: Cli
) -> None:
    # --json first: a bad option after it is still read as asking for JSON
    result = cli_runner("init", "--json", str(tmp_path), *args)
    assert result.exit_code == code
    assert json.loads(result.stdout) == error_envelope("init", code, message)
    assert f"Error: {message}\n" in result.stderr
    assert not (tmp_path / "Vagrantfile").exists()


def test_init_refusing_to_overwrite_gives_message_and_hint(tmp_path: Path, cli_runner: Cli) -> None:
    build_file_tree(tmp_path, {"Vagrantfile": "# mine\n"})
    result = cli_runner("init", str(tmp_path), "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document == error_envelope("init", 1, *document["errors"])
    message, hint = document["errors"]
    assert message.startswith(f"Vagrantfile already exists in {tmp_path} and differs")
    assert hint.startswith("Nothing was written.")
    assert result.stderr == f"Error: {message}\n{hint}\n"


def test_a_huge_value_is_cut_in_the_envelope_too(tmp_path: Path, cli_runner: Cli) -> None:
    result = cli_runner("init", str(tmp_path), "--json", "--memory", "9" * 1_000_000)
    (message,) = json.loads(result.stdout)["errors"]
    assert message.endswith("… (1,000,000 characters) is not a valid integer.")
    assert len(result.stdout) < 1_000


@pytest.mark.parametrize(
    "args",
    [["--box", "--json"], ["--json=yes"], ["--", "--json"]],
    ids=["the value of --box", "a flag given a value", "after --"],
)
def test_json_is_read_as_click_reads_it(args: list[str], tmp_path: Path, cli_runner: Cli) -> None:
    result = cli_runner("init", str(tmp_path / "p"), *args)
    assert result.exit_code == 2
    if args == ["--json=yes"]:  # asked for, so answered, though click refuses the value
        assert json.loads(result.stdout)["errors"] == ["Option '--json' does not take a value."]
    else:
        assert result.stdout == ""


def test_doctor_json_usage_errors_are_envelopes(
    tmp_path: Path, cli_runner: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = cli_runner("doctor", "--json", "nfs.nope")
    assert result.exit_code == 2
    (message,) = json.loads(result.stdout)["errors"]
    assert message.startswith("Invalid value for ID: 'nfs.nope'. Allowed: a check id")
    monkeypatch.setenv("VAGRANT_CWD", str(tmp_path / "nope"))
    result = cli_runner("doctor", "host.os", "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["errors"][0] == f"VAGRANT_CWD={tmp_path / 'nope'}: no such folder"
    result = cli_runner("doctor", "--json", "-x")
    assert (result.exit_code, json.loads(result.stdout)["errors"]) == (2, ["No such option '-x'."])


def test_bench_json_file_gets_the_envelope_of_a_usage_error(tmp_path: Path, cli_runner: Cli) -> None:
    out = tmp_path / "r.json"
    result = cli_runner("bench", "--local", str(tmp_path), "--json", str(out), "--reps", "many")
    assert result.exit_code == 2
    assert result.stdout == ""
    message = "Invalid value for '--reps': 'many' is not a valid integer."
    assert json.loads(out.read_text()) == error_envelope("bench", 2, message)
    result = cli_runner("bench", f"--json={out}", "--local", str(tmp_path), "--profile", "huge")
    assert json.loads(out.read_text())["errors"][0].startswith("Invalid value for '--profile': 'huge' is not one of")
    result = cli_runner("bench", "--json", "-", "--reps", "many")
    assert json.loads(result.stdout) == error_envelope("bench", 2, message)
