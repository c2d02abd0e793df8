#!/usr/bin/env python3
"""Runs a command and reports its wall time and peak resident memory.

Usage: peak_rss.py [-o FILE] -- COMMAND [ARG...]

Writes one line "WALL_SECONDS PEAK_RSS_KIB CPU_SECONDS" to FILE (default:
stderr) once the command ends, and exits with the command's status (128+N
when killed by signal N). CPU is user + system time of the command and its
children: unlike wall time, it hardly moves when other work shares the
machine. The command inherits stdin, stdout and stderr. Linux only.

Why not just ru_maxrss of RUSAGE_CHILDREN: the child starts as a fork of this
Python process, and the kernel folds the forked image's resident set (about
14 MB of Python) into the child's ru_maxrss when it execs the command. So
ru_maxrss is exact only when the command's peak exceeds Python's own size.
Otherwise the peak comes from sampling the command's VmHWM (the high-water
mark of its own address space, which starts afresh at exec) in
/proc/PID/status every few milliseconds while it runs.
"""

import argparse
import resource
import subprocess
import sys
import threading
import time

SAMPLE_SECONDS = 0.005


def vm_hwm_kib(pid: int) -> int:
    """The VmHWM of a running process in KiB, or 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", help="file for the result line (default: stderr)")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given (peak_rss.py [-o FILE] -- COMMAND [ARG...])")

    own_peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Children reaped before we started (e.g. by a pyenv shim that then
    # exec'd Python) already count in RUSAGE_CHILDREN: take them out.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        child = subprocess.Popen(command)
    except OSError as e:
        print(f"peak_rss.py: cannot run {command[0]}: {e.strerror}", file=sys.stderr)
        return 127

    sampled_kib = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal sampled_kib
        while not done.is_set():
            sampled_kib = max(sampled_kib, vm_hwm_kib(child.pid))
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    status = child.wait()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    children_kib = children.ru_maxrss
    cpu = (children.ru_utime + children.ru_stime) - (before.ru_utime + before.ru_stime)
    # Above Python's own peak, ru_maxrss can only be the command's: exact.
    peak_kib = children_kib if children_kib > max(own_peak_kib, before.ru_maxrss) else sampled_kib

    line = f"{wall:.3f} {peak_kib} {cpu:.3f}\n"
    if args.output:
        with open(args.output, "w", encoding="ascii") as out:
            out.write(line)
    else:
        sys.stderr.write(line)
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main())
