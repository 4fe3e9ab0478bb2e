"""Exercise 4 as the notebook runs it: a frozen MobileNetV2 trained end to end on CIFAR-10.

Like the notebook, this resizes the whole subset to 224x224 up front and
fits the end-to-end model, so the frozen backbone runs over every training
and validation image in every epoch, and again over the test images for
`evaluate` and `predict`. The backbone's multiply-adds per image are
counted from its layers (convolutions, depthwise convolutions).
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    Stopwatch,
    draw_figures,
    load_subset,
    offline_sources,
    parse_arguments,
    report,
)

clock = Stopwatch()
arguments = parse_arguments(__doc__, n_train=2000, n_test=500, epochs=5, image_size=224)
(x_train, y_train), (x_test, y_test) = load_subset(
    "cifar10", arguments.n_train, arguments.n_test, arguments.offline_config
)
_, weights = offline_sources(arguments.offline_config)

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

keras.utils.set_random_seed(42)
size = arguments.image_size
x_train = tf.image.resize(x_train.astype("float32") / 255, (size, size)).numpy()
x_test = tf.image.resize(x_test.astype("float32") / 255, (size, size)).numpy()

backbone = keras.applications.MobileNetV2(
    input_shape=(size, size, 3), include_top=False, weights=weights
)
backbone.trainable = False
inputs = keras.Input(shape=(size, size, 3))
x = backbone(inputs, training=False)
x = keras.layers.GlobalAveragePooling2D()(x)
x = keras.layers.Dense(128, activation="relu")(x)
x = keras.layers.Dropout(0.2)(x)
outputs = keras.layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.001),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)

fit_started = time.perf_counter()
history = model.fit(
    x_train, y_train, epochs=arguments.epochs, batch_size=32, validation_split=0.2, verbose=0
)
fit_seconds = time.perf_counter() - fit_started
test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
y_pred = model.predict(x_test, verbose=0).argmax(axis=1)
draw_figures(history.history, y_test, y_pred, arguments.figures)


def multiply_adds(network):
    """Count the multiply-adds of one image through the convolutions and dense layers."""
    total = 0
    for layer in network.layers:
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            height, width, channels = layer.output.shape[1:]
            total += height * width * channels * layer.kernel_size[0] * layer.kernel_size[1]
        elif isinstance(layer, keras.layers.Conv2D):
            height, width, filters = layer.output.shape[1:]
            kernel = layer.kernel_size[0] * layer.kernel_size[1]
            total += height * width * filters * kernel * layer.input.shape[-1]
        elif isinstance(layer, keras.layers.Dense):
            total += layer.input.shape[-1] * layer.units
    return total


# Every epoch runs the backbone over the training part and the validation tail.
backbone_images = arguments.epochs * len(x_train)
report(
    exercise="ex4",
    test_accuracy=test_accuracy,
    seconds=clock.seconds(),
    fit_seconds=fit_seconds,
    backbone_images_per_second=backbone_images / fit_seconds,
    backbone_multiply_adds=multiply_adds(backbone),
)
