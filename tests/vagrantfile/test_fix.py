"""`vagrantkit fix` and `vagrantkit lint` on real files: exact edits, safe writes, linter conventions."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Cli, need
from vagrantkit.vagrantfile import fix as fixing
from vagrantkit.vagrantfile import lint as linting
from vagrantkit.vagrantfile.fix import FixRefused, fix_file, fix_source
from vagrantkit.vagrantfile.rules import RULES, Context, Finding, Host, Rule, Severity
from vagrantkit.vagrantfile.source import BOM, Edit, Source

MISTAKES = Path(__file__).parents[1] / "doctor" / "fixtures" / "mistakes.Vagrantfile"


def ruby_accepts(path: Path) -> bool:
    done = subprocess.run([need("ruby"), "-c", str(path)], capture_output=True, text=True, timeout=30)
    return done.returncode == 0 and "Syntax OK" in done.stdout


def test_fix_keeps_crlf_bom_tabs_comments_and_quote_style(tmp_path: Path) -> None:
    text = (
        "Vagrant.configure('2') do |config|\r\n"
        "\tconfig.vm.network 'private_network', type: 'dhcp' # host-only\r\n"
        "\tconfig.vm.synced_folder '.', '/vagrant', type: 'nfs', # our code\r\n"
        "\t\towner: 'www-data', # the web user\r\n"
        "\t\tmount_options: ['actimeo=1'] # fast\r\n"
        "\tconfig.winnfsd.uid = 1000 # WinNFSd maps to this uid\r\n"
        "end\r\n"
    )
    path = tmp_path / "Vagrantfile"
    path.write_bytes(BOM + text.encode())
    result = fix_file(path, host=Host.WINDOWS)
    assert result.written and result.backup is not None
    assert result.backup.read_bytes() == BOM + text.encode()  # the backup is the file as it was
    assert path.read_bytes() == BOM + (
        b"Vagrant.configure('2') do |config|\r\n"
        b"\tconfig.vm.network 'private_network', type: 'dhcp' # host-only\r\n"
        b"\tconfig.vm.synced_folder '.', '/vagrant', type: 'nfs', nfs_udp: false, # our code\r\n"
        b"\t\t# the web user\r\n"
        b"\t\tmount_options: ['nolock', 'actimeo=1'] # fast\r\n"
        b"\tif Vagrant.has_plugin?('vagrant-winnfsd')\r\n"
        b"\t\tconfig.winnfsd.uid = 1000 # WinNFSd maps to this uid\r\n"
        b"\tend\r\n"
        b"end\r\n"
    )
    assert ruby_accepts(path)
    again = fix_file(path, host=Host.WINDOWS)
    assert not again.changed and not again.written
    assert again.remaining.findings == ()


def test_every_fix_of_the_mistakes_fixture_holds_real_ruby_accepts_it_and_a_second_run_changes_nothing(
    tmp_path: Path,
) -> None:
    for host in Host:
        path = tmp_path / host.value / "Vagrantfile"
        path.parent.mkdir()
        path.write_bytes(MISTAKES.read_bytes())
        before = {f.rule for f in linting.lint(Source.from_bytes(path.read_bytes()), host=host).findings}
        result = fix_file(path, host=host)
        assert result.written
        assert {f.rule for f in result.applied} == before
        assert linting.lint(Source.from_bytes(path.read_bytes()), host=host).findings == ()
        assert ruby_accepts(path)
        assert not fix_file(path, host=host).changed


def test_dry_run_prints_the_diff_and_writes_nothing(tmp_path: Path, cli_runner: Cli) -> None:
    path = tmp_path / "Vagrantfile"
    path.write_bytes(MISTAKES.read_bytes())
    result = cli_runner("fix", "--dry-run", "--host", "linux", str(path))
    assert result.exit_code == 0, result.stderr
    assert f"--- {path}\n+++ {path}\n" in result.stdout
    assert '\n-  Config.vm.hostname = "shop"\n' in result.stdout
    assert '\n+  config.vm.hostname = "shop"\n' in result.stdout
    assert "dry run: nothing written" in result.stderr
    assert path.read_bytes() == MISTAKES.read_bytes()
    assert list(tmp_path.iterdir()) == [path]


def test_fix_refuses_a_result_that_would_not_parse_and_writes_nothing(
    tmp_path: Path, cli_runner: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unbalanced(ctx: Context) -> Iterator[Finding]:
        # A broken rule whose edit opens a bracket it never closes: the safety net must catch it.
        if not ctx.model.source.code.startswith(b"(["):
            yield Finding("unbalanced", Severity.WARN, 0, 1, "x", "y", (Edit(0, 0, b"(["),))

    monkeypatch.setitem(RULES, "unbalanced", Rule("unbalanced", Severity.WARN, "broken", unbalanced))
    text = 'Vagrant.configure("2") do |config|\n  Config.vm.box = "x"\nend\n'
    path = tmp_path / "Vagrantfile"
    path.write_text(text)
    result = cli_runner("fix", "--host", "linux", str(path))
    assert result.exit_code == 1
    assert "would not parse (line 1" in result.stderr and "nothing was written" in result.stderr
    assert path.read_text() == text and list(tmp_path.iterdir()) == [path]


def test_a_file_the_parser_could_not_read_before_is_still_fixed_and_the_warning_stays(tmp_path: Path) -> None:
    # A bracket left open after the block: not for fix to repair; the receiver on line 2 is.
    path = tmp_path / "Vagrantfile"
    path.write_text('Vagrant.configure("2") do |config|\n  Config.vm.box = "x"\nend\nx = [1, 2\n')
    result = fix_file(path, host=Host.LINUX)
    assert result.written and [f.rule for f in result.applied] == ["receiver"]
    assert [f.rule for f in result.remaining.findings] == ["syntax"]
    assert path.read_text().startswith('Vagrant.configure("2") do |config|\n  config.vm.box = "x"\n')


def test_fix_refuses_when_the_file_changes_while_it_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "Vagrantfile"
    path.write_bytes(MISTAKES.read_bytes())
    real = fixing.fix_source

    def meanwhile(*args: object, **kwargs: object) -> object:
        done = real(*args, **kwargs)  # type: ignore[arg-type]
        path.write_text("# the user saved the file meanwhile\n")
        return done

    monkeypatch.setattr(fixing, "fix_source", meanwhile)
    with pytest.raises(FixRefused, match="changed while fix worked"):
        fix_file(path, host=Host.LINUX)
    assert path.read_text() == "# the user saved the file meanwhile\n"
    assert list(tmp_path.iterdir()) == [path]


def test_a_fix_that_does_not_hold_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def always(ctx: object) -> Iterator[Finding]:
        # A broken rule: its edit leaves the text that triggered it.
        yield Finding("always", Severity.WARN, 0, 1, "x", "y", (Edit(0, 0, b"#"),))

    monkeypatch.setitem(RULES, "always", Rule("always", Severity.WARN, "broken", always))
    with pytest.raises(FixRefused, match=r"did not (hold|settle)"):
        fix_source(Source.from_text("x = 1\n"), host=Host.LINUX)


def test_what_fix_cannot_fix_is_listed_with_why_and_exit_1(tmp_path: Path, cli_runner: Cli) -> None:
    path = tmp_path / "Vagrantfile"
    path.write_text(
        'Vagrant.configure("2") do |config|\n  config.vagrant.plugins = ["vagrant-winnfsd", "vagrant-vbguest"]\nend\n'
    )
    result = cli_runner("fix", "--host", "linux", str(path))
    assert result.exit_code == 1
    assert "nothing to fix" in result.stderr
    assert (
        "not fixed: line 2: winnfsd-plugin-everywhere" in result.stderr
        and "other plugins are listed too" in result.stderr
    )


def test_fix_json_has_the_diff_the_fixed_and_the_remaining(tmp_path: Path, cli_runner: Cli) -> None:
    path = tmp_path / "Vagrantfile"
    path.write_bytes(MISTAKES.read_bytes())
    result = cli_runner("fix", "--json", "--host", "windows", str(path))
    doc = json.loads(result.stdout)
    assert (doc["command"], doc["status"], doc["exit_code"], doc["errors"]) == ("fix", "pass", 0, [])
    (entry,) = doc["data"]["files"]
    assert entry["written"] and entry["changed"] and entry["backup"] and entry["remaining"] == []
    assert {f["rule"] for f in entry["fixed"]} >= {"curly-quotes", "receiver", "nfs-owner-group"}
    assert entry["diff"].startswith(f"--- {path}\n")


def test_fix_after_a_fix_is_accepted_by_vagrant_validate_where_the_original_was(
    tmp_path: Path, vagrant_env: dict[str, str]
) -> None:
    # Accepted by Vagrant as written (on this Linux host), with three fixable findings.
    text = (
        'Vagrant.configure("2") do |config|\n'
        '  config.vm.box = "bento/ubuntu-24.04"\n'
        '  config.vm.network "private_network", type: "dhcp"\n'
        '  config.vm.synced_folder ".", "/vagrant", type: "nfs",\n'
        '    mount_options: ["vers=3", "udp", "actimeo=1"]\n'
        '  config.vagrant.plugins = "vagrant-winnfsd"\n'
        "end\n"
    )
    path = tmp_path / "Vagrantfile"
    path.write_text(text)
    validate = ["vagrant", "validate", "--ignore-provider"]
    env = {**vagrant_env, "VAGRANT_INSTALL_LOCAL_PLUGINS": "0"}
    # config.vagrant.plugins would ask to install the plugin: answer no, and compare what is left.
    before = subprocess.run(validate, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, input="N\n")
    result = fix_file(path, host=Host.LINUX)
    assert {f.rule for f in result.applied} == {
        "nfs-mount-version",
        "nfs-udp",
        "nfs-nolock",
        "winnfsd-plugin-everywhere",
    }
    assert result.remaining.findings == ()
    after = subprocess.run(validate, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert after.returncode == 0, after.stdout + after.stderr
    assert "Vagrantfile validated successfully." in after.stdout
    assert "local plugins" in (before.stdout + before.stderr) or before.returncode == 0


def test_fix_makes_an_smb_folder_ask_for_smb3_and_read_the_password_from_the_environment(
    tmp_path: Path, cli_runner: Cli
) -> None:
    path = tmp_path / "Vagrantfile"
    path.write_text(
        'Vagrant.configure("2") do |config|\n'
        '  config.vm.network "private_network", type: "dhcp"\n'
        '  config.vm.synced_folder ".", "/vagrant", type: "smb",\n'
        '    smb_username: "dev", smb_password: "hunter2", # the team account\n'
        '    mount_options: ["vers=1.0", "nobrl"]\n'
        "end\n"
    )
    linted = cli_runner("lint", "--host", "windows", str(path))
    assert linted.exit_code == 1
    assert [line.split(": ")[1].split()[0] for line in linted.stdout.splitlines()[:-1]] == [
        "smb-password-in-file",
        "smb-version-1",
    ]
    result = cli_runner("fix", "--host", "windows", str(path))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert path.read_text() == (
        'Vagrant.configure("2") do |config|\n'
        '  config.vm.network "private_network", type: "dhcp"\n'
        '  config.vm.synced_folder ".", "/vagrant", type: "smb",\n'
        '    smb_username: "dev", smb_password: ENV["VAGRANT_SMB_PASSWORD"], # the team account\n'
        '    mount_options: ["vers=3.02", "nobrl"]\n'
        "end\n"
    )
    assert ruby_accepts(path)
    assert cli_runner("lint", "--host", "windows", str(path)).exit_code == 0


# --- lint's conventions -----------------------------------------------------------------


def test_lint_exit_codes_and_the_linter_line(tmp_path: Path, cli_runner: Cli) -> None:
    path = tmp_path / "Vagrantfile"
    path.write_bytes(MISTAKES.read_bytes())
    result = cli_runner("lint", "--host", "linux", str(path))
    assert result.exit_code == 1
    assert f"{path}:5:3: receiver fail: `Config` is not the block variable (`config`) [fixable]" in result.stdout
    assert result.stdout.endswith("8 findings (8 fixable with `vagrantkit fix`).\n")
    clean = tmp_path / "clean" / "Vagrantfile"
    clean.parent.mkdir()
    clean.write_text('Vagrant.configure("2") do |config|\n  config.vm.box = "x"\nend\n')
    ok = cli_runner("lint", str(clean))
    assert (ok.exit_code, ok.stdout) == (0, "No findings in 1 file.\n")


def test_lint_select_ignore_and_unknown_rule_ids(tmp_path: Path, cli_runner: Cli) -> None:
    path = tmp_path / "Vagrantfile"
    path.write_bytes(MISTAKES.read_bytes())
    only = cli_runner("lint", "--host", "linux", "--select", "receiver,curly-quotes", str(path))
    assert [line.split(": ")[1].split()[0] for line in only.stdout.splitlines()[:-1]] == ["curly-quotes", "receiver"]
    rest = cli_runner("lint", "--host", "linux", "--ignore", "receiver", "--ignore", "curly-quotes", str(path))
    assert "receiver" not in rest.stdout and "6 findings" in rest.stdout
    bad = cli_runner("lint", "--select", "nfs-udpp", str(path))
    assert bad.exit_code == 2
    assert "Invalid value for --select: 'nfs-udpp'" in bad.stderr and "nfs-udp" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_lint_refuses_a_missing_file_with_exit_2(tmp_path: Path, cli_runner: Cli) -> None:
    result = cli_runner("lint", str(tmp_path / "nope"))
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_lint_json_gives_each_finding_its_fields(tmp_path: Path, cli_runner: Cli) -> None:
    path = tmp_path / "Vagrantfile"
    path.write_bytes(MISTAKES.read_bytes())
    doc = json.loads(cli_runner("lint", "--json", "--host", "windows", str(path)).stdout)
    assert (doc["command"], doc["status"], doc["exit_code"]) == ("lint", "fail", 1)
    findings = doc["data"]["files"][0]["findings"]
    assert len({f["id"] for f in findings}) == len(findings) == 10
    first = findings[0]
    assert {k: first[k] for k in ("id", "rule", "line", "column", "written", "corrected", "fixable")} == {
        "id": "L4:C19:curly-quotes",
        "rule": "curly-quotes",
        "line": 4,
        "column": 19,
        "written": "  config.vm.box = “bento/ubuntu-24.04”",
        "corrected": '  config.vm.box = "bento/ubuntu-24.04"',
        "fixable": True,
    }


def test_lint_sarif_puts_findings_on_their_lines_with_fixes(
    tmp_path: Path, cli_runner: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "repo"
    (project / "vm").mkdir(parents=True)
    path = project / "vm" / "Vagrantfile"
    path.write_bytes(MISTAKES.read_bytes())
    monkeypatch.chdir(project)
    result = cli_runner("lint", "--format", "sarif", "--host", "linux", "vm/Vagrantfile")
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    assert run["columnKind"] == "unicodeCodePoints"
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == set(RULES)
    receiver = next(r for r in run["results"] if r["ruleId"] == "receiver")
    location = receiver["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "vm/Vagrantfile"
    assert location["region"] == {"startLine": 5, "startColumn": 3, "endLine": 5, "endColumn": 9}
    (replacement,) = receiver["fixes"][0]["artifactChanges"][0]["replacements"]
    assert replacement == {
        "deletedRegion": {"startLine": 5, "startColumn": 3, "endLine": 5, "endColumn": 9},
        "insertedContent": {"text": "config"},
    }
    assert run["tool"]["driver"]["rules"][receiver["ruleIndex"]]["id"] == "receiver"
    assert receiver["level"] == "error"


def test_lint_finds_the_vagrantfile_vagrant_would_use(
    tmp_path: Path, cli_runner: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "Vagrantfile").write_bytes(MISTAKES.read_bytes())
    (tmp_path / "app").mkdir()
    monkeypatch.chdir(tmp_path / "app")
    result = cli_runner("lint", "--host", "linux")
    assert result.exit_code == 1 and f"{tmp_path / 'Vagrantfile'}:4:19: curly-quotes" in result.stdout


def test_list_rules_names_every_rule(cli_runner: Cli) -> None:
    result = cli_runner("lint", "--list-rules")
    assert [line.split()[0] for line in result.stdout.splitlines()] == list(RULES)


def test_pre_commit_hooks_run_lint_and_fix_on_vagrantfiles() -> None:
    import re

    text = (Path(__file__).parents[2] / ".pre-commit-hooks.yaml").read_text()
    assert re.findall(r"^- id: (\S+)", text, re.M) == ["vagrantkit-lint", "vagrantkit-fix"]
    assert re.findall(r"^  entry: (.+)$", text, re.M) == ["vagrantkit lint --host any", "vagrantkit fix --host any"]
    pattern = re.findall(r"^  files: (.+)$", text, re.M)[0]
    assert all(re.search(pattern, p) for p in ("Vagrantfile", "vm/Vagrantfile", "vagrantfile"))
    assert not any(re.search(pattern, p) for p in ("Vagrantfile.bak", "docs/Vagrantfile.md"))


def test_lint_format_json_gets_the_error_envelope_too(cli_runner: Cli) -> None:
    result = cli_runner("lint", "--format", "json", "--select", "bogus", "x")
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert (doc["command"], doc["status"], doc["exit_code"], doc["data"]) == ("lint", "error", 2, None)
    assert "Invalid value for --select: 'bogus'" in doc["errors"][0]
    sarif = cli_runner("lint", "--format=sarif", "--select", "bogus", "x")
    assert sarif.exit_code == 2 and sarif.stdout == ""
