#!/usr/bin/python3
"""Runs every attnlab benchmark and writes a summary (called by bench/run.sh).

1. Side by side: attnlab_throughput and bench/torch_reference.py on the same
   configurations, alternating, several repetitions; samples per second for
   each and the ratio of the medians.
2. Threads: a three-activation comparison with 1 and 2 threads, alternating;
   and `attnlab compare` run with each, whose metrics.jsonl must be identical.
3. Micro-benchmarks (Google Benchmark): the normal sampler against
   std::normal_distribution, the learner's FLOP rate against a large matrix
   product, and the rest of the pieces of a step.
4. Peak memory of the default comparison (GNU time).

Ratios are always taken between numbers measured in this one run.
"""
import argparse
import datetime
import filecmp
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

ACTIVATIONS = ["softmax", "softmax1", "bayes-softmax"]
# (label, settings, training samples per run for attnlab and for the reference)
CONFIGS = [
    ("D=200 L=20 H=4 F=2, batch 1", dict(D=200, L=20, H=4, F=2, batch=1), 60000, 3000),
    ("D=200 L=20 H=4 F=2, batch 64", dict(D=200, L=20, H=4, F=2, batch=64), 64000, 12800),
    ("D=1000 L=32 H=8 F=4, batch 1", dict(D=1000, L=32, H=8, F=4, batch=1), 6000, 600),
    ("D=1000 L=32 H=8 F=4, batch 64", dict(D=1000, L=32, H=8, F=4, batch=64), 12800, 1280),
]
THREAD_CONFIGS = [
    ("default comparison's shape: D=100 L=8 H=4, batch 16", dict(D=100, L=8, H=4, F=2, batch=16), 100000),
    ("D=200 L=20 H=4 F=2, batch 64", dict(D=200, L=20, H=4, F=2, batch=64), 64000),
    ("D=1000 L=32 H=8 F=4, batch 64", dict(D=1000, L=32, H=8, F=4, batch=64), 12800),
]


def run_json(command):
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def settings_args(settings):
    return [arg for key, value in settings.items() for arg in (f"--{key}", str(value))]


def side_by_side(bin_dir, bin_v3, repetitions, log):
    """bin_v3: optional build with ATTNLAB_ARCH=x86-64-v3, timed as a third program."""
    rows = []
    for label, settings, attnlab_samples, torch_samples in CONFIGS:
        for activation in ACTIVATIONS:
            ours, ours_v3, theirs = [], [], []
            for _ in range(repetitions):
                for folder, runs in ((bin_dir, ours), (bin_v3, ours_v3)):
                    if folder:
                        runs.append(run_json([os.path.join(folder, "attnlab_throughput"), "--activation", activation,
                                              "--samples", str(attnlab_samples)] + settings_args(settings)))
                theirs.append(run_json([sys.executable, os.path.join(os.path.dirname(__file__), "torch_reference.py"),
                                        "--activation", activation, "--samples", str(torch_samples)]
                                       + settings_args(settings)))
            a = statistics.median(r["samples_per_second"] for r in ours)
            t = statistics.median(r["samples_per_second"] for r in theirs)
            row = dict(config=label, activation=activation, attnlab=a, torch=t, ratio=a / t,
                       attnlab_runs=[r["samples_per_second"] for r in ours],
                       torch_runs=[r["samples_per_second"] for r in theirs],
                       attnlab_train_mse=statistics.median(r["train_mse"] for r in ours),
                       torch_train_mse=statistics.median(r["train_mse"] for r in theirs))
            line = f"  {label:32} {activation:14} attnlab {a:9.0f}/s  torch {t:8.0f}/s  ratio {a / t:5.1f}"
            if ours_v3:
                v3 = statistics.median(r["samples_per_second"] for r in ours_v3)
                row.update(attnlab_v3=v3, ratio_v3=v3 / t)
                line += f"  | x86-64-v3 {v3:9.0f}/s  ratio {v3 / t:5.1f}"
            log(line)
            rows.append(row)
    return rows


def thread_scaling(bin_dir, repetitions, log):
    rows = []
    for label, settings, samples in THREAD_CONFIGS:
        runs = {1: [], 2: []}
        for _ in range(repetitions):
            for threads in (1, 2):
                runs[threads].append(run_json(
                    [os.path.join(bin_dir, "attnlab_throughput"), "--activation", ",".join(ACTIVATIONS),
                     "--threads", str(threads), "--samples", str(samples)] + settings_args(settings)))
        one = statistics.median(r["samples_per_second"] for r in runs[1])
        two = statistics.median(r["samples_per_second"] for r in runs[2])
        # Each repetition's own ratio too: on a shared machine a neighbour can
        # slow one run down, and the spread shows it.
        ratios = [b["samples_per_second"] / a["samples_per_second"] for a, b in zip(runs[1], runs[2])]
        log(f"  {label:52} 1 thread {one:9.0f}/s  2 threads {two:9.0f}/s  speed-up {two / one:4.2f}"
            f"  (per repetition {min(ratios):4.2f} to {max(ratios):4.2f})")
        rows.append(dict(config=label, one_thread=one, two_threads=two, speedup=two / one, ratios=ratios,
                         one_thread_runs=[r["samples_per_second"] for r in runs[1]],
                         two_thread_runs=[r["samples_per_second"] for r in runs[2]]))
    return rows


def identical_metrics(bin_dir, work, log):
    """`attnlab compare` (default config, shortened) with 1 and 2 threads."""
    folders = []
    for threads in (1, 2):
        out = os.path.join(work, f"threads-{threads}")
        subprocess.run([os.path.join(bin_dir, "attnlab"), "compare", "--set", "train.time=2000",
                        "--set", f"train.threads={threads}", "--out", out], check=True, capture_output=True)
        folders.append(out)
    same = filecmp.cmp(os.path.join(folders[0], "metrics.jsonl"), os.path.join(folders[1], "metrics.jsonl"),
                       shallow=False)
    log(f"  metrics.jsonl with 1 and 2 threads: {'byte-identical' if same else 'DIFFERENT'}")
    return same


def run_micro_benchmarks(bin_dir, out_file, extra=()):
    subprocess.run([os.path.join(bin_dir, "attnlab_micro_benchmarks"), "--benchmark_min_time=0.5",
                    f"--benchmark_out={out_file}", "--benchmark_out_format=json", *extra], check=True,
                   stdout=subprocess.DEVNULL)
    with open(out_file) as f:
        return {b["name"]: b for b in json.load(f)["benchmarks"] if not b.get("error_occurred")}


def micro_benchmarks(bin_dir, bin_v3, out_folder, log):
    """The ceiling is the faster of the default build's 1024^3 Eigen product
    (SSE2) and, with bin_v3, the x86-64-v3 build's (AVX2 and FMA): the learner
    runs its AVX2 kernel in the default build, so the SSE2 product alone would
    understate what the machine can do."""
    results = run_micro_benchmarks(bin_dir, os.path.join(out_folder, "micro_benchmarks.json"))
    normal = results["normal_attnlab"]["items_per_second"] / results["normal_std"]["items_per_second"]
    ceilings = {"default build": results["gemm_ceiling/1024"]["flops"]}
    if bin_v3:
        v3 = run_micro_benchmarks(bin_v3, os.path.join(out_folder, "micro_benchmarks_v3_ceiling.json"),
                                  ["--benchmark_filter=gemm_ceiling"])
        ceilings["x86-64-v3 build"] = v3["gemm_ceiling/1024"]["flops"]
    ceiling = max(ceilings.values())
    log(f"  normal sampler: {results['normal_attnlab']['items_per_second'] / 1e6:.0f} M/s, "
        f"std::normal_distribution {results['normal_std']['items_per_second'] / 1e6:.0f} M/s: {normal:.1f}x")
    for build, flops in ceilings.items():
        log(f"  matrix product 1024^3, {build}: {flops / 1e9:.1f} GFLOP/s")
    log(f"  ceiling: {ceiling / 1e9:.1f} GFLOP/s")
    fractions = {}
    for name, b in results.items():
        if name.startswith(("learner_forward_backward/", "learner_products/")):
            fractions[name] = b["flops"] / ceiling
            log(f"  {name:42} {b['flops'] / 1e9:6.1f} GFLOP/s = {100 * b['flops'] / ceiling:5.1f}% of the ceiling, "
                f"{b['items_per_second']:9.0f} samples/s")
    for name, b in results.items():
        if not name.startswith(("learner", "gemm", "normal")):
            log(f"  {name:42} {b['items_per_second']:14.0f} items/s  ({b['real_time']:.0f} {b['time_unit']})")
    return dict(normal_ratio=normal, ceiling_flops=ceiling, ceilings=ceilings, learner_fractions=fractions,
                results={k: {"items_per_second": v.get("items_per_second"), "flops": v.get("flops"),
                             "real_time": v["real_time"], "time_unit": v["time_unit"]}
                         for k, v in results.items()})


def peak_memory(bin_dir, work, log):
    out = os.path.join(work, "default")
    result = subprocess.run(["/usr/bin/time", "-v", os.path.join(bin_dir, "attnlab"), "compare", "--out", out],
                            check=True, capture_output=True, text=True)
    kib = next(int(line.split(":")[1]) for line in result.stderr.splitlines() if "Maximum resident set size" in line)
    seconds = next(line.split(": ")[-1] for line in result.stderr.splitlines() if "Elapsed (wall clock)" in line)
    log(f"  attnlab compare (default config): peak RSS {kib / 1024:.1f} MB, wall time {seconds}")
    return dict(peak_rss_mb=kib / 1024, wall=seconds)


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import torch  # only for its version
    return dict(cpu=cpu, cores=os.cpu_count(), kernel=platform.release(), python=platform.python_version(),
                torch=torch.__version__, date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True, help="folder with attnlab, attnlab_throughput, attnlab_micro_benchmarks")
    parser.add_argument("--out", help="folder for the results, created (default: results/bench-<time>)")
    parser.add_argument("--bin-v3", help="the same programs built with ATTNLAB_ARCH=x86-64-v3 (optional)")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--only", choices=["side-by-side", "threads", "micro", "memory"], action="append")
    args = parser.parse_args()
    if args.out is None:
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S")
        args.out = os.path.join("results", f"bench-{stamp}")
    if os.path.exists(args.out):
        sys.exit(f"benchmark: results folder {args.out} exists already; choose another --out")
    os.makedirs(args.out)
    lines = []

    def log(text):
        print(text, flush=True)
        lines.append(text)

    report = dict(machine=machine())
    log(f"machine: {report['machine']['cpu']}, {report['machine']['cores']} cores, torch {report['machine']['torch']}")
    wanted = set(args.only or ["side-by-side", "threads", "micro", "memory"])
    with tempfile.TemporaryDirectory() as work:
        if "side-by-side" in wanted:
            log("side by side, single thread (median of %d alternating runs):" % args.repetitions)
            report["side_by_side"] = side_by_side(args.bin, args.bin_v3, args.repetitions, log)
        if "threads" in wanted:
            log("threads, three activations side by side:")
            report["threads"] = thread_scaling(args.bin, args.repetitions, log)
            report["identical_metrics"] = identical_metrics(args.bin, work, log)
        if "micro" in wanted:
            log("micro-benchmarks:")
            report["micro"] = micro_benchmarks(args.bin, args.bin_v3, args.out, log)
        if "memory" in wanted:
            log("memory:")
            report["memory"] = peak_memory(args.bin, work, log)
    with open(os.path.join(args.out, "benchmarks.json"), "w") as f:
        json.dump(report, f, indent=1)
    with open(os.path.join(args.out, "summary.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"results: {args.out}/summary.txt and benchmarks.json")


if __name__ == "__main__":
    main()
