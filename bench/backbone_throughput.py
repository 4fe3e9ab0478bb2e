"""Time the workflow's frozen-backbone pass alone, for several feature batch sizes.

Runs `dl_exercises.features.backbone_features` (the code of the
extract_features job) over exercise 4's 2000 + 500 CIFAR-10 images at
224x224 with the offline MobileNetV2 weights, in one process per setting.
Prints images per second, CPU-seconds per second and the SHA-256 of the
features, so a setting that changes the bits shows a different checksum.

The other options try settings that the workflow does not use: other
inter-op threads, op determinism off, a `tf.function` or XLA call of the
backbone, and bfloat16.

Usage:
    .venv/bin/python bench/backbone_throughput.py [--batch-sizes 32 64 128] [--threads 2]
        [--inter-op-threads N] [--no-determinism] [--call predict_on_batch|function|xla]
        [--precision float32|mixed_bfloat16]
"""

import argparse
import hashlib
import resource
import sys
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH / "baseline"))

from child_process import print_result, run_child  # noqa: E402
from options import positive_int  # noqa: E402

CALLS = ("predict_on_batch", "function", "xla")
PRECISIONS = ("float32", "mixed_bfloat16")


def configure(settings):
    """Set threads, op determinism, precision and the seed before TensorFlow starts."""
    import keras
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(settings["threads"])
    tf.config.threading.set_inter_op_parallelism_threads(settings["inter_op_threads"])
    if settings["determinism"]:
        tf.config.experimental.enable_op_determinism()
    keras.mixed_precision.set_global_policy(settings["precision"])
    keras.utils.set_random_seed(0)


def backbone_function(backbone, call):
    """Return a function from a batch of prepared images to its features."""
    import tensorflow as tf

    if call == "predict_on_batch":
        return backbone.predict_on_batch
    compiled = tf.function(
        lambda batch: backbone(batch, training=False), jit_compile=call == "xla"
    )
    # A bfloat16 policy makes the backbone return bfloat16 features.
    return lambda batch: np.asarray(compiled(batch), dtype=np.float32)


def cpu_seconds():
    """Return the user and system CPU time of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(settings, image_size, n_train, n_test):
    """Run the backbone pass in this process; return a dict of figures."""
    from common import OFFLINE_CONFIG, load_subset, offline_sources

    from dl_exercises import features, models

    (x_train, _), (x_test, _) = load_subset("cifar10", n_train, n_test, OFFLINE_CONFIG)
    _, weights = offline_sources(OFFLINE_CONFIG)
    configure(settings)
    model_config = {
        "backbone": "mobilenet_v2",
        "image_size": image_size,
        "preprocessing": "unit",
        "feature_batch_size": settings["batch_size"],
    }
    backbone = models.build_backbone(model_config, weights)
    predict = backbone_function(backbone, settings["call"])
    # Trace (and for XLA, compile) before the clock starts, so the figure is
    # the steady pass. The workflow's job also counts its first batch's tracing.
    warm_up = x_test[: settings["batch_size"]]
    features.backbone_features(backbone, warm_up, model_config, predict=predict)

    started, started_cpu = time.perf_counter(), cpu_seconds()
    digest = hashlib.sha256()
    for images in (x_train, x_test):
        result = features.backbone_features(backbone, images, model_config, predict=predict)
        digest.update(result.tobytes())
    seconds = time.perf_counter() - started
    images = len(x_train) + len(x_test)
    return {
        **settings,
        "images": images,
        "seconds": seconds,
        "images_per_second": images / seconds,
        "cpu_per_second": (cpu_seconds() - started_cpu) / seconds,
        "sha256": digest.hexdigest(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--batch-sizes",
        type=positive_int,
        nargs="+",
        default=[32, 64, 128],
        help="images per backbone call, one process each (default 32 64 128)",
    )
    parser.add_argument(
        "--threads", type=positive_int, default=2, help="intra-op threads (default 2)"
    )
    parser.add_argument(
        "--inter-op-threads",
        type=positive_int,
        default=None,
        help="inter-op threads (default: the --threads value)",
    )
    parser.add_argument(
        "--no-determinism", action="store_true", help="leave TensorFlow's op determinism off"
    )
    parser.add_argument(
        "--call",
        choices=CALLS,
        default="predict_on_batch",
        help="how the backbone is called (default predict_on_batch, as in the workflow)",
    )
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="float32",
        help="Keras dtype policy (default float32, as in the workflow)",
    )
    parser.add_argument(
        "--image-size", type=positive_int, default=224, help="input side in pixels (default 224)"
    )
    parser.add_argument(
        "--n-train", type=positive_int, default=2000, help="CIFAR-10 training images (default 2000)"
    )
    parser.add_argument(
        "--n-test", type=positive_int, default=500, help="CIFAR-10 test images (default 500)"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()

    settings = {
        "threads": arguments.threads,
        "inter_op_threads": (
            arguments.threads if arguments.inter_op_threads is None else arguments.inter_op_threads
        ),
        "determinism": not arguments.no_determinism,
        "call": arguments.call,
        "precision": arguments.precision,
    }
    sizes = (arguments.image_size, arguments.n_train, arguments.n_test)
    if arguments.child:
        figures = measure({**settings, "batch_size": arguments.batch_sizes[0]}, *sizes)
        print_result(figures)
        return

    for batch_size in arguments.batch_sizes:
        command = [sys.executable, __file__, "--child", "--batch-sizes", str(batch_size)]
        command += ["--threads", str(settings["threads"])]
        command += ["--inter-op-threads", str(settings["inter_op_threads"])]
        command += ["--call", settings["call"], "--precision", settings["precision"]]
        command += ["--image-size", str(arguments.image_size)]
        command += ["--n-train", str(arguments.n_train), "--n-test", str(arguments.n_test)]
        if not settings["determinism"]:
            command.append("--no-determinism")
        figures = run_child(command, f"the measurement for batch size {batch_size}")
        print(
            f"batch {figures['batch_size']:4d}, {figures['threads']} intra-op and "
            f"{figures['inter_op_threads']} inter-op threads, determinism "
            f"{'on' if figures['determinism'] else 'off'}, {figures['call']}, "
            f"{figures['precision']}: {figures['images_per_second']:.1f} images/s "
            f"({figures['images']} images in {figures['seconds']:.1f} s, "
            f"{figures['cpu_per_second']:.2f} CPU-s/s), "
            f"features sha256 {figures['sha256'][:16]}",
            flush=True,
        )


if __name__ == "__main__":
    main()
