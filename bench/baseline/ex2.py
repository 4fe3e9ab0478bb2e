"""Exercise 2 as the notebook runs it: a fully connected network on CIFAR-10."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Stopwatch, draw_figures, load_subset, parse_arguments, report  # noqa: E402

clock = Stopwatch()
arguments = parse_arguments(__doc__, n_train=5000, n_test=1000, epochs=50)
(x_train, y_train), (x_test, y_test) = load_subset(
    "cifar10", arguments.n_train, arguments.n_test, arguments.offline_config
)

import keras  # noqa: E402

keras.utils.set_random_seed(42)
x_train = x_train.reshape(len(x_train), -1).astype("float32") / 255
x_test = x_test.reshape(len(x_test), -1).astype("float32") / 255

model = keras.Sequential(
    [keras.Input(shape=(3072,))]
    + [keras.layers.Dense(256, activation="elu", kernel_initializer="he_normal") for _ in range(4)]
    + [keras.layers.Dense(10, activation="softmax")]
)
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
    batch_size=128,
    validation_split=0.2,
    callbacks=[early_stopping],
    verbose=0,
)
test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
y_pred = model.predict(x_test, verbose=0).argmax(axis=1)
draw_figures(history.history, y_test, y_pred, arguments.figures)
report(exercise="ex2", test_accuracy=test_accuracy, seconds=clock.seconds())
