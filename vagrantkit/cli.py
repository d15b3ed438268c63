"""The command line: parse options, call one core function, render its result, exit.

Heavy imports (rich, jinja2, python-vagrant) happen inside the commands, so that
`vagrantkit --help` starts fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from vagrantkit import __version__
from vagrantkit.errors import VagrantkitError


def _show_error(exc: VagrantkitError) -> None:
    click.echo(f"Error: {exc.message}", err=True)
    if exc.hint:
        click.echo(exc.hint, err=True)


class _Group(click.Group):
    """Turns vagrantkit's errors into a message and an exit code: the one place they are caught."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except VagrantkitError as exc:
            _show_error(exc)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


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
@click.option("--provider", type=click.Choice(["virtualbox", "libvirt"]), help="[default: virtualbox]")
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
    help="NFS mount option (repeatable; replaces the defaults nolock, actimeo=1).",
)
@click.option("--nfs-version", type=click.Choice(["3", "4"]), help="[default: 3; WinNFSd speaks only 3]")
@click.option(
    "--require-plugins/--no-require-plugins",
    default=None,
    help="Have Vagrant install vagrant-winnfsd on Windows hosts.",
)
@click.option("--dry-run", is_flag=True, help="Print the Vagrantfile to stdout; write nothing.")
@click.option("--force", is_flag=True, help="Replace files that differ (a timestamped backup is kept).")
@click.option("--json", "as_json", is_flag=True, help="Print a versioned JSON envelope on stdout instead of text.")
def init(directory: Path, no_forwards: bool, dry_run: bool, force: bool, as_json: bool, **given: Any) -> None:
    """Render DIR/Vagrantfile: a private DHCP network and a tuned NFS synced folder.

    Answers are saved in DIR/vagrantkit.toml and read back by the next init; options given here win.
    """
    from vagrantkit.render.init import init as run_init

    if no_forwards:
        given["forwards"] = ()
    else:
        given["forwards"] = given["forwards"] or None
    given["mount_options"] = given["mount_options"] or None
    if given["nfs_version"] is not None:
        given["nfs_version"] = int(given["nfs_version"])
    result = run_init(directory, given, force=force, dry_run=dry_run)
    if as_json:
        from vagrantkit.result import dumps, envelope

        data = {
            "directory": result.directory,
            "dry_run": dry_run,
            "options": result.options,
            "files": [{"path": c.path, "action": c.action, "backup": c.backup} for c in result.changes],
            "warnings": result.warnings,
            "vagrantfile": result.vagrantfile,
        }
        click.echo(dumps(envelope("init", "ok", 0, data)), nl=False)
        return
    if dry_run:
        click.echo(result.vagrantfile, nl=False)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    for change in result.changes:
        line = f"{change.action.value:>10}  {change.path}"
        if change.backup:
            line += f" (backup: {change.backup.name})"
        click.echo(line, err=True)
    if dry_run:
        click.echo("dry run: nothing was written", err=True)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="vagrantkit")
