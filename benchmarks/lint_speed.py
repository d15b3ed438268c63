#!/usr/bin/env python3
"""How long `vagrantkit lint` takes on a 40,000-line Vagrantfile (goal: at most 2 s for the text output).

Usage: python benchmarks/lint_speed.py [--lines N] [--runs N]

The file is many machines, each a define block with a network, NFS folders over several lines,
a provider block, a heredoc, comments and a few mistakes (so the findings are rendered too): the
shape of a real multi-machine file, repeated. Each run is the whole command, as a user types it
(`python -m vagrantkit lint FILE`), start-up included; the script prints the median and best wall
time and the median CPU time (steadier where other machines share the CPUs).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MACHINE = """\
  config.vm.define "node{n}" do |node|
    # machine {n}: a web node with its code over NFS
    node.vm.hostname = "node{n}.local"
    node.vm.network "private_network", ip: "192.168.56.{ip}"
    node.vm.synced_folder ".", "/vagrant",
      type: "nfs",
      nfs_udp: false,
      mount_options: ["nolock", "actimeo=1"]
    node.vm.synced_folder "src", "/srv/src", type: "nfs", mount_options: ["udp"]  # two findings here
    node.vm.provider "virtualbox" do |vb, override|
      vb.memory = 2048
      vb.cpus = 2
      override.vm.box = "bento/ubuntu-24.04"
    end
    node.vm.provision "shell", inline: <<-SHELL
      echo "provisioning node{n}"
      apt-get update -q
    SHELL
  end
"""


def vagrantfile(lines: int) -> str:
    head = 'Vagrant.configure("2") do |config|\n  config.vm.box = "bento/ubuntu-24.04"\n'
    per = MACHINE.count("\n")
    body = "".join(MACHINE.format(n=n, ip=10 + n % 200) for n in range(max(1, (lines - 3) // per)))
    return head + body + "end\n"


def _children_cpu() -> float:
    """CPU seconds (user + system) of finished child processes: steadier than wall time on a shared VM."""
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=40_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Vagrantfile"
        path.write_text(vagrantfile(args.lines))
        count = path.read_text().count("\n")
        times, cpu = [], []
        for _ in range(args.runs):
            used = _children_cpu()
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "vagrantkit", "lint", "--host", "linux", str(path)],
                capture_output=True,
                text=True,
                check=False,
            )
            times.append(time.perf_counter() - start)
            cpu.append(_children_cpu() - used)
            if done.returncode not in (0, 1):
                sys.exit(f"lint failed ({done.returncode}): {done.stderr}")
        findings = done.stdout.strip().splitlines()[-1]
    print(f"{count} lines, {findings}")
    print(
        f"vagrantkit lint: median {statistics.median(times):.2f} s, best {min(times):.2f} s wall; "
        f"CPU median {statistics.median(cpu):.2f} s ({args.runs} runs; goal <= 2 s)"
    )


if __name__ == "__main__":
    main()
