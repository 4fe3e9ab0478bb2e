"""Time the workflow's frozen-backbone pass alone, for several feature batch sizes.

Runs `dl_exercises.features.backbone_features` (the code of the
extract_features job) over exercise 4's 2000 + 500 CIFAR-10 images at
224x224 with the offline MobileNetV2 weights, in one process per setting.
Prints images per second and the SHA-256 of the features, so a setting
that changes the bits shows a different checksum.

Usage:
    .venv/bin/python bench/backbone_throughput.py [--batch-sizes 32 64 128] [--threads 2]
"""

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH / "baseline"))


def measure(batch_size, threads, image_size, n_train, n_test):
    """Run the backbone pass in this process; return a dict of figures."""
    from common import OFFLINE_CONFIG, load_subset, offline_sources

    from dl_exercises import features, models, runtime

    (x_train, _), (x_test, _) = load_subset("cifar10", n_train, n_test, OFFLINE_CONFIG)
    _, weights = offline_sources(OFFLINE_CONFIG)
    runtime.configure_tensorflow(0, threads)
    model_config = {
        "backbone": "mobilenet_v2",
        "image_size": image_size,
        "preprocessing": "unit",
        "feature_batch_size": batch_size,
    }
    backbone = models.build_backbone(model_config, weights)

    started = time.perf_counter()
    digest = hashlib.sha256()
    for images in (x_train, x_test):
        digest.update(features.backbone_features(backbone, images, model_config).tobytes())
    seconds = time.perf_counter() - started
    images = len(x_train) + len(x_test)
    return {
        "batch_size": batch_size,
        "threads": threads,
        "images": images,
        "seconds": seconds,
        "images_per_second": images / seconds,
        "sha256": digest.hexdigest(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--threads", type=int, default=2, help="TensorFlow threads (default 2)")
    parser.add_argument("--image-size", type=int, default=224, help="input side in pixels")
    parser.add_argument("--n-train", type=int, default=2000)
    parser.add_argument("--n-test", type=int, default=500)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()

    sizes = (arguments.image_size, arguments.n_train, arguments.n_test)
    if arguments.child:
        figures = measure(arguments.batch_sizes[0], arguments.threads, *sizes)
        print("RESULT " + json.dumps(figures))
        return

    for batch_size in arguments.batch_sizes:
        command = [sys.executable, __file__, "--child", "--batch-sizes", str(batch_size)]
        command += ["--threads", str(arguments.threads), "--image-size", str(arguments.image_size)]
        command += ["--n-train", str(arguments.n_train), "--n-test", str(arguments.n_test)]
        process = subprocess.run(command, capture_output=True, text=True, check=True)
        line = next(row for row in process.stdout.splitlines() if row.startswith("RESULT "))
        figures = json.loads(line[len("RESULT ") :])
        print(
            f"batch {figures['batch_size']:4d}, {figures['threads']} threads: "
            f"{figures['images_per_second']:.1f} images/s "
            f"({figures['images']} images in {figures['seconds']:.1f} s), "
            f"features sha256 {figures['sha256'][:16]}",
            flush=True,
        )


if __name__ == "__main__":
    main()
