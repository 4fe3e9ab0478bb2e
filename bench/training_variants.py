"""Time one exercise's training for several Keras `steps_per_execution` values.

Trains the exercise as the workflow's train job does (config.yaml's model
and training blocks, the offline subset, seed 42, op determinism), one
process per value. Prints the seconds of `fit` and the SHA-256 of the
trained weights and history, so a value that changes the bits shows a
different checksum.

Usage:
    .venv/bin/python bench/training_variants.py [--exercise ex5] [--steps 1 8 32] [--threads 2]
"""

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
REPOSITORY = BENCH.parent
sys.path.insert(0, str(BENCH / "baseline"))

from child_process import print_result, run_child  # noqa: E402
from options import positive_int  # noqa: E402

SEED = 42


def measure(exercise, steps, threads):
    """Train `exercise` with `steps` batches per execution; return a dict of figures."""
    from common import OFFLINE_CONFIG, load_subset

    from dl_exercises import models, runtime, training

    with open(REPOSITORY / "config.yaml", encoding="utf-8") as handle:
        config = yaml.safe_load(handle)["exercises"][exercise]
    runtime.configure_tensorflow(SEED, threads)
    (x_train, y_train), (x_test, y_test) = load_subset(
        config["dataset"], config["n_train"], config["n_test"], OFFLINE_CONFIG
    )
    arrays = {
        "x_train": training.scale_pixels(x_train),
        "y_train": y_train,
        "x_test": training.scale_pixels(x_test),
        "y_test": y_test,
    }
    x_fit, y_fit, validation_data = training.split_validation(arrays, config["training"])
    model = models.build_model(config["model"], x_train.shape[1:], SEED)
    training.compile_model(model, config["training"], steps_per_execution=steps)

    started = time.perf_counter()
    history, _ = training.fit_model(model, x_fit, y_fit, validation_data, config["training"])
    seconds = time.perf_counter() - started

    digest = hashlib.sha256()
    for weight in model.weights:
        digest.update(weight.numpy().tobytes())
    digest.update(json.dumps(history, sort_keys=True).encode())
    return {"exercise": exercise, "steps": steps, "fit_seconds": seconds, "sha256": digest.hexdigest()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # Exercise 4 trains on cached features, not on a subset, so it is left out.
    parser.add_argument(
        "--exercise",
        default="ex5",
        choices=["ex1", "ex2", "ex3", "ex5", "ex6"],
        help="exercise to train (default ex5; ex4 trains on cached features and is not offered)",
    )
    parser.add_argument(
        "--steps",
        type=positive_int,
        nargs="+",
        default=[1, 8, 32],
        help="steps_per_execution values, one process each (default 1 8 32)",
    )
    parser.add_argument(
        "--threads", type=positive_int, default=2, help="TensorFlow threads (default 2)"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()

    if arguments.child:
        figures = measure(arguments.exercise, arguments.steps[0], arguments.threads)
        print_result(figures)
        return

    for steps in arguments.steps:
        command = [sys.executable, __file__, "--child", "--exercise", arguments.exercise]
        command += ["--steps", str(steps), "--threads", str(arguments.threads)]
        figures = run_child(command, f"the measurement for {steps} steps")
        print(
            f"{figures['exercise']}, steps_per_execution {figures['steps']:4d}: "
            f"fit {figures['fit_seconds']:.2f} s, weights and history sha256 "
            f"{figures['sha256'][:16]}",
            flush=True,
        )


if __name__ == "__main__":
    main()
