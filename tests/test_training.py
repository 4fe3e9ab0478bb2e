"""Tests of training: validation protocols, optimizers, outputs and reproducibility."""

import csv
import json

import keras
import numpy as np
import pytest

from dl_exercises import models, training
from tensorflow_helpers import (
    SEED,
    configure,
    default_exercise,
    run_in_fresh_process,
    write_image_subset,
)

OUTPUT_NAMES = ["model.keras", "history.csv", "evaluation.json", "predictions.npz"]


@pytest.fixture(autouse=True)
def seeded():
    configure()


@pytest.fixture
def mnist_like(tmp_path):
    return write_image_subset(tmp_path / "subset.npz", n_train=40, n_test=12, shape=(28, 28, 1))


def tiny_exercise(name, **training_changes):
    exercise = default_exercise(name)
    exercise["training"].update({"epochs": 2, "batch_size": 8, **training_changes})
    return exercise


def train(arrays_path, exercise, folder, name="ex1"):
    outputs = {f"{stem.split('.')[0]}_path": folder / stem for stem in OUTPUT_NAMES}
    evaluation = training.train_exercise(
        arrays_path, exercise["model"], exercise["training"], name, SEED, **outputs
    )
    return evaluation, outputs


def read_history(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_train_writes_four_outputs(mnist_like, tmp_path):
    evaluation, outputs = train(mnist_like, tiny_exercise("ex1"), tmp_path)

    rows = read_history(outputs["history_path"])
    assert list(rows[0]) == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"]
    assert [row["epoch"] for row in rows] == ["1", "2"]

    stored = json.loads(outputs["evaluation_path"].read_text())
    assert stored == evaluation
    assert stored["exercise"] == "ex1"
    assert stored["seed"] == SEED
    assert (stored["n_train"], stored["n_validation"], stored["n_test"]) == (32, 8, 12)
    assert stored["validation"] == "tail_split"
    assert stored["epochs_run"] == 2
    assert stored["deterministic"] is True
    assert stored["device"] == "CPU"
    assert set(stored["versions"]) == {"python", "tensorflow", "keras", "numpy"}

    with np.load(outputs["predictions_path"], allow_pickle=False) as predictions:
        probabilities, y_true = predictions["probabilities"], predictions["y_true"]
    assert probabilities.dtype == np.float32
    assert probabilities.shape == (12, 10)
    assert y_true.dtype == np.uint8
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert stored["test_accuracy"] == np.mean(probabilities.argmax(axis=1) == y_true)


def test_saved_model_reproduces_predictions(mnist_like, tmp_path):
    _, outputs = train(mnist_like, tiny_exercise("ex3"), tmp_path, name="ex3")
    model = keras.models.load_model(outputs["model_path"], safe_mode=True)
    x_test = training.load_inputs(mnist_like)["x_test"]
    with np.load(outputs["predictions_path"], allow_pickle=False) as predictions:
        expected = predictions["probabilities"]
    np.testing.assert_array_equal(model.predict(x_test, batch_size=8, verbose=0), expected)


def test_train_reruns_byte_identical(mnist_like, tmp_path):
    exercise = tiny_exercise("ex3")
    for run in ("first", "second"):
        (tmp_path / run).mkdir()
        code = f"""
            from dl_exercises import runtime, training
            runtime.configure_tensorflow({SEED}, 2)
            training.train_exercise(
                {str(mnist_like)!r}, {exercise['model']!r}, {exercise['training']!r},
                "ex3", {SEED}, "{run}/model.keras", "{run}/history.csv",
                "{run}/evaluation.json", "{run}/predictions.npz",
            )
        """
        run_in_fresh_process(code, cwd=tmp_path)
    for name in OUTPUT_NAMES:
        first = (tmp_path / "first" / name).read_bytes()
        second = (tmp_path / "second" / name).read_bytes()
        assert first == second, f"{name} differs between two runs with seed {SEED}"


def test_tail_split_holds_out_tail_in_order():
    arrays = {
        "x_train": np.arange(10, dtype=np.float32).reshape(10, 1),
        "y_train": np.arange(10, dtype=np.uint8),
    }
    config = {"validation": "tail_split", "validation_fraction": 0.25}
    _, y_fit, (x_validation, y_validation) = training.split_validation(arrays, config)
    # Keras' validation_split rounds the training part down: floor(10 * 0.75) = 7.
    assert y_fit.tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert y_validation.tolist() == [7, 8, 9]
    assert x_validation[:, 0].tolist() == [7.0, 8.0, 9.0]


def test_tail_split_empty_part_rejected():
    arrays = {"x_train": np.zeros((4, 1)), "y_train": np.zeros(4, dtype=np.uint8)}
    config = {"validation": "tail_split", "validation_fraction": 0.9}
    with pytest.raises(ValueError, match="validation_fraction 0.9 of 4 training samples"):
        training.split_validation(arrays, config)


def test_test_as_validation_uses_test_subset():
    arrays = {
        "x_train": np.zeros((4, 1)),
        "y_train": np.zeros(4, dtype=np.uint8),
        "x_test": np.ones((2, 1)),
        "y_test": np.ones(2, dtype=np.uint8),
    }
    config = {"validation": "test_as_validation", "validation_fraction": 0.2}
    x_fit, _, (x_validation, y_validation) = training.split_validation(arrays, config)
    assert len(x_fit) == 4
    assert x_validation is arrays["x_test"]
    assert y_validation is arrays["y_test"]


def test_validation_none_keeps_all_training(mnist_like, tmp_path):
    exercise = tiny_exercise("ex1", validation="none", early_stopping=None)
    evaluation, outputs = train(mnist_like, exercise, tmp_path)
    assert list(read_history(outputs["history_path"])[0]) == ["epoch", "loss", "accuracy"]
    assert evaluation["n_train"] == 40
    assert evaluation["n_validation"] == 0
    assert evaluation["best_epoch"] is None


@pytest.mark.parametrize(
    ("name", "kind", "learning_rate"),
    [("adam", keras.optimizers.Adam, 0.001), ("nadam", keras.optimizers.Nadam, 0.002)],
)
def test_make_optimizer_adaptive(name, kind, learning_rate):
    optimizer = training.make_optimizer({"optimizer": name, "learning_rate": learning_rate})
    assert type(optimizer) is kind
    assert float(optimizer.learning_rate) == pytest.approx(learning_rate)


def test_make_optimizer_sgd_momentum():
    config = default_exercise("ex6")["training"]
    optimizer = training.make_optimizer(config)
    assert type(optimizer) is keras.optimizers.SGD
    assert float(optimizer.learning_rate) == pytest.approx(0.01)
    assert optimizer.momentum == 0.9


def test_make_optimizer_unknown_rejected():
    with pytest.raises(ValueError, match="'rmsprop' is unknown"):
        training.make_optimizer({"optimizer": "rmsprop", "learning_rate": 0.1})


def test_early_stopping_restores_best_epoch(mnist_like):
    exercise = tiny_exercise("ex1", epochs=4, learning_rate=0.05)
    exercise["training"]["early_stopping"]["patience"] = 10
    arrays = training.load_inputs(mnist_like)
    x_fit, y_fit, validation_data = training.split_validation(arrays, exercise["training"])
    model = models.build_model(exercise["model"], (28, 28, 1), SEED)
    training.compile_model(model, exercise["training"])
    history, best_epoch = training.fit_model(
        model, x_fit, y_fit, validation_data, exercise["training"]
    )

    # Patience never ran out, yet Keras 3 restores the best epoch's weights.
    assert len(history["loss"]) == 4
    assert best_epoch == int(np.argmin(history["val_loss"])) + 1
    restored_loss, _ = model.evaluate(*validation_data, batch_size=8, verbose=0)
    assert restored_loss == pytest.approx(history["val_loss"][best_epoch - 1], rel=1e-5)


def test_load_inputs_scales_pixels(tmp_path):
    path = tmp_path / "subset.npz"
    images = np.array([0, 51, 255], dtype=np.uint8).reshape(3, 1, 1, 1)
    labels = np.zeros(3, dtype=np.uint8)
    np.savez(path, x_train=images, y_train=labels, x_test=images, y_test=labels)
    arrays = training.load_inputs(path)
    assert arrays["x_train"].dtype == np.float32
    assert arrays["x_train"].ravel().tolist() == [0.0, np.float32(0.2), 1.0]


def test_load_inputs_keeps_features(tmp_path):
    path = tmp_path / "features.npz"
    features = np.full((2, 1280), 3.5, dtype=np.float32)
    labels = np.zeros(2, dtype=np.uint8)
    np.savez(path, x_train=features, y_train=labels, x_test=features, y_test=labels)
    assert (training.load_inputs(path)["x_train"] == 3.5).all()


def test_images_with_transfer_rejected(mnist_like, tmp_path):
    exercise = tiny_exercise("ex4")
    with pytest.raises(
        ValueError, match="contains images, but the model architecture is 'transfer'"
    ):
        train(mnist_like, exercise, tmp_path, name="ex4")
