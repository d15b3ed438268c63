#!/usr/bin/env python3
"""Run `vagrantkit bench` in the lab: a real guest kernel, guest disk vs a 9p share vs NFSv3.

Usage (as root, with the packages scripts/test installs):

    python benchmarks/lab.py [--size 2000] [--reps 5] [--json FILE] [--markdown FILE] [--plot FILE.png]

Boots a one-shot QEMU guest (software emulation) through the lab in tests/lab/lab.py, runs the
same runner `vagrantkit bench` sends to a Vagrant guest on three folders — the guest's own ext4
disk (baseline), a 9p share of a scratch host folder, and the same folder over NFSv3 from
nfs-ganesha with the mount options `vagrantkit init` renders — and prints the same table.
Everything it starts is stopped and every folder it makes is removed, whatever happens.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console

from tests.lab.lab import bench_in_lab, lab_mount_options
from vagrantkit.bench import analysis, report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="2000", help="files in the fixture tree (default 2000)")
    parser.add_argument("--reps", default="5", help="measured repetitions (default 5)")
    parser.add_argument("--json", type=Path, help="write the runner's document here")
    parser.add_argument("--markdown", type=Path, help="write a Markdown report here")
    parser.add_argument("--plot", type=Path, help="write a bar chart (.png or .svg) here")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before the guest is killed")
    args = parser.parse_args()
    started = time.monotonic()
    # bench_in_lab turns SIGTERM into an exception, so the guest, ganesha and the share are cleaned up.
    with tempfile.TemporaryDirectory(prefix="vagrantkit-lab-share-") as share:
        document, guest, _ = bench_in_lab(Path(share), ["--size", args.size, "--reps", args.reps], timeout=args.timeout)
    seconds = time.monotonic() - started
    result = analysis.analyze(document, where="qemu lab")
    report.render_table(result, Console(width=140))
    print(f"lab run: {seconds:.0f} s in all, guest boot + run {guest.seconds:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    if args.plot:
        report.write_plot(result, args.plot, title="Lab (QEMU TCG guest): guest ext4 disk = 1 vs 9p vs NFSv3")
    if args.markdown:
        env = document["environment"]
        command = "python benchmarks/lab.py " + shlex.join(sys.argv[1:])
        args.markdown.write_text(
            "# Lab results: guest disk vs 9p vs NFSv3, in a real guest kernel\n\n"
            f"Produced by `{command}` on the project's Debian 12 machine (2 CPUs, no KVM): a guest "
            f"kernel {env['kernel']['release']} under QEMU software emulation (TCG), Python {env['python']} "
            "in the guest, the runner's fixture of "
            f"{document['params']['files']} files, {document['params']['reps']} measured repetitions after "
            f"{document['params']['warmup']} warm-up, targets shuffled in every repetition. "
            f"The whole run took {seconds:.0f} s.\n\n"
            "- **disk**: the guest's own disk (ext4 on a virtio block device) — the baseline.\n"
            "- **9p**: a QEMU 9p (virtio) share of a host folder — a hypervisor shared folder, the same "
            "class as VirtualBox's vboxsf: every call is a round trip to the hypervisor.\n"
            "- **nfs**: the same host folder over NFSv3 from nfs-ganesha (userspace, on the loopback of "
            "the lab's own network namespace, no attribute cache of its own), mounted by the guest kernel "
            "with `vagrantkit init`'s options "
            f"(`{','.join(lab_mount_options())}`; everything after `actimeo=1` is only what busybox, "
            "which has no mount.nfs, must tell the kernel itself).\n\n"
            "Cells: median · items/s · **time ratio to the guest disk** [bootstrap 95% interval]. "
            "Software emulation makes every absolute figure slow; the ratios are what carries over.\n\n"
            + report.to_markdown(result)
            + f"\nRecommendation printed: `{result.recommendation}`\n"
        )
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
