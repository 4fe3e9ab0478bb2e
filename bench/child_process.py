"""Measurements in a fresh process each, so TensorFlow starts with each setting."""

import json
import subprocess
import sys

PREFIX = "RESULT "


def print_result(figures):
    """Print a child's figures as the one line that `run_child` reads."""
    print(PREFIX + json.dumps(figures), flush=True)


def run_child(command, description):
    """Run `command` and return the figures of its result line.

    Exits with the child's standard error when it fails, naming
    `description`, such as "the measurement for batch size 32".
    """
    process = subprocess.run(command, capture_output=True, text=True, check=False)
    if process.returncode != 0:
        sys.exit(f"{description} failed:\n{process.stderr[-3000:]}")
    for line in process.stdout.splitlines():
        if line.startswith(PREFIX):
            return json.loads(line[len(PREFIX) :])
    sys.exit(f"{description} printed no {PREFIX.strip()} line:\n{process.stdout[-3000:]}")
