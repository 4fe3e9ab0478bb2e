"""Exercise 5 as the notebook runs it: a deeper CNN on SVHN, the test subset as validation data."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Stopwatch, draw_figures, load_subset, parse_arguments, report  # noqa: E402

clock = Stopwatch()
arguments = parse_arguments(__doc__, n_train=2000, n_test=500, epochs=15)
(x_train, y_train), (x_test, y_test) = load_subset(
    "svhn", arguments.n_train, arguments.n_test, arguments.offline_config
)

import keras  # noqa: E402

keras.utils.set_random_seed(42)
x_train = x_train.astype("float32") / 255
x_test = x_test.astype("float32") / 255

model = keras.Sequential(
    [
        keras.Input(shape=(32, 32, 3)),
        keras.layers.Conv2D(32, (3, 3), activation="relu"),
        keras.layers.Conv2D(32, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Conv2D(64, (3, 3), activation="relu"),
        keras.layers.Conv2D(64, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.001),
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
    validation_data=(x_test, y_test),
    callbacks=[early_stopping],
    verbose=0,
)
test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
y_pred = model.predict(x_test, verbose=0).argmax(axis=1)
draw_figures(history.history, y_test, y_pred, arguments.figures)
report(exercise="ex5", test_accuracy=test_accuracy, seconds=clock.seconds())
