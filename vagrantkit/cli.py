"""The command line: parse options, call one core function, render its result, exit.

Heavy imports (rich, jinja2, python-vagrant) happen inside the commands, so that
`vagrantkit --help` starts fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any, TypeVar

import click

from vagrantkit import __version__
from vagrantkit.errors import VagrantkitError, shorten
from vagrantkit.registry import DEFAULT_PROVIDER, DEFAULT_SYNC, PROVIDERS, SYNC_TYPES

# ctx.meta keys: the command being run and its arguments as given (before click parses them);
# set once the command has put out its own JSON document (its result), which an error must not replace.
_INVOKED = "vagrantkit.invoked"
_JSON_DONE = "vagrantkit.json_done"


def _shortened(message: str, args: Sequence[str]) -> str:
    """``message`` with every long argument it quotes cut short (click quotes a bad value in full)."""
    for arg in args:
        for value in {arg, arg.partition("=")[2]}:
            message = shorten(message, value)
    return message


def _retold(exc: click.ClickException, message: str) -> click.ClickException:
    """The same click error with another message (click shows it, with the usage line for a usage error).

    Both kinds keep their exit code: 2 for a usage error, 1 for the others.
    """
    if isinstance(exc, click.UsageError):
        return click.UsageError(message, exc.ctx)
    return click.ClickException(message)


def _show_error(exc: VagrantkitError, args: Sequence[str]) -> None:
    click.echo(f"Error: {_shortened(exc.message, args)}", err=True)
    if exc.hint:
        click.echo(_shortened(exc.hint, args), err=True)


def _json_target(command: click.Command, args: Sequence[str]) -> str | None:
    """Where ``args`` ask ``command`` to put its JSON: ``-`` (stdout) for the flag, else bench's FILE.

    Read from the arguments as given, since click's parsing of them may be what failed: each
    option that takes a value skips that value, so ``--box --json`` asks for no JSON.
    """
    takes_value = {
        name: not (param.is_flag or param.count)
        for param in command.params
        if isinstance(param, click.Option)
        for name in (*param.opts, *param.secondary_opts)
    }
    if "--json" not in takes_value:
        return None
    target = None
    rest = iter(args)
    for arg in rest:
        if arg == "--":
            break
        name, eq, value = arg.partition("=")
        if name == "--json":
            target = (value if eq else next(rest, None)) if takes_value[name] else "-"
        elif name == "--format" and takes_value.get(name):  # lint --format json is --json
            target = "-" if (value if eq else next(rest, None)) == "json" else target
        elif not eq and takes_value.get(arg):
            next(rest, None)
    return target


def _json_error(ctx: click.Context, messages: Sequence[str], exit_code: int) -> None:
    """With ``--json``, the envelope of a failed command: ``"status": "error"``, ``data`` null, ``errors`` why.

    The message still goes to stderr as without ``--json``; this is what a script reads on stdout
    (or in bench's ``--json FILE``). Nothing when the command already put out its own document.
    """
    command, args = ctx.meta.get(_INVOKED, (None, ()))
    target = None if command is None or ctx.meta.get(_JSON_DONE) else _json_target(command, args)
    if target is None:
        return
    from vagrantkit.result import dumps, envelope

    text = dumps(envelope(command.name or "", "error", exit_code, None, messages))
    if target == "-":
        click.echo(text, nl=False)
        return
    from vagrantkit.files import atomic_write

    with suppress(OSError):  # the error itself is what the user must see (a missing folder, a full disk)
        atomic_write(Path(target), text)


def _args(ctx: click.Context) -> list[str]:
    """The running command's arguments as given (none before a command is known)."""
    return list(ctx.meta.get(_INVOKED, (None, []))[1])


def _json_done() -> None:
    """Tell the group that the running command has put out its JSON document: an error after it keeps it."""
    click.get_current_context().meta[_JSON_DONE] = True


class _Group(click.Group):
    """Turns vagrantkit's errors into a message, an exit code and (with ``--json``) an envelope:
    the one place they are caught."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        ctx.meta[_INVOKED] = (command, list(rest))
        return name, command, rest

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:  # click's own usage errors, raised while it parses the options
            message = _shortened(exc.format_message(), _args(ctx))
            _json_error(ctx, [message], exc.exit_code)
            if message != exc.format_message():
                raise _retold(exc, message) from None
            raise
        except VagrantkitError as exc:
            _show_error(exc, _args(ctx))
            _json_error(ctx, [_shortened(m, _args(ctx)) for m in (exc.message, exc.hint) if m], exc.exit_code)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            _json_error(ctx, ["Interrupted."], 130)
            ctx.exit(130)


_F = TypeVar("_F", bound=Callable[..., Any])
_json_flag = click.option(
    "--json", "as_json", is_flag=True, help="Print a versioned JSON envelope on stdout instead of text."
)


def _output_file(flag: str, name: str, help: str) -> Callable[[_F], _F]:
    """A bench option naming a file to write (``-``: stdout)."""
    return click.option(flag, name, type=click.Path(dir_okay=False, path_type=Path), metavar="FILE", help=help)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vagrantkit")
def cli() -> None:
    """Fast, correct Vagrant synced folders: render them, check them, measure them.

    \b
    Exit codes: 0 ok, 1 failure (or doctor found a FAIL), 2 usage error, 130 interrupted.
    """


@cli.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--box", help="Vagrant box.  [default: bento/ubuntu-24.04]")
@click.option("--provider", type=click.Choice(list(PROVIDERS)), help=f"[default: {DEFAULT_PROVIDER}]")
@click.option(
    "--sync",
    type=click.Choice(list(SYNC_TYPES)),
    help=f"Synced folder type (smb: Windows and macOS hosts).  [default: {DEFAULT_SYNC}]",
)
@click.option("--memory", type=int, help="Guest memory in MiB.  [default: 2048]")
@click.option("--cpus", type=int, help="Guest CPUs.  [default: 2]")
@click.option("--hostname", help="Guest host name.  [default: from the folder name]")
@click.option("--host-path", help="Host folder to sync, relative to DIR.  [default: .]")
@click.option("--guest-path", help="Absolute mount point in the guest.  [default: /vagrant]")
@click.option(
    "--forward",
    "forwards",
    multiple=True,
    metavar="HOST:GUEST",
    help="Forward a port (repeatable).  [default: 8000:8000]",
)
@click.option("--no-forwards", is_flag=True, help="Forward no port.")
@click.option(
    "--mount-option",
    "mount_options",
    multiple=True,
    help="Mount option (repeatable; replaces the defaults: "
    + "; ".join(f"{', '.join(s.mount_options)} for {s.title}" for s in SYNC_TYPES.values())
    + ").",
)
@click.option("--nfs-version", type=click.Choice(["3", "4"]), help="[default: 3; WinNFSd speaks only 3]")
@click.option(
    "--watch/--no-watch",
    default=None,
    help="Cache attributes a minute (nolock, actimeo=60, nocto) and keep edits fresh with `vagrantkit watch`.",
)
@click.option(
    "--require-plugins/--no-require-plugins",
    default=None,
    help="Have Vagrant install vagrant-winnfsd on Windows hosts.",
)
@click.option("--dry-run", is_flag=True, help="Print the Vagrantfile to stdout; write nothing.")
@click.option(
    "--force", is_flag=True, help="Replace files that differ (a timestamped backup is kept); allow a UDP mount option."
)
@_json_flag
def init(directory: Path, no_forwards: bool, dry_run: bool, force: bool, as_json: bool, **given: Any) -> None:
    """Render DIR/Vagrantfile: a private DHCP network and a tuned NFS synced folder.

    With --sync smb, Vagrant's SMB folder instead (Windows and macOS hosts).
    Answers are saved in DIR/vagrantkit.toml and read back by the next init; options given here win.
    """
    from vagrantkit.render.init import init as run_init

    if no_forwards and given["forwards"]:
        raise click.UsageError("--forward and --no-forwards exclude each other: give one of them.")
    if no_forwards:
        given["forwards"] = ()
    else:
        given["forwards"] = given["forwards"] or None
    given["mount_options"] = given["mount_options"] or None
    result = run_init(directory, given, force=force, dry_run=dry_run)
    if as_json:
        from vagrantkit.result import dumps, envelope

        data = {
            "directory": result.directory,
            "dry_run": result.dry_run,
            "options": result.options,
            "files": [{"path": c.path, "action": c.action, "backup": c.backup} for c in result.changes],
            "warnings": result.warnings,
            "vagrantfile": result.vagrantfile,
        }
        click.echo(dumps(envelope("init", "ok", 0, data)), nl=False)
        return
    if result.dry_run:
        click.echo(result.vagrantfile, nl=False)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    for change in result.changes:
        line = f"{change.action.value:>10}  {change.path}"
        if change.backup:
            line += f" (backup: {change.backup.name})"
        click.echo(line, err=True)
    if result.dry_run:
        click.echo("dry run: nothing was written", err=True)


@cli.command()
@click.argument("ids", nargs=-1, metavar="[ID]...")
@click.option("--list", "list_checks", is_flag=True, help="List the checks (id, category, title) and exit.")
@click.option(
    "--vagrantfile",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The Vagrantfile to check.  [default: found from the current folder upward, as Vagrant does]",
)
@click.option(
    "--django",
    "django_path",
    type=click.Path(file_okay=False, path_type=Path),
    help="The Django project to check.  [default: the current folder, else the project folder, holding manage.py]",
)
@click.option("-v", "--verbose", is_flag=True, help="Show details (and the traceback of a check that broke).")
@_json_flag
@click.pass_context
def doctor(
    ctx: click.Context,
    ids: tuple[str, ...],
    list_checks: bool,
    vagrantfile: Path | None,
    django_path: Path | None,
    verbose: bool,
    as_json: bool,
) -> None:
    """Check the host and the Vagrantfile; print the exact fix for every problem.

    ID... runs only those checks (check ids or categories, see --list).
    Exit 0 when nothing FAILs, 1 when something does, 2 on a usage error.
    """
    import shutil

    from vagrantkit.doctor import report
    from vagrantkit.doctor.core import run_doctor
    from vagrantkit.result import dumps, envelope

    if list_checks:
        from vagrantkit.doctor.model import load_checks

        checks = load_checks()
        if as_json:
            data = {"checks": [{"id": c.id, "title": c.title, "category": c.category.value} for c in checks]}
            click.echo(dumps(envelope("doctor", "ok", 0, data)), nl=False)
        else:
            click.echo(report.render_list(checks), nl=False)
        return
    result = run_doctor(vagrantfile=vagrantfile, django=django_path, only=ids, verbose=verbose)
    if as_json:
        click.echo(dumps(report.render_json(result)), nl=False)
    else:
        tty = sys.stdout.isatty()
        width = shutil.get_terminal_size().columns if tty else None
        click.echo(report.render_text(result, verbose=verbose, color=tty, width=width), nl=False)
    ctx.exit(result.exit_code)


def _lint_options(f: _F) -> _F:
    """The options lint and fix share: which file, which host, which rules."""
    for option in reversed(
        [
            click.argument("paths", nargs=-1, type=click.Path(path_type=Path), metavar="[PATH]..."),
            click.option(
                "--vagrantfile",
                type=click.Path(path_type=Path),
                help="The Vagrantfile.  [default: found from the current folder upward, as Vagrant does]",
            ),
            click.option(
                "--host",
                "host_name",
                type=click.Choice(["windows", "macos", "linux", "any"]),
                help="Judge for this host (any: every host's rules).  [default: this machine's OS]",
            ),
            click.option("--select", multiple=True, metavar="RULE", help="Only these rule ids (repeatable, or a,b)."),
            click.option("--ignore", multiple=True, metavar="RULE", help="Not these rule ids (repeatable, or a,b)."),
        ]
    ):
        f = option(f)
    return f


@cli.command()
@_lint_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
    help="text: a line per finding; json: the envelope; sarif: SARIF 2.1.0 for code scanning.",
)
@click.option("--list-rules", is_flag=True, help="List the rules (id, severity, title) and exit.")
@click.option(
    "-v", "--verbose", is_flag=True, help="Also why, the lines as written and corrected, what was not checked."
)
@_json_flag
@click.pass_context
def lint(
    ctx: click.Context,
    paths: tuple[Path, ...],
    vagrantfile: Path | None,
    host_name: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    output_format: str,
    list_rules: bool,
    verbose: bool,
    as_json: bool,
) -> None:
    """Lint Vagrantfiles from their syntax tree (nothing is executed).

    Inline: `# vagrantkit: ignore[rule-id]` on a line silences that rule there.
    Exit 0 with no findings, 1 with findings, 2 on a usage error.
    """
    from vagrantkit.result import dumps, envelope
    from vagrantkit.vagrantfile import lint as linting
    from vagrantkit.vagrantfile import report
    from vagrantkit.vagrantfile.rules import RULES

    output_format = "json" if as_json else output_format
    if list_rules:
        if output_format == "json":
            data = {"rules": [{"id": r.id, "severity": r.severity.value, "title": r.title} for r in RULES.values()]}
            click.echo(dumps(envelope("lint", "ok", 0, data)), nl=False)
        else:
            width = max(len(r) for r in RULES)
            click.echo(
                "".join(f"{r.id:<{width}}  {r.severity.value:<4}  {r.title}\n" for r in RULES.values()), nl=False
            )
        return
    chosen, dropped = linting.rule_ids("--select", select), linting.rule_ids("--ignore", ignore)
    host = linting.host_of(host_name)
    files = []
    for path in linting.vagrantfiles(paths, vagrantfile):
        result = linting.lint(linting.read_source(path), host=host, select=chosen, ignore=dropped)
        files.append(report.Linted(path, result))
    code = 1 if any(f.result.findings for f in files) else 0
    if output_format == "json":
        status = "fail" if any(f.result.failed for f in files) else ("warn" if code else "pass")
        click.echo(dumps(envelope("lint", status, code, report.lint_data(files))), nl=False)
    elif output_format == "sarif":
        click.echo(dumps(report.sarif(files, Path.cwd())), nl=False)
    else:
        click.echo(report.render_lint(files, verbose=verbose), nl=False)
    ctx.exit(code)


@cli.command()
@_lint_options
@click.option("--dry-run", is_flag=True, help="Print the diff; write nothing.")
@_json_flag
@click.pass_context
def fix(
    ctx: click.Context,
    paths: tuple[Path, ...],
    vagrantfile: Path | None,
    host_name: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    dry_run: bool,
    as_json: bool,
) -> None:
    """Make every safe lint fix in place (a timestamped backup kept) and print the diff.

    Only the exact ranges of each finding change: comments, indentation, quotes, line endings
    and a BOM stay. Refused (nothing written) when the result would not parse or the file
    changed meanwhile. Exit 0 when nothing is left to fix, 1 when something is (or fix
    refused), 2 on a usage error.
    """
    from vagrantkit.result import dumps, envelope
    from vagrantkit.vagrantfile import lint as linting
    from vagrantkit.vagrantfile import report
    from vagrantkit.vagrantfile.fix import fix_file

    chosen, dropped = linting.rule_ids("--select", select), linting.rule_ids("--ignore", ignore)
    host = linting.host_of(host_name)
    results = [
        fix_file(path, host=host, dry_run=dry_run, select=chosen, ignore=dropped)
        for path in linting.vagrantfiles(paths, vagrantfile)
    ]
    code = 1 if any(r.remaining.findings for r in results) else 0
    if as_json:
        click.echo(dumps(envelope("fix", "fail" if code else "pass", code, report.fix_data(results))), nl=False)
    else:
        diff, status = report.render_fix(results, dry_run=dry_run)
        click.echo(diff, nl=False)
        click.echo(status, err=True, nl=False)
    ctx.exit(code)


@cli.command()
@click.option(
    "--local",
    "local",
    multiple=True,
    metavar="[LABEL=]PATH",
    help="Measure this folder on this machine (repeatable; the first is the baseline).",
)
@click.option(
    "--baseline", metavar="LABEL", help="Compare with this target.  [default: the first; in Vagrant: the guest disk]"
)
@click.option(
    "--profile",
    type=click.Choice(["quick", "standard", "full"]),
    default="standard",
    show_default=True,
    help="quick: S tree, 5 reps (< 30 s on a disk); full: M tree.",
)
@click.option(
    "--ops",
    metavar="LIST",
    help="Comma-separated: stat, stat_missing, walk, read, create, append, rename, delete, mkdir_rmdir, "
    "reloader, discover, pyc, edit.",
)
@click.option("--size", metavar="S|M|N", help="Fixture tree: S (2000 files), M (10000) or a number of files.")
@click.option("--reps", type=int, help="Measured repetitions (>= 5).  [default: from the profile]")
@click.option("--warmup", type=int, default=1, show_default=True, help="Discarded repetitions first.")
@click.option("--seed", type=int, default=0, show_default=True, help="Fixture content and target order.")
@click.option(
    "--command", "command", metavar="CMD", help="Time your own command in each folder (e.g. 'python manage.py test')."
)
@click.option(
    "--copy",
    "copy",
    type=click.Path(file_okay=False),
    help="With --command: run it in a copy of this folder inside each target's scratch folder "
    "(in the guest: a guest path; default there: the NFS folder).",
)
@click.option(
    "--host-side",
    "host_side",
    multiple=True,
    metavar="LABEL=FOLDER",
    help="With --local: the host folder behind target LABEL (a share of it), where op edit edits (repeatable). "
    "In a Vagrant guest bench knows them.",
)
@click.option("--edits", type=int, help="Edits per shared folder for op edit (>= 4).  [default: 20]")
@click.option("--machine", help="Vagrant machine.  [default: the first]")
@click.option(
    "--up", is_flag=True, help="Create the machine with vagrant up when it does not exist (it stays created)."
)
@click.option(
    "--from",
    "from_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Render a runner JSON document measured elsewhere; measure nothing.",
)
@_output_file("--json", "json_file", "Write the versioned JSON (- for stdout, instead of the table).")
@_output_file("--csv", "csv_file", "Write one CSV line per operation and folder (- for stdout, instead of the table).")
@_output_file("--plot", "plot_file", "Write a bar chart (.png or .svg; needs matplotlib).")
def bench(
    json_file: Path | None, csv_file: Path | None, plot_file: Path | None, from_file: Path | None, **given: Any
) -> None:
    """Measure how fast each synced folder is: the guest's disk vs NFS vs the hypervisor share.

    Without --local, runs inside this project's Vagrant guest (a halted one is started, and halted
    again afterwards). Only the runner's own scratch folder (.vagrantkit-bench-*) is touched, and
    it is removed on every exit; --command runs in a copy of the project there.
    """
    from rich.console import Console

    from vagrantkit.bench import core, report
    from vagrantkit.bench.model import BenchOptions
    from vagrantkit.bench.options import check_from_alone
    from vagrantkit.result import PIPED_WIDTH

    report.check_output_paths({"--json": json_file, "--csv": csv_file, "--plot": plot_file})
    if plot_file is not None:
        report.check_plot_path(plot_file)
    err = Console(stderr=True)
    # A failure before there is a result: the group writes the error envelope wherever --json asked.
    if from_file is not None:
        check_from_alone(given)
        result = core.analyze_file(from_file, baseline=given["baseline"])
    else:
        options = BenchOptions(project=Path.cwd(), **given)
        with report.ProgressDisplay(err) as progress:
            result = core.run_bench(options, progress=progress, notify=lambda text: err.print(text, highlight=False))
    _json_done()  # from here on --json gets the result, also when writing another output fails
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    for error in result.errors:
        click.echo(f"error: {error}", err=True)
    if json_file is not None and str(json_file) == "-":
        click.echo(report.to_json(result), nl=False)
    elif csv_file is not None and str(csv_file) == "-":
        click.echo(report.to_csv(result), nl=False)
    else:
        tty = sys.stdout.isatty()
        report.render_table(result, Console(soft_wrap=False, width=None if tty else PIPED_WIDTH))
    for path, write in ((json_file, report.to_json), (csv_file, report.to_csv)):
        if path is not None and str(path) != "-":  # "-": printed above, instead of the table
            report.write_text(path, write(result))
    if plot_file is not None:
        report.write_plot(result, plot_file)
    if result.exit_code:
        raise click.exceptions.Exit(result.exit_code)


@cli.command()
@click.option("--machine", help="Vagrant machine.  [default: the first]")
@click.option(
    "--folder",
    "folders",
    multiple=True,
    metavar="HOST=GUEST",
    help="Forward changes of this host folder, mounted at GUEST (repeatable).  [default: the guest's NFS mounts]",
)
@click.option(
    "--inotify", is_flag=True, help="Also emit an inotify event in the guest per change (for watchman, webpack)."
)
def watch(machine: str | None, folders: tuple[str, ...], inotify: bool) -> None:
    """Push host edits into the guest, so an NFS folder can cache attributes and still be fresh.

    Runs in the foreground until Ctrl-C (exit 130). Watches the host folders of the guest's NFS
    mounts and tells a receiver in the guest (over one ssh session, from `vagrant ssh-config`) which
    paths changed; it revalidates them in the guest's NFS client at once. Nothing on the host is
    written. Reconnects when the machine restarts or ssh drops. Pairs with `vagrantkit init --watch`.
    """
    import signal

    from vagrantkit.watch.core import parse_folder, run_watch

    mapped = [parse_folder(text) for text in folders]

    def say(text: str) -> None:
        click.echo(text, err=True)

    def terminate(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt  # SIGTERM stops it as Ctrl-C does: session closed, lock released

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        run_watch(Path.cwd(), machine=machine, folders=mapped, inotify=inotify, notify=say)
    finally:
        signal.signal(signal.SIGTERM, previous)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="vagrantkit")
