"""Time a no-op `snakemake --cores 4` and a dry run on a completed workflow.

Usage:
    .venv/bin/python bench/time_noop.py RUN_FOLDER [--repeats N]

RUN_FOLDER is a folder where the workflow has completed, for example the
one that `bench/time_offline_run.py --keep` prints; its `offline.yaml` (or
`--configfile`) is passed to every run. Prints each run's wall time and the
median of both kinds.
"""

import argparse
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from options import positive_int


def time_command(command, workdir):
    """Run `command` in `workdir`; return (seconds, combined output)."""
    started = time.perf_counter()
    process = subprocess.run(command, cwd=workdir, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed with exit code {process.returncode}:\n{process.stderr}")
    return elapsed, process.stdout + process.stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_folder", type=Path, help="folder of a completed workflow run")
    parser.add_argument("--configfile", default="offline.yaml", help="config file inside RUN_FOLDER")
    parser.add_argument(
        "--repeats", type=positive_int, default=5, help="runs of each kind (default 5)"
    )
    arguments = parser.parse_args()
    config = arguments.run_folder / arguments.configfile
    if not (arguments.run_folder / "Snakefile").is_file() or not config.is_file():
        parser.error(
            f"{arguments.run_folder} has no Snakefile or no {arguments.configfile}; give the "
            "folder that `bench/time_offline_run.py --keep` prints, after its run completed"
        )

    snakemake = str(Path(sys.executable).with_name("snakemake"))
    base = [snakemake, "--cores", "4", "--configfile", arguments.configfile]
    kinds = {"no-op run": base, "dry run": base + ["--dry-run"]}

    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    for kind, command in kinds.items():
        times = []
        for _ in range(arguments.repeats):
            seconds, output = time_command(command, arguments.run_folder)
            if "Nothing to be done" not in output:
                sys.exit(f"{kind}: the workflow in {arguments.run_folder} is not complete:\n{output}")
            times.append(seconds)
        listed = ", ".join(f"{seconds:.2f}" for seconds in times)
        print(f"{kind}: median {statistics.median(times):.2f} s ({listed})")


if __name__ == "__main__":
    main()
