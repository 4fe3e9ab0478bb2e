"""The benchmark's variant scripts on tiny sizes: they run and report checksums.

The checksums back the claims in bench/README.md that a setting keeps or
changes the bits; the timings mean nothing at these sizes.
"""

import re
import subprocess
import sys

import pytest

from conftest import REPOSITORY

pytestmark = pytest.mark.workflow

BENCH = REPOSITORY / "bench"
BACKBONE_LINE = re.compile(
    r"^batch +(\d+), .*: ([\d.]+) images/s \((\d+) images in [\d.]+ s, ([\d.]+) CPU-s/s\), "
    r"features sha256 ([0-9a-f]{16})$"
)
TRAINING_LINE = re.compile(
    r"^(ex\d), steps_per_execution +(\d+): fit ([\d.]+) s, weights and history sha256 ([0-9a-f]{16})$"
)


def run_script(name, *arguments):
    process = subprocess.run(
        [sys.executable, str(BENCH / name), *arguments],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-3000:]
    return process.stdout.splitlines()


def backbone_checksum(*arguments):
    tiny = ("--n-train", "40", "--n-test", "24", "--image-size", "32", "--batch-sizes", "16")
    lines = run_script("backbone_throughput.py", *tiny, *arguments)
    assert len(lines) == 1, lines
    match = BACKBONE_LINE.match(lines[0])
    assert match is not None, lines[0]
    assert match.group(1) == "16"
    assert match.group(3) == "64"
    assert float(match.group(2)) > 0
    assert float(match.group(4)) > 0
    return match.group(5)


def test_backbone_function_call_keeps_bits(shared_data):
    assert backbone_checksum() == backbone_checksum("--call", "function")


def test_backbone_bfloat16_changes_bits(shared_data):
    assert backbone_checksum() != backbone_checksum("--precision", "mixed_bfloat16")


def test_training_steps_per_execution_keeps_bits(shared_data):
    lines = run_script("training_variants.py", "--exercise", "ex1", "--steps", "1", "4")
    matches = [TRAINING_LINE.match(line) for line in lines]
    assert all(matches), lines
    assert [match.group(2) for match in matches] == ["1", "4"]
    assert all(float(match.group(3)) > 0 for match in matches)
    assert matches[0].group(4) == matches[1].group(4)
