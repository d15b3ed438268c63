"""Real public Vagrantfiles (corpus/, sources in corpus/README.md) and one file per edge case (edge/):
the findings expected on each, by line, and fixes that real Ruby parses and a second run leaves alone."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import need
from vagrantkit.errors import InvalidValue
from vagrantkit.host import OS
from vagrantkit.registry import SYNC_TYPES
from vagrantkit.render.init import render_vagrantfile
from vagrantkit.render.options import InitOptions, parse_forward, validate, warnings_for
from vagrantkit.vagrantfile.fix import fix_source
from vagrantkit.vagrantfile.lint import lint
from vagrantkit.vagrantfile.rules import Host
from vagrantkit.vagrantfile.source import Source

HERE = Path(__file__).parent
EXPECTED: dict[str, list[str]] = json.loads((HERE / "expected.json").read_text())
FILES = sorted(p for d in ("corpus", "edge") for p in (HERE / d).iterdir() if p.name != "README.md")


def ruby_parses(code: bytes, tmp_path: Path) -> bool:
    path = tmp_path / "check.rb"
    path.write_bytes(code)
    done = subprocess.run([need("ruby"), "-c", str(path)], capture_output=True, text=True, timeout=30)
    return done.returncode == 0


def test_the_corpus_has_at_least_20_real_files_each_with_its_source() -> None:
    readme = (HERE / "corpus" / "README.md").read_text()
    real = [p for p in FILES if p.parent.name == "corpus"]
    assert len(real) >= 20
    for path in real:
        assert f"`{path.name}`" in readme or f"| {path.name} |" in readme, path.name
    assert sorted(EXPECTED) == sorted(f"{p.parent.name}/{p.name}" for p in FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_findings_by_line_and_fixes_that_ruby_parses(path: Path, tmp_path: Path) -> None:
    source = Source.from_bytes(path.read_bytes())
    result = lint(source, host=Host.ANY)
    assert [f"{f.line} {f.rule}" for f in result.findings] == EXPECTED[f"{path.parent.name}/{path.name}"]
    fixed, applied, final = fix_source(source, host=Host.ANY)
    assert [f for f in final.findings if f.corrected is not None] == []  # every fixable finding was fixed
    assert all(f.unfixable for f in final.findings)  # and what is left says why
    assert fix_source(fixed, host=Host.ANY)[0].code == fixed.code  # idempotent
    if applied:
        assert fixed.bom == source.bom and (b"\r\n" in fixed.code) == (b"\r\n" in source.code)
        parsed_before = ruby_parses(source.to_bytes(), tmp_path)
        assert ruby_parses(fixed.to_bytes(), tmp_path) or not parsed_before
        if any(f.rule == "curly-quotes" for f in applied):
            assert ruby_parses(fixed.to_bytes(), tmp_path)  # the quotes were why it did not parse


_SAFE = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=20)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    box=st.sampled_from(["bento/ubuntu-24.04", "generic/debian12", "ubuntu/jammy64"]),
    provider=st.sampled_from(["virtualbox", "libvirt"]),
    sync=st.sampled_from(sorted(SYNC_TYPES)),
    memory=st.integers(256, 65536),
    cpus=st.integers(1, 64),
    hostname=st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9]", fullmatch=True),
    host_path=_SAFE,
    guest_path=_SAFE.map(lambda s: "/" + s),
    forwards=st.lists(st.tuples(st.integers(1, 65535), st.integers(1, 65535)), max_size=3),
    mount_options=st.one_of(
        st.none(), st.lists(st.sampled_from(["nolock", "actimeo=2", "rsize=65536", "noatime", "nocto"]), min_size=1)
    ),
    nfs_version=st.sampled_from([3, 4]),
    watch=st.booleans(),
    require_plugins=st.booleans(),
)
def test_whatever_init_renders_without_a_warning_lints_clean_and_fix_leaves_it_byte_identical(
    **answers: object,
) -> None:
    forwards = tuple(parse_forward(f"{h}:{g}") for h, g in answers.pop("forwards"))  # type: ignore[attr-defined]
    mount_options = answers.pop("mount_options")
    sync = SYNC_TYPES[answers["sync"]]  # type: ignore[index]
    fields = {**answers, "forwards": forwards, "mount_options": tuple(mount_options or sync.mount_options)}
    try:
        options = validate(InitOptions(**fields))  # type: ignore[arg-type]
    except InvalidValue:
        return  # init refuses these answers (exit 2): nothing is rendered
    text = render_vagrantfile(options)
    source = Source.from_text(text)
    warned = bool(warnings_for(options))
    for host in Host:
        findings = lint(source, host=host).findings
        served = sync.hosts >= ({OS.WINDOWS, OS.MACOS, OS.LINUX} if host is Host.ANY else {OS(host.value)})
        if not warned and served:
            assert findings == (), (host, [f.id for f in findings])
        elif not warned:  # SMB, judged for a Linux host: that one finding and no other
            assert [f.rule for f in findings] == ["smb-on-linux-host"], (host, [f.id for f in findings])
        assert fix_source(source, host=host)[0].code == source.code or warned
