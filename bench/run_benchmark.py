"""Compare a notebook-style baseline of the six exercises with the workflow, on one machine.

Runs (a) the plain scripts under bench/baseline/, one per exercise, one
after the other, and (b) `snakemake --cores 4` from scratch on the offline
sources, then three no-op re-runs, then exercise 4's jobs alone from
scratch in another folder. Prints each exercise's wall time, the totals
and the ratio (b)/(a), the peak memory of every job and script, and the
exercise 4 backbone throughput beside the FLOP-based limit of this CPU.

Usage:
    .venv/bin/python bench/run_benchmark.py [--smoke] [--keep]

`--smoke` uses tiny subsets, 2 epochs and 32x32 images. It checks in about
1.5 minutes that everything still runs, so its timings mean nothing.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from dl_exercises import provenance

sys.path.insert(0, str(Path(__file__).resolve().parent))
import time_noop  # noqa: E402
import time_offline_run  # noqa: E402
from options import positive_int  # noqa: E402

BENCH = Path(__file__).resolve().parent
EXERCISES = ("ex1", "ex2", "ex3", "ex4", "ex5", "ex6")
MC_EXERCISES = ("ex3", "ex6")
# Packages whose versions the figures depend on, printed without importing them.
BENCHMARK_PACKAGES = ("tensorflow-cpu", "tensorflow", "keras", "snakemake", "numpy")
# Exercise 4's figures: building them runs every job of exercise 4 and no
# job of another exercise, like the baseline script ex4.py.
EX4_TARGETS = (
    "results/figures/ex4/seed42/confusion_matrix.png",
    "results/figures/ex4/seed42/loss_curves.png",
)

# Tiny settings for `--smoke`: the same options for the baseline scripts and
# the workflow's config.
SMOKE_SIZES = {
    "ex1": (120, 40),
    "ex2": (120, 40),
    "ex3": (120, 40),
    "ex4": (60, 30),
    "ex5": (60, 30),
    "ex6": (60, 30),
}
SMOKE_EPOCHS = 2
SMOKE_IMAGE_SIZE = 32
SMOKE_PASSES = 4

BACKBONE_LOG = re.compile(r"backbone pass: (\d+) images in ([\d.]+) s")


def smoke_overrides():
    """Return the config overrides of `--smoke`, matching the baseline's options."""
    exercises = {}
    for name, (n_train, n_test) in SMOKE_SIZES.items():
        exercises[name] = {
            "n_train": n_train,
            "n_test": n_test,
            "training": {"epochs": SMOKE_EPOCHS},
        }
    exercises["ex4"]["model"] = {"image_size": SMOKE_IMAGE_SIZE}
    for name in MC_EXERCISES:
        exercises[name]["mc_dropout"] = {"passes": SMOKE_PASSES, "batch_size": 1024}
    return {"exercises": exercises}


def baseline_arguments(name, smoke):
    """Return the command-line options of one baseline script."""
    if not smoke:
        return []
    n_train, n_test = SMOKE_SIZES[name]
    options = ["--n-train", str(n_train), "--n-test", str(n_test), "--epochs", str(SMOKE_EPOCHS)]
    if name == "ex4":
        options += ["--image-size", str(SMOKE_IMAGE_SIZE)]
    if name in MC_EXERCISES:
        options += ["--passes", str(SMOKE_PASSES)]
    return options


def run_measured(command, log_path):
    """Run `command` with its output in `log_path` and return (exit code, seconds, peak RSS in MB)."""
    started = time.perf_counter()
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    # Linux reports ru_maxrss in kilobytes.
    return os.waitstatus_to_exitcode(status), seconds, usage.ru_maxrss / 1024


def run_baseline(folder, smoke):
    """Run every baseline script in turn and return {exercise: figures}."""
    results = {}
    for name in EXERCISES:
        log_path = folder / f"baseline_{name}.log"
        command = [sys.executable, str(BENCH / "baseline" / f"{name}.py")]
        command += baseline_arguments(name, smoke)
        command += ["--figures", str(folder / "baseline_figures" / name)]
        returncode, seconds, rss = run_measured(command, log_path)
        if returncode != 0:
            sys.exit(f"baseline {name} failed with exit code {returncode}; see {log_path}")
        figures = baseline_figures(log_path)
        figures.update(wall_s=seconds, max_rss_mb=rss)
        results[name] = figures
        print(f"baseline {name}: {seconds:.1f} s, {rss:.0f} MB", flush=True)
    return results


def baseline_figures(log_path):
    """Return the figures of the `BASELINE {...}` line that a baseline script printed."""
    for line in Path(log_path).read_text(encoding="utf-8").splitlines():
        if line.startswith("BASELINE "):
            return json.loads(line[len("BASELINE ") :])
    sys.exit(f"{log_path} has no BASELINE line")


def job_exercise(job):
    """Return the exercise a workflow job belongs to, or `shared` for data and report jobs."""
    for part in job.split("/"):
        if part in EXERCISES:
            return part
    return "shared"


def workflow_backbone_rate(workdir):
    """Return (images, seconds) of the backbone passes that extract_features ex4 logged."""
    text = (workdir / "logs" / "extract_features" / "ex4.log").read_text(encoding="utf-8")
    matches = BACKBONE_LOG.findall(text)
    if not matches:
        sys.exit("logs/extract_features/ex4.log has no 'backbone pass' line")
    images = sum(int(count) for count, _ in matches)
    seconds = sum(float(value) for _, value in matches)
    return images, seconds


def peak_flops():
    """Return (FLOP/s, description) of this CPU from its cores, clock and vector units.

    Assumes two FMA units per core, each a 512-bit vector (16 float32 lanes)
    with AVX-512, 256-bit (8 lanes) with AVX2, and counts an FMA as two
    FLOPs. The clock is /proc/cpuinfo's current MHz, not a boost clock.
    """
    text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    megahertz = float(re.search(r"^cpu MHz\s*:\s*([\d.]+)", text, re.MULTILINE).group(1))
    flags = set(re.search(r"^flags\s*:(.*)$", text, re.MULTILINE).group(1).split())
    model = re.search(r"^model name\s*:\s*(.*)$", text, re.MULTILINE).group(1).strip()
    if "avx512f" in flags and "fma" in flags:
        lanes, unit = 16, "AVX-512"
    elif "avx2" in flags and "fma" in flags:
        lanes, unit = 8, "AVX2"
    else:
        lanes, unit = 4, "SSE"
    per_cycle = 2 * lanes * 2
    cores = len(os.sched_getaffinity(0))
    flops = cores * megahertz * 1e6 * per_cycle
    description = (
        f"{model}: {cores} cores x {megahertz / 1000:.2f} GHz x {per_cycle} float32 FLOP/cycle "
        f"(2 {unit} FMA units of {lanes} lanes, 2 FLOP per FMA)"
    )
    return flops, description


def time_noop_runs(workdir, config, repeats):
    """Return the wall times of `repeats` no-op re-runs of the completed workflow."""
    snakemake = str(Path(sys.executable).with_name("snakemake"))
    command = [snakemake, "--cores", "4", "--configfile", str(config)]
    times = []
    for _ in range(repeats):
        seconds, output = time_noop.time_command(command, workdir)
        if "Nothing to be done" not in output:
            sys.exit(f"the no-op re-run in {workdir} had jobs to run:\n{output[-3000:]}")
        times.append(seconds)
    return times


def run_workflow_or_exit(workdir, config, targets=()):
    """Run the workflow from scratch in `workdir`; return (command, seconds), or exit if it fails."""
    command, returncode, seconds = time_offline_run.run_workflow(workdir, config, targets)
    if returncode != 0:
        sys.exit(
            f"{' '.join(command)} failed with exit code {returncode}; "
            f"see {workdir / time_offline_run.LOG_NAME}"
        )
    return command, seconds


def time_exercise4_alone(overrides):
    """Build exercise 4's figures from scratch in a fresh copy.

    Returns:
        `(seconds, backbone)`: the wall time and the `(images, seconds)` of
        the backbone passes, which here run with no other job beside them.
    """
    workdir = time_offline_run.copy_workflow()
    config = time_offline_run.absolute_offline_config(workdir, overrides)
    _, seconds = run_workflow_or_exit(workdir, config, EX4_TARGETS)
    jobs = {job for _, job, _ in time_offline_run.job_records(workdir)}
    others = {job for job in jobs if job_exercise(job) not in ("ex4", "shared")}
    if others:
        sys.exit(f"building exercise 4's figures in {workdir} also ran {sorted(others)}")
    backbone = workflow_backbone_rate(workdir)
    shutil.rmtree(workdir)
    print(f"workflow, exercise 4 alone: {seconds:.1f} s", flush=True)
    return seconds, backbone


def print_results(baseline, records, workflow_s, noop_times, backbone, ex4_alone, smoke):
    """Print the comparison, one `name: value` figure per line.

    Args:
        backbone: `(images, seconds)` of the whole run's backbone passes.
        ex4_alone: `(seconds, backbone)` of exercise 4 run alone.
    """
    ex4_alone_s, alone_backbone = ex4_alone
    workflow_by_exercise = {name: 0.0 for name in (*EXERCISES, "shared")}
    for seconds, job, _ in records:
        workflow_by_exercise[job_exercise(job)] += seconds

    print("\n== wall time per exercise (s): baseline script / workflow job-seconds ==")
    for name in EXERCISES:
        base = baseline[name]["wall_s"]
        flow = workflow_by_exercise[name]
        print(f"exercise {name}: baseline {base:.1f} workflow {flow:.1f} speed-up {base / flow:.2f}")
    print(f"workflow shared jobs (data, answers, report): {workflow_by_exercise['shared']:.1f}")

    baseline_total = sum(figures["wall_s"] for figures in baseline.values())
    print("\n== totals ==")
    print(f"baseline total wall time (s): {baseline_total:.1f}")
    print(f"workflow wall time (s): {workflow_s:.1f}")
    print(f"workflow job-seconds (s): {sum(seconds for seconds, _, _ in records):.1f}")
    print(f"ratio workflow/baseline: {workflow_s / baseline_total:.3f}")
    ex4_ratio = baseline["ex4"]["wall_s"] / workflow_by_exercise["ex4"]
    print(f"exercise 4 speed-up, job-seconds in the full run: {ex4_ratio:.2f}")
    print(f"exercise 4 alone, workflow from scratch (s): {ex4_alone_s:.1f}")
    print(f"exercise 4 speed-up, alone: {baseline['ex4']['wall_s'] / ex4_alone_s:.2f}")
    print(f"no-op re-run median (s): {statistics.median(noop_times):.2f}")

    print("\n== peak memory (MB) ==")
    for name in EXERCISES:
        print(f"baseline {name}: {baseline[name]['max_rss_mb']:.0f}")
    for seconds, job, rss in sorted(records, key=lambda record: record[1]):
        print(f"workflow {job}: {rss:.0f} ({seconds:.1f} s)")
    print(f"workflow max job RSS (MB): {max(rss for _, _, rss in records):.0f}")

    flops, description = peak_flops()
    multiply_adds = baseline["ex4"]["backbone_multiply_adds"]
    limit = flops / (2 * multiply_adds)
    images, seconds = backbone
    print("\n== exercise 4 backbone throughput ==")
    print(f"backbone multiply-adds per image: {multiply_adds / 1e6:.1f} M")
    print(f"peak CPU FLOP/s: {flops / 1e9:.1f} G ({description})")
    print(f"FLOP limit (images/s): {limit:.1f}")
    baseline_rate = baseline["ex4"]["backbone_images_per_second"]
    print(f"baseline backbone in fit (images/s): {baseline_rate:.1f}")
    print(f"workflow backbone in extract_features (images/s): {images / seconds:.1f}")
    print(f"workflow backbone fraction of limit: {images / seconds / limit:.3f}")
    images, seconds = alone_backbone
    print(f"workflow backbone, exercise 4 alone (images/s): {images / seconds:.1f}")
    print(f"workflow backbone fraction of limit, exercise 4 alone: {images / seconds / limit:.3f}")
    if smoke:
        print("\n(smoke mode: tiny subsets; these timings say nothing about performance)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny subsets: check that it runs")
    parser.add_argument("--keep", action="store_true", help="keep the run folder and print its path")
    parser.add_argument(
        "--noop-repeats", type=positive_int, default=3, help="no-op re-runs (default 3)"
    )
    arguments = parser.parse_args()

    print(f"date: {datetime.datetime.now().isoformat(timespec='seconds')}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    versions = provenance.package_versions(BENCHMARK_PACKAGES)
    print(f"packages: {', '.join(f'{name} {version}' for name, version in versions.items())}")
    print(f"load average at start (1, 5, 15 min): {os.getloadavg()}", flush=True)

    workdir = time_offline_run.copy_workflow()
    try:
        run_all(workdir, arguments)
    except BaseException:
        print(f"run folder kept for inspection: {workdir}", file=sys.stderr)
        raise
    if arguments.keep:
        print(f"run folder: {workdir}")
    else:
        shutil.rmtree(workdir)


def run_all(workdir, arguments):
    """Run the baseline, the workflow, its no-op re-runs and exercise 4 alone; print the figures."""
    overrides = smoke_overrides() if arguments.smoke else None
    config = time_offline_run.absolute_offline_config(workdir, overrides)

    baseline = run_baseline(workdir, arguments.smoke)
    command, workflow_s = run_workflow_or_exit(workdir, config)
    print(f"workflow: {workflow_s:.1f} s ({' '.join(command[1:])})", flush=True)
    noop_times = time_noop_runs(workdir, config, arguments.noop_repeats)
    ex4_alone = time_exercise4_alone(overrides)

    records = time_offline_run.job_records(workdir)
    backbone = workflow_backbone_rate(workdir)
    print_results(baseline, records, workflow_s, noop_times, backbone, ex4_alone, arguments.smoke)
    print(f"load average at end (1, 5, 15 min): {os.getloadavg()}")


if __name__ == "__main__":
    main()
