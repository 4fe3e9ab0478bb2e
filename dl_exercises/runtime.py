"""TensorFlow set-up shared by every TensorFlow job: threads, determinism, seeds.

`configure_tensorflow` must run before the first TensorFlow operation of the
process, because TensorFlow fixes its thread pools and device settings when
its runtime starts. Importing `tensorflow` or `keras` does not start it.
"""

import logging
import os
import platform

LOGGER = logging.getLogger(__name__)


def configure_tensorflow(seed, threads):
    """Pin threads, enable op determinism and GPU memory growth, and seed.

    The thread count and op determinism both change the floating-point bits
    of a result, so both are fixed here for every job.

    Args:
        seed: the run's seed. It seeds Python's `random`, NumPy and
            TensorFlow together through `keras.utils.set_random_seed`
            (Keras initialisers draw from Python's `random`).
        threads: TensorFlow intra-op and inter-op threads.

    Raises:
        RuntimeError: TensorFlow's runtime already started with other
            thread counts or device settings.
    """
    import keras
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    tf.config.experimental.enable_op_determinism()

    # The local Snakemake executor does not set CUDA_VISIBLE_DEVICES, so
    # jobs sharing a GPU must not each reserve its whole memory.
    for gpu in tf.config.list_physical_devices("GPU"):
        tf.config.experimental.set_memory_growth(gpu, True)
    LOGGER.info("CUDA_VISIBLE_DEVICES=%s", os.environ.get("CUDA_VISIBLE_DEVICES", "(not set)"))

    keras.utils.set_random_seed(seed)
    LOGGER.info("TensorFlow configured: seed %d, %d threads, op determinism on", seed, threads)


def warn_if_threads_reduced(granted, configured):
    """Log a warning when Snakemake grants fewer threads than the config sets.

    Snakemake lowers a job's threads to `--cores` when that is smaller. The
    thread count changes the floating-point bits, so such a run's results
    differ from those of a run with the configured count.
    """
    if granted != configured:
        LOGGER.warning(
            "running with %d threads, not the %d that `threads` in the config "
            "sets (snakemake --cores is lower); results will differ in their "
            "last bits from a run with %d threads",
            granted,
            configured,
            configured,
        )


def provenance():
    """Return the versions, device, thread count and determinism of this process.

    Returns:
        A dict with `versions` (python, tensorflow, keras, numpy), `device`
        (`"CPU"` or the first GPU's name), `threads` (the intra-op thread
        count) and `deterministic` (whether op determinism is enabled).
    """
    import keras
    import numpy as np
    import tensorflow as tf
    from tensorflow.python.framework import config as tf_config

    return {
        "versions": {
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
        },
        "device": device_name(),
        "threads": tf.config.threading.get_intra_op_parallelism_threads(),
        # NOTE: TensorFlow 2.21 exposes this query only in its private
        # `tensorflow.python.framework.config` module.
        "deterministic": bool(tf_config.is_op_determinism_enabled()),
    }


def device_name():
    """Return the first visible GPU's name, or `"CPU"` when none is visible."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "CPU"
    details = tf.config.experimental.get_device_details(gpus[0])
    return details.get("device_name", gpus[0].name)
