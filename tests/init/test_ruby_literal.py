"""Property tests with real Ruby: a user value is read back exactly, or refused with a clear message."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import need
from vagrantkit.errors import InvalidValue
from vagrantkit.render.init import render_vagrantfile
from vagrantkit.render.options import InitOptions, validate
from vagrantkit.render.ruby import ruby_literal

READBACK = Path(__file__).resolve().parent.parent / "ruby" / "readback.rb"

# Text biased towards what could end a Ruby string or start code, plus any Unicode character.
NASTY = [*"\"'\\#{}$@`;|&%()<>\n\r\t\0\x04\x1a\x7f", "#{", "\\u{0}", "\u2028", "\u202e", "é", "😀"]
texts = st.lists(st.one_of(st.sampled_from(NASTY), st.characters(exclude_categories=["Cs"])), max_size=30).map("".join)


def ruby_eval_all(literals: list[str]) -> Any:
    ruby = need("ruby")
    program = "require 'json'\n$stdout.write(JSON.generate([\n" + ",\n".join(literals) + "\n]))\n"
    out = subprocess.run([ruby, "-e", program], capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    return json.loads(out.stdout.decode("utf-8"))


@settings(max_examples=60, deadline=None)
@given(st.lists(texts, min_size=1, max_size=40))
def test_any_text_literal_reads_back_exactly(values: list[str]) -> None:
    assert ruby_eval_all([ruby_literal(v) for v in values]) == values


def test_literals_of_other_types_read_back() -> None:
    values: list[Any] = [0, 65535, True, False, None, ["nolock", "actimeo=1"], []]
    assert ruby_eval_all([ruby_literal(v) for v in values]) == values


def test_literal_refuses_types_it_cannot_quote() -> None:
    with pytest.raises(TypeError):
        ruby_literal(1.5)
    with pytest.raises(ValueError, match="surrogate"):
        ruby_literal("\udc80")


def load_recorded(tmp_path: Path, options: InitOptions) -> list[dict[str, Any]]:
    """Render, then load the Vagrantfile in real Ruby with Vagrant's API replaced by a recorder."""
    ruby = need("ruby")
    vagrantfile = tmp_path / "Vagrantfile"
    vagrantfile.write_text(render_vagrantfile(options), encoding="utf-8")
    out = subprocess.run([ruby, str(READBACK), str(vagrantfile)], capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    calls: list[dict[str, Any]] = json.loads(out.stdout.decode("utf-8"))
    return calls


def call_names(calls: list[dict[str, Any]]) -> list[str]:
    return [c["call"] for c in calls]


@pytest.fixture(scope="module")
def baseline_calls(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return call_names(load_recorded(tmp_path_factory.mktemp("baseline"), validate(InitOptions())))


FIELDS = {
    "box": lambda calls: next(c["args"][0] for c in calls if c["call"] == "config.vm.box="),
    "hostname": lambda calls: next(c["args"][0] for c in calls if c["call"] == "config.vm.hostname="),
    "host_path": lambda calls: next(c["args"][0] for c in calls if c["call"] == "config.vm.synced_folder"),
    "mount_options": lambda calls: next(
        c["kw"]["mount_options"] for c in calls if c["call"] == "config.vm.synced_folder"
    ),
}


@pytest.mark.parametrize("field", sorted(FIELDS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=texts)
def test_user_value_reaches_vagrantfile_exactly_or_is_refused(
    field: str, value: str, tmp_path: Path, baseline_calls: list[str]
) -> None:
    given_value: Any = [value] if field == "mount_options" else value
    try:
        options = validate(InitOptions(**{field: given_value}))
    except InvalidValue as exc:
        # Refused: the message names the option and says what is allowed.
        assert exc.option == "--" + field.replace("_", "-").removesuffix("s")
        assert "Allowed:" in exc.message
        return
    calls = load_recorded(tmp_path, options)
    assert FIELDS[field](calls) == given_value
    # Loading the file did exactly what the default file does: nothing more, nothing else.
    assert call_names(calls) == baseline_calls


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("host_path", 'C:\\Users\\dev\\"#{`id`}"'),
        ("host_path", "D:\\projects\\my shop\\"),
        ("host_path", "/home/me/proj'; system('id'); '"),
        ("host_path", "~/проекты/магазин"),
        ("mount_options", "actimeo=1"),
        ("hostname", "shop.example"),
        ("box", "bento/ubuntu-24.04"),
    ],
)
def test_examples_read_back_exactly(field: str, value: str, tmp_path: Path, baseline_calls: list[str]) -> None:
    given_value: Any = [value] if field == "mount_options" else value
    calls = load_recorded(tmp_path, validate(InitOptions(**{field: given_value})))
    assert FIELDS[field](calls) == given_value
    assert call_names(calls) == baseline_calls
