"""What running a comparison from Python costs over the CLI: the default
comparison run by `attnlab compare` (a child process, as a shell runs it)
and by attnlab.compare() (from an interpreter already running, as in a
notebook: the child process, echoing and polling, then loading the results
into DataFrames), alternating A B B A ... in one run so that drift on a
shared machine hits both alike. Wall time, and CPU time (this process's and
its children's), which load from other work on the machine disturbs less;
and, free of the child's own run-to-run noise, the time attnlab.compare()
spends outside the child (reading the config, loading the results).

    PYTHONPATH=build/python /usr/bin/python3 bench/python_overhead.py [--reps 8]
"""

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import attnlab
from attnlab import _attnlab, _locate, runs

parser = argparse.ArgumentParser()
parser.add_argument("--reps", type=int, default=8, help="runs of each (default 8)")
args = parser.parse_args()

executable = _locate.executable()
work = Path(tempfile.mkdtemp(prefix="attnlab-python-overhead-"))


def cli(folder):
    subprocess.run([executable, "compare", "--out", folder], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)


child_seconds = []


def timed_run_command(*args):
    start = time.monotonic()
    try:
        return _attnlab.run_command(*args)
    finally:
        child_seconds.append(time.monotonic() - start)


runs._attnlab = type("Timed", (), {"run_command": staticmethod(timed_run_command),
                                   "resolve_config": staticmethod(_attnlab.resolve_config)})


def python(folder):
    attnlab.compare(out=folder, quiet=True)


def cpu_seconds():
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


# Importing pandas and NumPy (which loading results needs) happens once per
# session: measured on its own, and done before the runs.
start = time.monotonic()
subprocess.run([sys.executable, "-c", "import attnlab, pandas"], check=True)
import_seconds = time.monotonic() - start
import numpy  # noqa: F401
import pandas  # noqa: F401

outside = []
wall = {"cli": [], "python": []}
cpu = {"cli": [], "python": []}
for rep in range(args.reps):
    order = ["cli", "python"] if rep % 2 == 0 else ["python", "cli"]
    for mode in order:
        folder = work / f"{mode}-{rep}"
        start, start_cpu = time.monotonic(), cpu_seconds()
        (cli if mode == "cli" else python)(folder)
        wall[mode].append(time.monotonic() - start)
        cpu[mode].append(cpu_seconds() - start_cpu)
        if mode == "python":
            outside.append(wall[mode][-1] - child_seconds[-1])
        print(f"{mode:6} {rep + 1}: {wall[mode][-1]:.2f} s wall, {cpu[mode][-1]:.2f} s CPU", flush=True)
    tables = {(work / f"{m}-{rep}" / "summary.csv").read_text().splitlines()[1].split(",")[1] for m in order}
    assert len(tables) == 1, "the two runs differ"

print("\nrun   cli wall  python wall  ratio   cli CPU  python CPU  ratio")
for rep in range(args.reps):
    print(f"{rep + 1:<4}  {wall['cli'][rep]:8.2f}  {wall['python'][rep]:11.2f}  {wall['python'][rep] / wall['cli'][rep]:5.3f}"
          f"  {cpu['cli'][rep]:8.2f}  {cpu['python'][rep]:10.2f}  {cpu['python'][rep] / cpu['cli'][rep]:5.3f}")
for name, f in [("mean", statistics.mean), ("median", statistics.median)]:
    wc, wp, cc, cp = f(wall["cli"]), f(wall["python"]), f(cpu["cli"]), f(cpu["python"])
    print(f"{name:<6}{wc:8.2f}  {wp:11.2f}  {wp / wc:5.3f}  {cc:8.2f}  {cp:10.2f}  {cp / cc:5.3f}")
print(f"\nattnlab.compare() outside the child process: mean {statistics.mean(outside) * 1000:.0f} ms, "
      f"max {max(outside) * 1000:.0f} ms ({statistics.mean(outside) / statistics.mean(wall['cli']) * 100:.1f} % "
      "of the CLI's mean wall time)")
print(f"`import attnlab, pandas` in a fresh interpreter: {import_seconds:.2f} s (once per session)")
shutil.rmtree(work)
