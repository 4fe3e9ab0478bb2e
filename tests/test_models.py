"""Tests of the model builders against the exercises' specification."""

import keras
import pytest

from dl_exercises import models
from tensorflow_helpers import SEED, configure, default_exercise

# Parameter counts of the default models, from the layer sizes:
# Dense(n -> m) has n * m + m parameters and Conv2D(c -> f, 3x3) 9 * c * f + f.
EXPECTED_PARAMETERS = {
    "ex1": (784 * 64 + 64) + 2 * (64 * 64 + 64) + (64 * 10 + 10),
    "ex2": (3072 * 256 + 256) + 3 * (256 * 256 + 256) + (256 * 10 + 10),
    "ex3": (784 * 64 + 64) + 2 * (64 * 64 + 64) + (64 * 10 + 10),
    "ex4": (1280 * 128 + 128) + (128 * 10 + 10),
    # 32x32 -conv-> 30 -conv-> 28 -pool-> 14 -conv-> 12 -conv-> 10 -pool-> 5.
    "ex5": (9 * 3 * 32 + 32)
    + (9 * 32 * 32 + 32)
    + (9 * 32 * 64 + 64)
    + (9 * 64 * 64 + 64)
    + (5 * 5 * 64 * 256 + 256)
    + (256 * 10 + 10),
    # 32x32 -conv-> 30 -pool-> 15 -conv-> 13 -pool-> 6.
    "ex6": (9 * 3 * 32 + 32) + (9 * 32 * 64 + 64) + (6 * 6 * 64 * 128 + 128) + (128 * 10 + 10),
}

INPUT_SHAPES = {
    "ex1": (28, 28, 1),
    "ex2": (32, 32, 3),
    "ex3": (28, 28, 1),
    "ex4": (1280,),
    "ex5": (32, 32, 3),
    "ex6": (32, 32, 3),
}

EXPECTED_LAYERS = {
    "ex1": ["Flatten", "Dense", "Dense", "Dense", "Dense"],
    "ex2": ["Flatten", "Dense", "Dense", "Dense", "Dense", "Dense"],
    "ex3": [
        "Flatten",
        "Dense",
        "AlphaDropout",
        "Dense",
        "AlphaDropout",
        "Dense",
        "AlphaDropout",
        "Dense",
    ],
    "ex4": ["Dense", "Dropout", "Dense"],
    "ex5": [
        "Conv2D",
        "Conv2D",
        "MaxPooling2D",
        "Conv2D",
        "Conv2D",
        "MaxPooling2D",
        "Flatten",
        "Dense",
        "Dropout",
        "Dense",
    ],
    "ex6": [
        "Conv2D",
        "MaxPooling2D",
        "Conv2D",
        "MaxPooling2D",
        "Flatten",
        "Dense",
        "Dropout",
        "Dense",
    ],
}


@pytest.fixture(autouse=True)
def seeded():
    configure()


def build_default(name, seed=SEED):
    return models.build_model(default_exercise(name)["model"], INPUT_SHAPES[name], seed)


def layers_of(model, kind):
    return [layer for layer in model.layers if type(layer).__name__ == kind]


@pytest.mark.parametrize("name", sorted(EXPECTED_PARAMETERS))
def test_default_model_parameter_count(name):
    assert build_default(name).count_params() == EXPECTED_PARAMETERS[name]


@pytest.mark.parametrize("name", sorted(EXPECTED_LAYERS))
def test_default_model_layer_types(name):
    model = build_default(name)
    assert [type(layer).__name__ for layer in model.layers] == EXPECTED_LAYERS[name]


@pytest.mark.parametrize("name", sorted(EXPECTED_LAYERS))
def test_default_model_softmax_output(name):
    model = build_default(name)
    output = model.layers[-1]
    assert output.units == 10
    assert output.activation.__name__ == "softmax"
    assert model.output_shape == (None, 10)


@pytest.mark.parametrize(
    ("name", "units", "activation", "initializer"),
    [
        ("ex1", 64, "elu", keras.initializers.HeNormal),
        ("ex2", 256, "elu", keras.initializers.HeNormal),
        ("ex3", 64, "selu", keras.initializers.LecunNormal),
    ],
)
def test_mlp_hidden_layers_match_spec(name, units, activation, initializer):
    hidden = layers_of(build_default(name), "Dense")[:-1]
    assert len(hidden) == default_exercise(name)["model"]["hidden_layers"]
    for layer in hidden:
        assert layer.units == units
        assert layer.activation.__name__ == activation
        assert type(layer.kernel_initializer) is initializer


def test_mlp_alpha_dropout_rate_and_seeds():
    dropouts = layers_of(build_default("ex3", seed=7), "AlphaDropout")
    assert [layer.rate for layer in dropouts] == [0.1, 0.1, 0.1]
    assert [layer.seed for layer in dropouts] == [7, 8, 9]


@pytest.mark.parametrize(("name", "filters"), [("ex5", [32, 32, 64, 64]), ("ex6", [32, 64])])
def test_cnn_convolutions_match_spec(name, filters):
    convolutions = layers_of(build_default(name), "Conv2D")
    assert [layer.filters for layer in convolutions] == filters
    for layer in convolutions:
        assert layer.kernel_size == (3, 3)
        assert layer.padding == "valid"
        assert layer.activation.__name__ == "relu"
    for pooling in layers_of(build_default(name), "MaxPooling2D"):
        assert pooling.pool_size == (2, 2)


@pytest.mark.parametrize(
    ("name", "units", "rate"), [("ex4", 128, 0.2), ("ex5", 256, 0.3), ("ex6", 128, 0.25)]
)
def test_dense_and_dropout_after_features(name, units, rate):
    model = build_default(name)
    dense = layers_of(model, "Dense")[0]
    (dropout,) = layers_of(model, "Dropout")
    assert dense.units == units
    assert dense.activation.__name__ == "relu"
    assert dropout.rate == rate
    assert dropout.seed == SEED


def test_cnn_same_padding_keeps_size():
    config = dict(default_exercise("ex6")["model"], padding="same", dropout=None)
    model = models.build_model(config, (32, 32, 3), SEED)
    flatten = layers_of(model, "Flatten")[0]
    assert flatten.output.shape == (None, 8 * 8 * 64)
    assert layers_of(model, "Dropout") == []


def test_same_seed_gives_same_initial_weights():
    configure(5)
    first = build_default("ex1").get_weights()
    configure(5)
    second = build_default("ex1").get_weights()
    configure(6)
    other = build_default("ex1").get_weights()
    for first_weights, second_weights in zip(first, second):
        assert (first_weights == second_weights).all()
    assert not (first[0] == other[0]).all()


def test_backbone_frozen_pooled_features():
    config = dict(default_exercise("ex4")["model"], image_size=32)
    backbone = models.build_backbone(config, None)
    assert backbone.count_params() == 2_257_984
    assert backbone.trainable_weights == []
    assert backbone.input_shape == (None, 32, 32, 3)
    assert backbone.output_shape == (None, models.MOBILENET_V2_FEATURES)


def test_backbone_loads_weights_file(shared_data):
    import h5py

    path = (
        shared_data
        / "mobilenet_v2"
        / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"
    )
    config = dict(default_exercise("ex4")["model"], image_size=96)
    backbone = models.build_backbone(config, path)
    with h5py.File(path, "r") as weights:
        stored = weights["Conv1"]["Conv1"]["kernel"][()]
    assert (backbone.get_layer("Conv1").kernel.numpy() == stored).all()


def test_unknown_architecture_rejected():
    with pytest.raises(ValueError, match="'rnn' is unknown"):
        models.build_model({"architecture": "rnn"}, (28, 28, 1), SEED)


def test_unknown_backbone_rejected():
    config = dict(default_exercise("ex4")["model"], backbone="resnet50")
    with pytest.raises(ValueError, match="'resnet50' is unknown"):
        models.build_backbone(config, None)
