"""Training of one exercise: data preparation, validation protocol, fit, test evaluation.

`train_exercise` runs the whole job and writes its four outputs: the model
(`.keras`), the history (CSV), the test evaluation (JSON) and the test
predictions (`.npz`). Call `runtime.configure_tensorflow` first.
"""

import csv
import io
import json
import logging
import math
import time
import zipfile

import keras
import numpy as np

from dl_exercises import files, models, runtime

LOGGER = logging.getLogger(__name__)

# Array names, dtypes and ranks of the two kinds of training input: uint8
# image subsets and the float32 pooled features of the transfer exercise.
IMAGE_ARRAYS = {
    "x_train": ("uint8", 4),
    "y_train": ("uint8", 1),
    "x_test": ("uint8", 4),
    "y_test": ("uint8", 1),
}
FEATURE_ARRAYS = {
    "x_train": ("float32", 2),
    "y_train": ("uint8", 1),
    "x_test": ("float32", 2),
    "y_test": ("uint8", 1),
}

HISTORY_COLUMNS = ["loss", "accuracy", "val_loss", "val_accuracy"]


def train_exercise(
    arrays_path,
    model_config,
    training_config,
    exercise,
    seed,
    model_path,
    history_path,
    evaluation_path,
    predictions_path,
):
    """Train one exercise, evaluate it on the test subset and write four files.

    Args:
        arrays_path: subset `.npz` (uint8 images) or, for the transfer
            exercise, the cached features `.npz` (float32).
        model_config: the exercise's `model` block.
        training_config: the exercise's `training` block.
        exercise: exercise name, e.g. `ex1`, stored in the evaluation.
        seed: the run's seed, already passed to `configure_tensorflow`.
        model_path, history_path, evaluation_path, predictions_path: outputs.

    Returns:
        The evaluation dict written to `evaluation_path`.
    """
    started = time.perf_counter()
    LOGGER.info("training %s with seed %d on %s", exercise, seed, arrays_path)
    arrays = load_inputs(arrays_path)
    _check_inputs_match_model(arrays_path, arrays, model_config)
    x_fit, y_fit, validation_data = split_validation(arrays, training_config)

    model = models.build_model(model_config, arrays["x_train"].shape[1:], seed)
    compile_model(model, training_config)
    history, best_epoch = fit_model(model, x_fit, y_fit, validation_data, training_config)
    probabilities, test_loss = evaluate_model(
        model, arrays["x_test"], arrays["y_test"], training_config["batch_size"]
    )

    evaluation = {
        "exercise": exercise,
        "seed": seed,
        "test_accuracy": classification_accuracy(probabilities, arrays["y_test"]),
        "test_loss": test_loss,
        "n_train": len(y_fit),
        "n_validation": 0 if validation_data is None else len(validation_data[1]),
        "n_test": len(arrays["y_test"]),
        "validation": training_config["validation"],
        "epochs_run": len(history["loss"]),
        "best_epoch": best_epoch,
        **runtime.provenance(),
    }
    save_model(model, model_path)
    write_history(history_path, history)
    files.write_json(evaluation_path, evaluation)
    files.save_arrays(predictions_path, probabilities=probabilities, y_true=arrays["y_test"])
    LOGGER.info(
        "test accuracy %.4f after %d epochs; wrote %s, %s, %s, %s in %.1f s",
        evaluation["test_accuracy"],
        evaluation["epochs_run"],
        model_path,
        history_path,
        evaluation_path,
        predictions_path,
        time.perf_counter() - started,
    )
    return evaluation


def load_inputs(arrays_path):
    """Load training and test arrays, scaling uint8 pixels to float32 in [0, 1].

    Cached features (float32) are returned unchanged.

    Returns:
        A dict with `x_train`, `y_train`, `x_test`, `y_test`.

    Raises:
        ValueError: `x_train` is neither uint8 images nor float32 features.
    """
    with np.load(arrays_path, allow_pickle=False) as stored:
        dtype = stored["x_train"].dtype
    if dtype == np.uint8:
        arrays = files.load_arrays(arrays_path, IMAGE_ARRAYS)
        for name in ("x_train", "x_test"):
            arrays[name] = scale_pixels(arrays[name])
        return arrays
    if dtype == np.float32:
        return files.load_arrays(arrays_path, FEATURE_ARRAYS)
    raise ValueError(
        f"{arrays_path}: x_train is {dtype}; expected uint8 images (a subset) "
        "or float32 features (the transfer exercise's feature cache)."
    )


def scale_pixels(images):
    """Return uint8 pixel values as float32 in [0, 1], divided by 255."""
    return images.astype(np.float32) / np.float32(255)


def _check_inputs_match_model(arrays_path, arrays, model_config):
    features = arrays["x_train"].ndim == 2
    transfer = model_config["architecture"] == "transfer"
    if features != transfer:
        kind = "features" if features else "images"
        raise ValueError(
            f"{arrays_path} contains {kind}, but the model architecture is "
            f"{model_config['architecture']!r}; the transfer architecture trains "
            "on cached features and every other architecture on images."
        )


def split_validation(arrays, training_config):
    """Apply the validation protocol of the training block.

    `tail_split` holds out the last `validation_fraction` of the training
    subset, as Keras' `validation_split` does (the tail, no shuffling);
    `test_as_validation` uses the test subset as validation data; `none`
    uses no validation data.

    Returns:
        `(x_fit, y_fit, validation_data)`, where `validation_data` is an
        `(x, y)` tuple or None.

    Raises:
        ValueError: the protocol is unknown, or the split leaves no training
            or no validation sample.
    """
    x_train, y_train = arrays["x_train"], arrays["y_train"]
    protocol = training_config["validation"]
    if protocol == "none":
        return x_train, y_train, None
    if protocol == "test_as_validation":
        return x_train, y_train, (arrays["x_test"], arrays["y_test"])
    if protocol != "tail_split":
        raise ValueError(
            f"validation protocol {protocol!r} is unknown; "
            "use tail_split, test_as_validation or none."
        )

    fraction = training_config["validation_fraction"]
    # Same rounding as Keras' validation_split.
    split_at = math.floor(len(y_train) * (1.0 - fraction))
    if split_at in (0, len(y_train)):
        raise ValueError(
            f"validation_fraction {fraction} of {len(y_train)} training samples "
            "leaves an empty training or validation part; change n_train or "
            "validation_fraction."
        )
    validation_data = (x_train[split_at:], y_train[split_at:])
    return x_train[:split_at], y_train[:split_at], validation_data


def make_optimizer(training_config):
    """Return the optimizer named by the training block, with its learning rate.

    Raises:
        ValueError: the optimizer is not adam, nadam or sgd.
    """
    name = training_config["optimizer"]
    learning_rate = training_config["learning_rate"]
    if name == "adam":
        return keras.optimizers.Adam(learning_rate=learning_rate)
    if name == "nadam":
        return keras.optimizers.Nadam(learning_rate=learning_rate)
    if name == "sgd":
        return keras.optimizers.SGD(
            learning_rate=learning_rate, momentum=training_config["momentum"]
        )
    raise ValueError(f"optimizer {name!r} is unknown; use adam, nadam or sgd.")


def compile_model(model, training_config, steps_per_execution=1):
    """Compile with the configured optimizer, sparse categorical cross-entropy and accuracy.

    Args:
        steps_per_execution: batches that Keras runs per compiled call; only
            bench/training_variants.py sets another value than Keras' 1.
    """
    model.compile(
        optimizer=make_optimizer(training_config),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
    )


def fit_model(model, x_fit, y_fit, validation_data, training_config, shuffle=True):
    """Fit the compiled model, with early stopping when the training block sets it.

    Args:
        shuffle: shuffle the training samples every epoch. Only the test
            that compares the transfer head with the end-to-end model turns
            it off.

    Returns:
        `(history, best_epoch)`: the Keras history dict (metric name to
        per-epoch list) and the 1-based epoch whose weights early stopping
        restored, or None when no weights were restored.
    """
    early_stopping = _early_stopping(training_config["early_stopping"])
    callbacks = [keras.callbacks.LambdaCallback(on_epoch_end=_log_epoch)]
    if early_stopping is not None:
        callbacks.append(early_stopping)

    history = model.fit(
        x_fit,
        y_fit,
        batch_size=training_config["batch_size"],
        epochs=training_config["epochs"],
        validation_data=validation_data,
        shuffle=shuffle,
        callbacks=callbacks,
        verbose=0,
    )
    return history.history, _restored_epoch(early_stopping)


def _early_stopping(early_stopping_config):
    if early_stopping_config is None:
        return None
    return keras.callbacks.EarlyStopping(
        monitor=early_stopping_config["monitor"],
        patience=early_stopping_config["patience"],
        restore_best_weights=early_stopping_config["restore_best_weights"],
    )


def _restored_epoch(early_stopping):
    # Keras 3 restores the best weights at the end of training even when
    # patience never ran out (Keras 2 restored them only on a stop).
    if early_stopping is None or early_stopping.best_weights is None:
        return None
    return early_stopping.best_epoch + 1


def _log_epoch(epoch, logs):
    metrics = ", ".join(f"{name} {value:.4f}" for name, value in sorted(logs.items()))
    LOGGER.info("epoch %d: %s", epoch + 1, metrics)


def evaluate_model(model, x_test, y_test, batch_size):
    """Predict the test subset and compute the test loss.

    Returns:
        `(probabilities, test_loss)`: float32 softmax outputs of shape
        `(samples, classes)` and the mean sparse categorical cross-entropy.
    """
    probabilities = model.predict(x_test, batch_size=batch_size, verbose=0)
    test_loss, _ = model.evaluate(x_test, y_test, batch_size=batch_size, verbose=0)
    return probabilities.astype(np.float32), float(test_loss)


def classification_accuracy(probabilities, labels):
    """Return the fraction of samples whose most probable class is the label.

    Args:
        probabilities: shape `(samples, classes)`.
        labels: integer class ids, shape `(samples,)`.
    """
    predicted = np.argmax(probabilities, axis=-1)
    return float(np.mean(predicted == labels))


def write_history(path, history):
    """Write the per-epoch history as CSV: epoch (1-based), then each metric.

    The columns are loss and accuracy, plus val_loss and val_accuracy when
    the fit had validation data.
    """
    columns = [name for name in HISTORY_COLUMNS if name in history]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["epoch", *columns])
    for epoch in range(len(history["loss"])):
        writer.writerow([epoch + 1, *(repr(float(history[name][epoch])) for name in columns)])
    files.write_text(path, buffer.getvalue())


def save_model(model, path):
    """Save the model as a `.keras` file whose bytes depend on the model only.

    Keras stamps the save time into the archive's `metadata.json` and into
    every zip entry, and numbers shared objects in `config.json` by their
    memory address. This rewrites the archive without the times and with
    shared objects numbered in order of appearance, so re-running a job with
    the same seed gives a byte-identical file.
    """
    with files.atomic_path(path) as temporary:
        model.save(temporary)
        _normalise_keras_archive(temporary)


def _normalise_keras_archive(path):
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]

    with zipfile.ZipFile(path, "w") as archive:
        for info, content in members:
            if info.filename == "metadata.json":
                metadata = json.loads(content)
                metadata.pop("date_saved", None)
                content = json.dumps(metadata).encode()
            elif info.filename == "config.json":
                config = _renumber_shared_objects(json.loads(content), {})
                content = json.dumps(config).encode()
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = info.compress_type
            entry.external_attr = info.external_attr
            archive.writestr(entry, content)


def _renumber_shared_objects(node, numbers):
    # Keras only needs equal ids for the same object within one file.
    if isinstance(node, list):
        return [_renumber_shared_objects(item, numbers) for item in node]
    if not isinstance(node, dict):
        return node
    renumbered = {}
    for key, value in node.items():
        if key == "shared_object_id":
            value = numbers.setdefault(value, len(numbers))
        else:
            value = _renumber_shared_objects(value, numbers)
        renumbered[key] = value
    return renumbered
