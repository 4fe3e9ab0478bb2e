"""Helpers of the TensorFlow tests: the default config, seeding, fresh processes."""

import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
import yaml

from dl_exercises import runtime

REPOSITORY = Path(__file__).resolve().parents[1]
SEED = 42
THREADS = 2


def default_exercise(name):
    """Return the exercise block `name` of the repository's config.yaml."""
    with open(REPOSITORY / "config.yaml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)["exercises"][name]


def configure(seed=SEED):
    """Configure TensorFlow as a rule script does, then seed.

    TensorFlow fixes its thread pools when its runtime starts. When an
    earlier test in this process already started it, only the seed and op
    determinism are set: in-process tests compare results within one
    process, and the tests that compare bits across runs use fresh processes.
    """
    try:
        runtime.configure_tensorflow(seed, THREADS)
    except RuntimeError:
        tf.config.experimental.enable_op_determinism()
        keras.utils.set_random_seed(seed)


def write_image_subset(path, n_train, n_test, shape, seed=0):
    """Write a subset `.npz` of random uint8 images and labels 0-9."""
    generator = np.random.default_rng(seed)
    np.savez(
        path,
        x_train=generator.integers(0, 256, (n_train, *shape), dtype=np.uint8),
        y_train=generator.integers(0, 10, n_train).astype(np.uint8),
        x_test=generator.integers(0, 256, (n_test, *shape), dtype=np.uint8),
        y_test=generator.integers(0, 10, n_test).astype(np.uint8),
    )
    return path


def run_in_fresh_process(code, cwd):
    """Run Python `code` in a new interpreter in `cwd`; fail with its stderr."""
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
