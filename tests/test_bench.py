"""The benchmark's smoke mode: baseline scripts and workflow run, every figure is printed.

Checks that bench/run_benchmark.py still works, not how fast anything is.
"""

import re
import subprocess
import sys

import pytest

from conftest import REPOSITORY

pytestmark = pytest.mark.workflow

NUMBER = r"(-?[\d.]+(?:e[+-]?\d+)?)"
FIELDS = [
    "baseline total wall time (s)",
    "workflow wall time (s)",
    "workflow job-seconds (s)",
    "ratio workflow/baseline",
    "exercise 4 speed-up, job-seconds in the full run",
    "exercise 4 alone, workflow from scratch (s)",
    "exercise 4 speed-up, alone",
    "no-op re-run median (s)",
    "workflow max job RSS (MB)",
    "peak CPU FLOP/s",
    "FLOP limit (images/s)",
    "baseline backbone in fit (images/s)",
    "workflow backbone in extract_features (images/s)",
    "workflow backbone fraction of limit",
    "workflow backbone, exercise 4 alone (images/s)",
    "workflow backbone fraction of limit, exercise 4 alone",
]
EXERCISES = ("ex1", "ex2", "ex3", "ex4", "ex5", "ex6")


@pytest.fixture(scope="module")
def smoke_output(shared_data):
    """Run the benchmark once in smoke mode and return its standard output and error."""
    process = subprocess.run(
        [sys.executable, str(REPOSITORY / "bench" / "run_benchmark.py"), "--smoke"],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-3000:]
    return process.stdout + process.stderr


def field_value(output, name):
    match = re.search(rf"^{re.escape(name)}: {NUMBER}", output, re.MULTILINE)
    assert match is not None, f"{name!r} missing from the benchmark output"
    return float(match.group(1))


@pytest.mark.parametrize("name", FIELDS)
def test_smoke_prints_numeric_field(smoke_output, name):
    assert field_value(smoke_output, name) >= 0


@pytest.mark.parametrize("exercise", EXERCISES)
def test_smoke_times_every_exercise(smoke_output, exercise):
    pattern = rf"^exercise {exercise}: baseline {NUMBER} workflow {NUMBER} speed-up {NUMBER}$"
    match = re.search(pattern, smoke_output, re.MULTILINE)
    assert match is not None
    assert float(match.group(1)) > 0
    assert float(match.group(2)) > 0


@pytest.mark.parametrize("exercise", EXERCISES)
def test_smoke_measures_baseline_memory(smoke_output, exercise):
    match = re.search(rf"^baseline {exercise}: {NUMBER}$", smoke_output, re.MULTILINE)
    assert match is not None
    assert float(match.group(1)) > 0


def test_smoke_measures_workflow_job_memory(smoke_output):
    jobs = re.findall(rf"^workflow (\S+): {NUMBER} \(", smoke_output, re.MULTILINE)
    names = {job for job, _ in jobs}
    assert "extract_features/ex4" in names
    assert "train/ex5/seed42" in names
    assert "report" in names


def test_smoke_counts_backbone_multiply_adds(smoke_output):
    # MobileNetV2 at 32x32 is about 300 M / (224 / 32) ** 2 = 6.1 M multiply-adds.
    assert 5.5 <= field_value(smoke_output, "backbone multiply-adds per image") <= 6.7


def test_smoke_says_timings_mean_nothing(smoke_output):
    assert "smoke mode" in smoke_output


def test_smoke_prints_package_versions(smoke_output):
    match = re.search(r"^packages: (.*)$", smoke_output, re.MULTILINE)
    assert match is not None
    assert "keras " in match.group(1)
    assert "snakemake " in match.group(1)


def test_smoke_keeps_workflow_output_off_console(smoke_output):
    assert "Select jobs to execute" not in smoke_output


@pytest.mark.parametrize(
    ("script", "arguments", "message"),
    [
        ("run_benchmark.py", ["--noop-repeats", "0"], "invalid value 0"),
        ("backbone_throughput.py", ["--batch-sizes", "0"], "invalid value 0"),
        ("training_variants.py", ["--steps", "x"], "invalid integer 'x'"),
        ("training_variants.py", ["--exercise", "ex4"], "invalid choice: 'ex4'"),
        ("time_noop.py", ["/nonexistent-run-folder"], "has no Snakefile or no offline.yaml"),
    ],
)
def test_bad_option_rejected_before_work(script, arguments, message):
    process = subprocess.run(
        [sys.executable, str(REPOSITORY / "bench" / script), *arguments],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert process.returncode == 2
    assert message in process.stderr
