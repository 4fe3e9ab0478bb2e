"""Model builders, one per architecture, driven by an exercise's model block.

Every size, activation, initialiser and dropout rate comes from the config
block (see config.yaml). The only fixed values are the course's: ten
classes with a softmax output, and MobileNetV2 as the transfer backbone.
Call `runtime.configure_tensorflow` first so that initial weights depend on
the run's seed only.
"""

import keras

NUM_CLASSES = 10

# Pooled feature width of MobileNetV2 with width multiplier alpha 1.0.
MOBILENET_V2_FEATURES = 1280


def build_model(model_config, input_shape, seed):
    """Build the trainable model of an exercise.

    Args:
        model_config: the exercise's `model` block.
        input_shape: shape of one sample, e.g. `(28, 28, 1)` for MNIST images
            or `(1280,)` for the cached features of the transfer exercise.
        seed: the run's seed; dropout layers derive their seeds from it.

    Returns:
        An uncompiled `keras.Model`. For `transfer` this is the head, whose
        input is the backbone's pooled features.

    Raises:
        ValueError: the architecture is not mlp, cnn or transfer.
    """
    builders = {"mlp": build_mlp, "cnn": build_cnn, "transfer": build_head}
    architecture = model_config["architecture"]
    if architecture not in builders:
        raise ValueError(
            f"model architecture {architecture!r} is unknown; " f"use one of {sorted(builders)}."
        )
    return builders[architecture](model_config, input_shape, seed)


def build_mlp(model_config, input_shape, seed):
    """Build a fully connected network on flattened images.

    Each of `hidden_layers` Dense layers has `units` units, `activation` and
    `kernel_initializer`, and is followed by a dropout layer when
    `dropout` is set.
    """
    layers = [keras.Input(shape=tuple(input_shape)), keras.layers.Flatten()]
    for index in range(model_config["hidden_layers"]):
        layers.append(
            keras.layers.Dense(
                model_config["units"],
                activation=model_config["activation"],
                kernel_initializer=model_config["kernel_initializer"],
            )
        )
        layers.extend(dropout_layers(model_config["dropout"], seed + index))
    layers.append(keras.layers.Dense(NUM_CLASSES, activation="softmax"))
    return keras.Sequential(layers, name="mlp")


def build_cnn(model_config, input_shape, seed):
    """Build a convolutional network of blocks of Conv2D ending in max pooling.

    `conv_blocks` lists the filters of each block's convolutions; then come
    Flatten, Dense(`dense_units`), the dropout layer when `dropout` is set,
    and the softmax output.
    """
    layers = [keras.Input(shape=tuple(input_shape))]
    for block in model_config["conv_blocks"]:
        for filters in block:
            layers.append(
                keras.layers.Conv2D(
                    filters,
                    model_config["kernel_size"],
                    activation=model_config["activation"],
                    padding=model_config["padding"],
                )
            )
        layers.append(keras.layers.MaxPooling2D(model_config["pool_size"]))
    layers.append(keras.layers.Flatten())
    layers.append(
        keras.layers.Dense(model_config["dense_units"], activation=model_config["activation"])
    )
    layers.extend(dropout_layers(model_config["dropout"], seed))
    layers.append(keras.layers.Dense(NUM_CLASSES, activation="softmax"))
    return keras.Sequential(layers, name="cnn")


def build_head(model_config, input_shape, seed):
    """Build the transfer head on pooled backbone features.

    Dense(`dense_units`, `activation`), the dropout layer when `dropout` is
    set, and the softmax output. `input_shape` is `(1280,)` for MobileNetV2.
    """
    layers = [
        keras.Input(shape=tuple(input_shape)),
        keras.layers.Dense(model_config["dense_units"], activation=model_config["activation"]),
    ]
    layers.extend(dropout_layers(model_config["dropout"], seed))
    layers.append(keras.layers.Dense(NUM_CLASSES, activation="softmax"))
    return keras.Sequential(layers, name="head")


def build_backbone(model_config, weights_path):
    """Build the frozen backbone that maps images to pooled features.

    Args:
        model_config: the transfer exercise's `model` block; `backbone` must
            be `mobilenet_v2` and `image_size` sets the square input side.
        weights_path: path of the `.h5` weights file without the top, or
            None for random weights.

    Returns:
        A frozen MobileNetV2 without its top whose output is the global
        average of the last feature map, shape `(batch, 1280)`.

    Raises:
        ValueError: the backbone is not `mobilenet_v2`.
    """
    if model_config["backbone"] != "mobilenet_v2":
        raise ValueError(f"backbone {model_config['backbone']!r} is unknown; use 'mobilenet_v2'.")
    size = model_config["image_size"]
    backbone = keras.applications.MobileNetV2(
        input_shape=(size, size, 3),
        include_top=False,
        weights=None if weights_path is None else str(weights_path),
        pooling="avg",
    )
    backbone.trainable = False
    return backbone


def dropout_layers(dropout_config, seed):
    """Return `[]` when `dropout_config` is None, else one seeded dropout layer.

    `kind` `alpha` gives AlphaDropout (for SELU networks), `standard` gives
    Dropout; `rate` is the fraction of units dropped.
    """
    if dropout_config is None:
        return []
    kinds = {"alpha": keras.layers.AlphaDropout, "standard": keras.layers.Dropout}
    kind = dropout_config["kind"]
    if kind not in kinds:
        raise ValueError(f"dropout kind {kind!r} is unknown; use one of {sorted(kinds)}.")
    # Keras keeps seeds as unsigned 32-bit integers.
    return [kinds[kind](dropout_config["rate"], seed=seed % 2**32)]
