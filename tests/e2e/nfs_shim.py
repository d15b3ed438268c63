"""What Vagrant's Linux-host NFS commands run in the end-to-end test: nfs-ganesha instead of the kernel's nfsd.

Vagrant's own NFS code runs for real: it writes its export block into /etc/exports, then runs its
host's ``nfs_check_command`` and, through sudo, ``nfs_start_command`` or ``nfs_apply_command``
(hashicorp/vagrant plugins/hosts/linux/cap/nfs.rb). This kernel has no nfsd, so the e2e's own
VAGRANT_HOME overrides those capabilities (see :func:`home_vagrantfile`) to point at this script,
which serves what Vagrant wrote with ganesha:

    nfs_shim.py --state DIR --project DIR status    exit 0 when ganesha runs (else 3, as init scripts do)
    nfs_shim.py --state DIR --project DIR start     read /etc/exports, (re)start ganesha with it
    nfs_shim.py --state DIR --project DIR apply     the same (Vagrant's `exportfs -ar`)

Only Vagrant's blocks for exports under ``--project`` are served, to exactly the clients Vagrant
named. The script runs where Vagrant runs: inside the e2e's sandbox, beside its rpcbind.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script (by sudo): make `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.ganesha import Export, Ganesha, GaneshaError, config, parse_exports, vagrant_blocks
from vagrantkit.render.ruby import ruby_literal

EXPORTS = Path("/etc/exports")


def served(exports_text: str, project: Path) -> list[Export]:
    """The exports of Vagrant's blocks that lie under ``project``."""
    root = project.resolve()
    found = parse_exports(vagrant_blocks(exports_text))
    return [e for e in found if Path(e.path) == root or root in Path(e.path).parents]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nfs_shim.py")
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("action", choices=("status", "start", "apply"))
    args = parser.parse_args(argv)
    server = Ganesha(args.state)
    if args.action == "status":
        return 0 if server.pid() is not None else 3
    exports = served(EXPORTS.read_text() if EXPORTS.exists() else "", args.project)
    try:
        pid = server.start(config(exports))
    except GaneshaError as exc:
        print(f"nfs_shim: {exc}", file=sys.stderr)
        return 1
    with (args.state / "actions.log").open("a") as log:  # what Vagrant asked for, for the test to read
        log.write(f"{args.action} pid={pid} exports={[e.path for e in exports]} uid={os.getuid()}\n")
    return 0


def home_vagrantfile(state: Path, project: Path) -> str:
    """The Ruby for VAGRANT_HOME/Vagrantfile that points Vagrant's Linux-host NFS commands at this script.

    The narrowest seam: four host capabilities, in the test's own VAGRANT_HOME. /etc/init.d and
    PATH stay as they are; Vagrant still writes /etc/exports and calls sudo itself.
    """
    command = shlex.join(
        [sys.executable, str(Path(__file__).resolve()), "--state", str(state), "--project", str(project)]
    )
    return f"""\
# vagrantkit e2e: this kernel has no nfsd. Vagrant's own NFS code runs (it writes /etc/exports
# and calls these commands through sudo); the commands drive nfs-ganesha (tests/e2e/nfs_shim.py).
module VagrantkitE2ENfs
  SHIM = {ruby_literal(command)}

  module Cap
    def self.nfs_installed(env)
      true
    end

    def self.nfs_check_command(env)
      "#{{SHIM}} status"
    end

    def self.nfs_start_command(env)
      "#{{SHIM}} start"
    end

    def self.nfs_apply_command(env)
      "#{{SHIM}} apply"
    end
  end

  class Plugin < Vagrant.plugin("2")
    name "vagrantkit-e2e-nfs"
    %w(nfs_installed nfs_check_command nfs_start_command nfs_apply_command).each do |cap|
      host_capability("linux", cap) {{ Cap }}
    end
  end
end
"""


if __name__ == "__main__":
    sys.exit(main())
