"""Monte Carlo dropout on a saved model: stochastic forward passes without retraining.

Only the dropout layers are switched on. Calling the model with
`training=True` would also put BatchNormalization in training mode (batch
statistics, and overwritten moving averages), and since Keras 3 `predict`
overrides a `training=True` given at a layer's call site. So the model is
cloned with every Dropout and AlphaDropout layer replaced by a subclass that
always drops units, and all other layers keep running in inference mode.
"""

import itertools
import logging
import time

import keras
import numpy as np

from dl_exercises import files, runtime, training, uncertainty

LOGGER = logging.getLogger(__name__)


class StochasticDropout(keras.layers.Dropout):
    """Dropout that drops units in every call, in inference too."""

    def call(self, inputs, training=None):
        return super().call(inputs, training=True)


class StochasticAlphaDropout(keras.layers.AlphaDropout):
    """AlphaDropout that drops units in every call, in inference too."""

    def call(self, inputs, training=None):
        return super().call(inputs, training=True)


# Exact classes only: a subclass such as SpatialDropout2D drops whole
# feature maps and must not become element-wise dropout.
STOCHASTIC_LAYERS = {
    keras.layers.Dropout: StochasticDropout,
    keras.layers.AlphaDropout: StochasticAlphaDropout,
}


def run_mc_dropout(
    model_path, arrays_path, mc_config, exercise, seed, probabilities_path, metrics_path
):
    """Run the Monte Carlo passes of a saved model over the test subset and write the results.

    Args:
        model_path: the trained `.keras` model.
        arrays_path: the `.npz` the model was trained on (uint8 images or
            float32 features); only x_test and y_test are used.
        mc_config: the exercise's `mc_dropout` block (`passes`, `batch_size`).
        exercise: exercise name, stored in the metrics.
        seed: the run's seed; the dropout masks depend on it only.
        probabilities_path: output `.npz` with probabilities float32
            `(passes, samples, classes)` and y_true uint8.
        metrics_path: output JSON with the Monte Carlo and deterministic
            accuracies and the mean predictive variance.

    Returns:
        The metrics dict written to `metrics_path`.
    """
    started = time.perf_counter()
    LOGGER.info("Monte Carlo dropout of %s on %s, seed %d", model_path, arrays_path, seed)
    arrays = training.load_inputs(arrays_path)
    x_test, y_test = arrays["x_test"], arrays["y_test"]
    model = keras.models.load_model(model_path, compile=False, safe_mode=True)

    deterministic = model.predict(x_test, batch_size=mc_config["batch_size"], verbose=0)
    mc_model = build_mc_model(model, seed)
    probabilities = stochastic_passes(
        mc_model, x_test, mc_config["passes"], mc_config["batch_size"]
    )

    metrics = {
        "exercise": exercise,
        "seed": seed,
        "passes": mc_config["passes"],
        "mc_accuracy": training.classification_accuracy(probabilities.mean(axis=0), y_test),
        "deterministic_accuracy": training.classification_accuracy(deterministic, y_test),
        "mean_predictive_variance": uncertainty.mean_predictive_variance(probabilities),
        **runtime.provenance(),
    }
    files.save_arrays(probabilities_path, probabilities=probabilities, y_true=y_test)
    files.write_json(metrics_path, metrics)
    LOGGER.info(
        "Monte Carlo accuracy %.4f, deterministic accuracy %.4f; wrote %s and %s in %.1f s",
        metrics["mc_accuracy"],
        metrics["deterministic_accuracy"],
        probabilities_path,
        metrics_path,
        time.perf_counter() - started,
    )
    return metrics


def build_mc_model(model, seed):
    """Return a copy of `model` whose dropout layers drop units in every call.

    The copy has the same weights. Its i-th dropout layer gets seed
    `seed + i`, because a `.keras` file does not store the state of a
    dropout layer's seed generator.

    Raises:
        ValueError: the model has no Dropout or AlphaDropout layer.
    """
    layer_index = itertools.count()
    swapped = []

    def clone_layer(layer):
        stochastic = STOCHASTIC_LAYERS.get(type(layer))
        config = layer.get_config()
        if stochastic is None:
            return layer.__class__.from_config(config)
        config["seed"] = (seed + next(layer_index)) % 2**32
        swapped.append(layer.name)
        return stochastic.from_config(config)

    mc_model = keras.models.clone_model(model, clone_function=clone_layer, recursive=True)
    if not swapped:
        raise ValueError(
            f"model {model.name!r} has no Dropout or AlphaDropout layer, so Monte "
            "Carlo dropout would repeat one deterministic prediction; set the "
            "exercise's model dropout or its mc_dropout to null."
        )
    mc_model.set_weights(model.get_weights())
    LOGGER.info("dropout layers made stochastic: %s", ", ".join(swapped))
    return mc_model


def stochastic_passes(mc_model, x_test, passes, batch_size):
    """Run `passes` stochastic forward passes over `x_test` as one prediction.

    The test set is tiled `passes` times and predicted in one call, which
    is faster than one call per pass. The two methods draw different random
    masks, so changing the method changes the numbers.

    Returns:
        float32 array `(passes, samples, classes)`.
    """
    tiled = np.tile(x_test, (passes,) + (1,) * (x_test.ndim - 1))
    probabilities = mc_model.predict(tiled, batch_size=batch_size, verbose=0)
    return probabilities.reshape(passes, len(x_test), -1).astype(np.float32)
