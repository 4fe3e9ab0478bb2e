"""Tests of the cached backbone features and of training the head on them."""

import json

import keras
import numpy as np
import pytest

from dl_exercises import features, files, models, training
from tensorflow_helpers import SEED, configure, default_exercise, write_image_subset

# Small enough for two CPU cores: 64x64 backbone inputs.
IMAGE_SIZE = 64
IMAGENET_WEIGHTS = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"


@pytest.fixture(autouse=True)
def seeded():
    configure()


@pytest.fixture
def transfer_config():
    config = default_exercise("ex4")["model"]
    config.update(image_size=IMAGE_SIZE, feature_batch_size=3)
    return config


@pytest.fixture
def cifar_like(tmp_path):
    return write_image_subset(tmp_path / "subset.npz", n_train=8, n_test=4, shape=(32, 32, 3))


def extract(subset_path, config, folder):
    manifest = features.extract_features(
        subset_path, None, "none", config, folder / "features.npz", folder / "features.json"
    )
    return manifest, training.load_inputs(folder / "features.npz")


def test_prepare_images_unit_scale(transfer_config):
    images = np.zeros((2, 32, 32, 3), dtype=np.uint8)
    images[1] = 255
    prepared = features.prepare_images(images, transfer_config)
    assert prepared.shape == (2, IMAGE_SIZE, IMAGE_SIZE, 3)
    assert prepared.dtype == np.float32
    assert (prepared[0] == 0.0).all()
    assert (prepared[1] == 1.0).all()


def test_prepare_images_mobilenet_v2_scale(transfer_config):
    transfer_config["preprocessing"] = "mobilenet_v2"
    images = np.zeros((2, 32, 32, 3), dtype=np.uint8)
    images[1] = 255
    prepared = features.prepare_images(images, transfer_config)
    assert (prepared[0] == -1.0).all()
    assert (prepared[1] == 1.0).all()


def test_prepare_images_bilinear_resize(transfer_config):
    images = np.random.default_rng(1).integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
    prepared = features.prepare_images(images, transfer_config)
    expected = keras.ops.image.resize(
        images.astype(np.float32) / np.float32(255),
        (IMAGE_SIZE, IMAGE_SIZE),
        interpolation="bilinear",
    )
    np.testing.assert_allclose(prepared, keras.ops.convert_to_numpy(expected), atol=1e-6)


def test_unknown_preprocessing_rejected(transfer_config):
    transfer_config["preprocessing"] = "caffe"
    with pytest.raises(ValueError, match="'caffe' is unknown"):
        features.prepare_images(np.zeros((1, 32, 32, 3), dtype=np.uint8), transfer_config)


def test_extract_features_writes_cache(cifar_like, transfer_config, tmp_path):
    manifest, cached = extract(cifar_like, transfer_config, tmp_path)
    subset = np.load(cifar_like, allow_pickle=False)

    assert cached["x_train"].shape == (8, 1280)
    assert cached["x_test"].shape == (4, 1280)
    assert cached["x_train"].dtype == np.float32
    assert (cached["y_train"] == subset["y_train"]).all()
    assert (cached["y_test"] == subset["y_test"]).all()

    stored = json.loads((tmp_path / "features.json").read_text())
    assert stored == manifest
    assert stored["weights"] == "none"
    assert stored["weights_sha256"] is None
    assert stored["image_size"] == IMAGE_SIZE
    assert stored["preprocessing"] == "unit"
    assert stored["feature_batch_size"] == 3
    assert stored["subset"]["arrays"]["x_train"] == files.sha256_array(subset["x_train"])
    assert stored["threads"] == 2


def test_features_match_one_backbone_call(cifar_like, transfer_config, tmp_path):
    # extract_features builds its backbone first after seeding, so seeding
    # again and building gives the same random weights.
    _, cached = extract(cifar_like, transfer_config, tmp_path)
    configure()
    backbone = models.build_backbone(transfer_config, None)
    images = np.load(cifar_like, allow_pickle=False)["x_train"]
    whole = backbone.predict(
        features.prepare_images(images, transfer_config), batch_size=8, verbose=0
    )
    # Batches of 3 and one batch of 8 differ at most in float32 rounding.
    np.testing.assert_allclose(cached["x_train"], whole, rtol=1e-6, atol=1e-12)


def test_head_on_features_matches_end_to_end(cifar_like, transfer_config, tmp_path, shared_data):
    # Random MobileNetV2 weights give pooled features near 1e-12, which
    # barely move the head, so this comparison needs the ImageNet weights.
    weights_path = shared_data / "mobilenet_v2" / IMAGENET_WEIGHTS
    features.extract_features(
        cifar_like,
        weights_path,
        str(weights_path),
        transfer_config,
        tmp_path / "features.npz",
        tmp_path / "features.json",
    )
    cached = training.load_inputs(tmp_path / "features.npz")
    training_config = default_exercise("ex4")["training"]
    training_config.update(epochs=2, batch_size=4)
    images = np.load(cifar_like, allow_pickle=False)
    labels = images["y_train"]

    backbone = models.build_backbone(transfer_config, weights_path)
    head = models.build_head(transfer_config, (1280,), SEED)
    end_to_end_head = models.build_head(transfer_config, (1280,), SEED)
    end_to_end_head.set_weights(head.get_weights())
    inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3))
    end_to_end = keras.Model(inputs, end_to_end_head(backbone(inputs, training=False)))
    initial = head.get_weights()

    training.compile_model(head, training_config)
    training.fit_model(head, cached["x_train"], labels, None, training_config, shuffle=False)
    training.compile_model(end_to_end, training_config)
    prepared = features.prepare_images(images["x_train"], transfer_config)
    training.fit_model(end_to_end, prepared, labels, None, training_config, shuffle=False)

    trained = head.get_weights()
    assert np.abs(trained[0] - initial[0]).max() > 1e-4
    # Bit-identical on x86-64 with oneDNN and 2 threads (TensorFlow 2.21);
    # the tolerance only allows for other CPUs' rounding.
    for cached_weights, end_to_end_weights in zip(trained, end_to_end_head.get_weights()):
        np.testing.assert_allclose(cached_weights, end_to_end_weights, rtol=1e-6, atol=1e-9)
