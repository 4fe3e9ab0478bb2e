"""Tests of Monte Carlo dropout: only dropout active, seeded passes, metrics."""

import json

import keras
import numpy as np
import pytest

from dl_exercises import mc_dropout, models, training, uncertainty
from tensorflow_helpers import (
    SEED,
    configure,
    default_exercise,
    run_in_fresh_process,
    write_image_subset,
)

MC_CONFIG = {"passes": 5, "batch_size": 64}
MOVING_MEAN = np.linspace(-1.0, 1.0, 16).astype(np.float32)
MOVING_VARIANCE = np.linspace(0.5, 2.0, 16).astype(np.float32)


@pytest.fixture(autouse=True)
def seeded():
    configure()


@pytest.fixture
def mnist_like(tmp_path):
    return write_image_subset(tmp_path / "subset.npz", n_train=40, n_test=12, shape=(28, 28, 1))


@pytest.fixture
def batch_norm_model_path(tmp_path):
    """Save a model with BatchNormalization before Dropout, with known moving statistics."""
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(16),
            keras.layers.BatchNormalization(),
            keras.layers.Dropout(0.5, seed=SEED),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    batch_norm = model.layers[2]
    gamma, beta, _, _ = batch_norm.get_weights()
    batch_norm.set_weights([gamma, beta, MOVING_MEAN, MOVING_VARIANCE])
    path = tmp_path / "model.keras"
    model.save(path)
    return path


def trained_ex3(arrays_path, folder):
    exercise = default_exercise("ex3")
    exercise["training"].update(epochs=2, batch_size=8)
    evaluation = training.train_exercise(
        arrays_path,
        exercise["model"],
        exercise["training"],
        "ex3",
        SEED,
        folder / "model.keras",
        folder / "history.csv",
        folder / "evaluation.json",
        folder / "predictions.npz",
    )
    return evaluation, folder / "model.keras"


def run(model_path, arrays_path, folder):
    metrics = mc_dropout.run_mc_dropout(
        model_path,
        arrays_path,
        MC_CONFIG,
        "ex3",
        SEED,
        folder / "probabilities.npz",
        folder / "metrics.json",
    )
    with np.load(folder / "probabilities.npz", allow_pickle=False) as stored:
        return metrics, stored["probabilities"], stored["y_true"]


def test_batch_norm_statistics_untouched(batch_norm_model_path, mnist_like):
    model = keras.models.load_model(batch_norm_model_path, safe_mode=True)
    mc_model = mc_dropout.build_mc_model(model, SEED)
    x_test = training.load_inputs(mnist_like)["x_test"]
    mc_dropout.stochastic_passes(mc_model, x_test, passes=3, batch_size=12)

    for checked in (mc_model, keras.models.load_model(batch_norm_model_path, safe_mode=True)):
        batch_norm = checked.layers[2]
        np.testing.assert_array_equal(batch_norm.moving_mean.numpy(), MOVING_MEAN)
        np.testing.assert_array_equal(batch_norm.moving_variance.numpy(), MOVING_VARIANCE)


def test_passes_use_moving_statistics():
    # Model output = dropout(batch_norm(x)): every kept unit must equal the
    # inference-mode normalisation divided by the keep probability.
    model = keras.Sequential(
        [
            keras.Input((16,)),
            keras.layers.BatchNormalization(),
            keras.layers.Dropout(0.5, seed=SEED),
        ]
    )
    gamma, beta, _, _ = model.layers[0].get_weights()
    model.layers[0].set_weights([gamma, beta, MOVING_MEAN, MOVING_VARIANCE])
    x_test = np.random.default_rng(2).normal(5.0, 3.0, (6, 16)).astype(np.float32)

    mc_model = mc_dropout.build_mc_model(model, SEED)
    outputs = mc_dropout.stochastic_passes(mc_model, x_test, passes=4, batch_size=6)

    epsilon = model.layers[0].epsilon
    normalised = (x_test - MOVING_MEAN) / np.sqrt(MOVING_VARIANCE + epsilon)
    kept_units = outputs != 0
    assert 0 < kept_units.mean() < 1
    expected = np.broadcast_to(normalised / 0.5, outputs.shape)
    np.testing.assert_allclose(outputs[kept_units], expected[kept_units], rtol=1e-5)


def test_mc_model_keeps_weights_and_seeds():
    model = models.build_model(default_exercise("ex3")["model"], (28, 28, 1), SEED)
    mc_model = mc_dropout.build_mc_model(model, 100)
    dropouts = [layer for layer in mc_model.layers if "dropout" in type(layer).__name__.lower()]
    assert [type(layer) for layer in dropouts] == [mc_dropout.StochasticAlphaDropout] * 3
    assert [layer.seed for layer in dropouts] == [100, 101, 102]
    assert [layer.rate for layer in dropouts] == [0.1, 0.1, 0.1]
    for original, copied in zip(model.get_weights(), mc_model.get_weights()):
        np.testing.assert_array_equal(original, copied)


def test_model_without_dropout_rejected():
    model = models.build_model(default_exercise("ex1")["model"], (28, 28, 1), SEED)
    with pytest.raises(ValueError, match="has no Dropout or AlphaDropout layer"):
        mc_dropout.build_mc_model(model, SEED)


def test_passes_differ_and_metrics_match(mnist_like, tmp_path):
    evaluation, model_path = trained_ex3(mnist_like, tmp_path)
    metrics, probabilities, y_true = run(model_path, mnist_like, tmp_path)

    assert probabilities.shape == (5, 12, 10)
    assert probabilities.dtype == np.float32
    assert y_true.dtype == np.uint8
    assert not np.array_equal(probabilities[0], probabilities[1])
    np.testing.assert_allclose(probabilities.sum(axis=2), 1.0, rtol=1e-5)

    assert json.loads((tmp_path / "metrics.json").read_text()) == metrics
    assert metrics["passes"] == 5
    assert metrics["deterministic_accuracy"] == evaluation["test_accuracy"]
    assert metrics["mc_accuracy"] == np.mean(probabilities.mean(axis=0).argmax(axis=1) == y_true)
    assert metrics["mean_predictive_variance"] == uncertainty.mean_predictive_variance(
        probabilities
    )
    assert metrics["mean_predictive_variance"] > 0
    assert metrics["threads"] == 2
    assert set(metrics["versions"]) == {"python", "tensorflow", "keras", "numpy"}


def test_passes_identical_across_processes(batch_norm_model_path, mnist_like, tmp_path):
    for run_name in ("first", "second"):
        (tmp_path / run_name).mkdir()
        code = f"""
            from dl_exercises import mc_dropout, runtime
            runtime.configure_tensorflow({SEED}, 2)
            mc_dropout.run_mc_dropout(
                {str(batch_norm_model_path)!r}, {str(mnist_like)!r}, {MC_CONFIG!r},
                "ex3", {SEED}, "{run_name}/probabilities.npz", "{run_name}/metrics.json",
            )
        """
        run_in_fresh_process(code, cwd=tmp_path)
    for name in ("probabilities.npz", "metrics.json"):
        first = (tmp_path / "first" / name).read_bytes()
        second = (tmp_path / "second" / name).read_bytes()
        assert first == second, f"{name} differs between two runs with seed {SEED}"
