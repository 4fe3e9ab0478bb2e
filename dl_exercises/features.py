"""Pooled features of a frozen backbone, computed once per image and cached.

The transfer exercise trains only its head, so running the frozen backbone
once per image and training the head on the cached features gives the head
that training the end-to-end model would give with shuffling off (to float
rounding, and bit-identical on x86-64 with oneDNN), far faster.
Images are resized one batch at a time, so only `feature_batch_size`
images at the backbone's input size are held in memory at once.
"""

import logging
import time

import numpy as np

from dl_exercises import files, models, runtime
from dl_exercises.training import scale_pixels

LOGGER = logging.getLogger(__name__)

SUBSET_ARRAYS = {
    "x_train": ("uint8", 4),
    "y_train": ("uint8", 1),
    "x_test": ("uint8", 4),
    "y_test": ("uint8", 1),
}


def extract_features(
    subset_path, weights_path, weights_setting, model_config, features_path, manifest_path
):
    """Run the frozen backbone over a subset and write pooled features and a manifest.

    Args:
        subset_path: subset `.npz` with uint8 RGB images.
        weights_path: the backbone's `.h5` weights file, or None for random
            weights.
        weights_setting: the configured weights (`imagenet`, `none` or a
            path), recorded in the manifest.
        model_config: the transfer exercise's `model` block (`backbone`,
            `image_size`, `preprocessing`, `feature_batch_size`).
        features_path: output `.npz` with x_train, x_test float32
            `(samples, features)` and y_train, y_test uint8.
        manifest_path: output JSON describing how the features were made.

    Returns:
        The manifest dict.
    """
    started = time.perf_counter()
    LOGGER.info("extracting %s features of %s", model_config["backbone"], subset_path)
    subset = files.load_arrays(subset_path, SUBSET_ARRAYS)
    backbone = models.build_backbone(model_config, weights_path)

    features = {}
    for split in ("train", "test"):
        features[f"x_{split}"] = backbone_features(backbone, subset[f"x_{split}"], model_config)
        features[f"y_{split}"] = subset[f"y_{split}"]
    files.save_arrays(features_path, **features)

    manifest = _manifest(subset_path, subset, weights_path, weights_setting, model_config)
    files.write_json(manifest_path, manifest)
    LOGGER.info(
        "wrote %s and %s in %.1f s", features_path, manifest_path, time.perf_counter() - started
    )
    return manifest


def backbone_features(backbone, images, model_config, predict=None):
    """Return the backbone's pooled features of uint8 images, one batch at a time.

    Args:
        backbone: the frozen backbone. `predict_on_batch` runs it in
            inference mode as a compiled function, like `fit` runs an
            end-to-end model. An eager call differed from that by about 5e-5
            here (Keras 3.15, TensorFlow 2.21, oneDNN on x86-64).
        images: uint8 array `(samples, height, width, 3)`.
        model_config: provides `image_size`, `preprocessing` and
            `feature_batch_size`.
        predict: function from a batch of prepared images to its features;
            None uses `backbone.predict_on_batch`. bench/backbone_throughput.py
            passes other ways of calling the backbone.

    Returns:
        float32 array `(samples, features)`.
    """
    started = time.perf_counter()
    predict = backbone.predict_on_batch if predict is None else predict
    batch_size = model_config["feature_batch_size"]
    features = np.empty((len(images), backbone.output_shape[-1]), dtype=np.float32)
    for start in range(0, len(images), batch_size):
        batch = prepare_images(images[start : start + batch_size], model_config)
        features[start : start + batch_size] = predict(batch)
        LOGGER.info(
            "features of %d of %d images", min(start + batch_size, len(images)), len(images)
        )

    # bench/run_benchmark.py reads this line for the backbone's throughput.
    seconds = time.perf_counter() - started
    LOGGER.info(
        "backbone pass: %d images in %.2f s, %.1f images/s",
        len(images),
        seconds,
        len(images) / seconds,
    )
    return features


def prepare_images(images, model_config):
    """Scale uint8 images to [0, 1], resize them (bilinear) and preprocess them.

    Args:
        images: uint8 array `(samples, height, width, 3)`.
        model_config: `image_size` is the output side in pixels;
            `preprocessing` `unit` keeps [0, 1], `mobilenet_v2` applies
            MobileNetV2's `preprocess_input` ([-1, 1]).

    Returns:
        float32 array `(samples, image_size, image_size, 3)`.

    Raises:
        ValueError: the preprocessing is unknown.
    """
    import keras
    import tensorflow as tf

    size = model_config["image_size"]
    resized = tf.image.resize(scale_pixels(images), (size, size), method="bilinear").numpy()

    preprocessing = model_config["preprocessing"]
    if preprocessing == "unit":
        return resized
    if preprocessing == "mobilenet_v2":
        # preprocess_input expects 0-255 and overwrites float input in place;
        # the product is a new array, so `resized` stays untouched.
        return keras.applications.mobilenet_v2.preprocess_input(resized * np.float32(255))
    raise ValueError(f"preprocessing {preprocessing!r} is unknown; use 'unit' or 'mobilenet_v2'.")


def _manifest(subset_path, subset, weights_path, weights_setting, model_config):
    return {
        "backbone": model_config["backbone"],
        "weights": weights_setting,
        "weights_sha256": None if weights_path is None else files.sha256_file(weights_path),
        "image_size": model_config["image_size"],
        "preprocessing": model_config["preprocessing"],
        "feature_batch_size": model_config["feature_batch_size"],
        "subset": {
            "path": str(subset_path),
            "arrays": {name: files.sha256_array(array) for name, array in subset.items()},
        },
        **runtime.provenance(),
    }
