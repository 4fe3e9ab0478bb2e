"""Exercise 6 as the notebook runs it: a CNN with SGD on SVHN, then Monte Carlo dropout.

The 20 stochastic passes are a Python loop of `model(x_test, training=True)`,
as in the notebook; the model has no BatchNormalization.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Stopwatch, draw_figures, load_subset, parse_arguments, report  # noqa: E402

clock = Stopwatch()
arguments = parse_arguments(__doc__, n_train=2000, n_test=500, epochs=15, passes=20)
(x_train, y_train), (x_test, y_test) = load_subset(
    "svhn", arguments.n_train, arguments.n_test, arguments.offline_config
)

import keras  # noqa: E402
import numpy as np  # noqa: E402

keras.utils.set_random_seed(42)
x_train = x_train.astype("float32") / 255
x_test = x_test.astype("float32") / 255

model = keras.Sequential(
    [
        keras.Input(shape=(32, 32, 3)),
        keras.layers.Conv2D(32, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Conv2D(64, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(0.25),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
model.compile(
    optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
history = model.fit(
    x_train,
    y_train,
    epochs=arguments.epochs,
    batch_size=32,
    validation_data=(x_test, y_test),
    verbose=0,
)
test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
y_pred = model.predict(x_test, verbose=0).argmax(axis=1)
passes = np.stack([model(x_test, training=True).numpy() for _ in range(arguments.passes)])
mc_accuracy = float(np.mean(passes.mean(axis=0).argmax(axis=1) == y_test))
variance = passes.var(axis=0).mean(axis=1)
draw_figures(history.history, y_test, y_pred, arguments.figures, variance=variance)
report(
    exercise="ex6",
    test_accuracy=test_accuracy,
    mc_accuracy=mc_accuracy,
    mean_predictive_variance=float(variance.mean()),
    seconds=clock.seconds(),
)
