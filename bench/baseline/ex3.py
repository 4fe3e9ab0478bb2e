"""Exercise 3 as the notebook runs it: Alpha Dropout on MNIST, then Monte Carlo dropout.

The trained model is saved and loaded again, and the 20 stochastic passes
are a Python loop of `model(x_test, training=True)`, as in the notebook.
The model has no BatchNormalization, so `training=True` switches on the
dropout layers only.
"""

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Stopwatch, draw_figures, load_subset, parse_arguments, report  # noqa: E402

clock = Stopwatch()
arguments = parse_arguments(__doc__, n_train=1000, n_test=200, epochs=50, passes=20)
(x_train, y_train), (x_test, y_test) = load_subset(
    "mnist", arguments.n_train, arguments.n_test, arguments.offline_config
)

import keras  # noqa: E402
import numpy as np  # noqa: E402

keras.utils.set_random_seed(42)
x_train = x_train.reshape(len(x_train), -1).astype("float32") / 255
x_test = x_test.reshape(len(x_test), -1).astype("float32") / 255

layers = [keras.Input(shape=(784,))]
for _ in range(3):
    layers.append(keras.layers.Dense(64, activation="selu", kernel_initializer="lecun_normal"))
    layers.append(keras.layers.AlphaDropout(0.1))
layers.append(keras.layers.Dense(10, activation="softmax"))
model = keras.Sequential(layers)
model.compile(
    optimizer=keras.optimizers.Nadam(learning_rate=0.001),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
early_stopping = keras.callbacks.EarlyStopping(
    monitor="val_loss", patience=5, restore_best_weights=True
)
history = model.fit(
    x_train,
    y_train,
    epochs=arguments.epochs,
    batch_size=32,
    validation_split=0.2,
    callbacks=[early_stopping],
    verbose=0,
)

with tempfile.TemporaryDirectory(prefix="baseline-ex3-") as folder:
    model.save(Path(folder) / "model.keras")
    model = keras.models.load_model(Path(folder) / "model.keras")

test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
y_pred = model.predict(x_test, verbose=0).argmax(axis=1)
passes = np.stack([model(x_test, training=True).numpy() for _ in range(arguments.passes)])
mc_accuracy = float(np.mean(passes.mean(axis=0).argmax(axis=1) == y_test))
variance = passes.var(axis=0).mean(axis=1)
draw_figures(history.history, y_test, y_pred, arguments.figures, variance=variance)
report(exercise="ex3", test_accuracy=test_accuracy, mc_accuracy=mc_accuracy, seconds=clock.seconds())
