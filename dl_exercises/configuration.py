"""Checks and look-ups on the workflow configuration that JSON Schema cannot express."""

import os

# Samples per split in the official files of each dataset.
OFFICIAL_SIZES = {
    "mnist": {"train": 60000, "test": 10000},
    "cifar10": {"train": 50000, "test": 10000},
    "svhn": {"train": 73257, "test": 26032},
}

# Channels of each dataset's images; the MobileNetV2 backbone needs three.
CHANNELS = {"mnist": 1, "cifar10": 3, "svhn": 3}


class ConfigError(ValueError):
    """A configuration value that is valid on its own but not together with others."""


def check_config(config):
    """Check the cross-field rules of a schema-validated configuration.

    Raises:
        ConfigError: naming the key, the value and what is allowed.
    """
    for name, exercise in sorted(config["exercises"].items()):
        _check_subset_sizes(name, exercise, config["datasets"][exercise["dataset"]])
        _check_architecture(name, exercise)
        _check_validation(name, exercise)
        _check_mc_dropout(name, exercise)
    _check_weights(config["weights"]["mobilenet_v2"])


def _check_mc_dropout(name, exercise):
    if exercise.get("mc_dropout") and not exercise["model"].get("dropout"):
        raise ConfigError(
            f"exercises.{name}.mc_dropout is set, but exercises.{name}.model.dropout "
            "is null, so the model has no dropout layer to keep active; set "
            f"exercises.{name}.model.dropout or set exercises.{name}.mc_dropout to null."
        )


def _check_weights(weights):
    # Only the form is checked here: the file itself is checked by the
    # fetch_weights job, on the host that runs the download rules.
    if weights not in ("imagenet", "none") and not weights.endswith(".h5"):
        raise ConfigError(
            f"weights.mobilenet_v2 is {weights!r}; use imagenet, none, or the path "
            "of the MobileNetV2 no-top .h5 weights file."
        )


def _check_subset_sizes(name, exercise, source):
    dataset = exercise["dataset"]
    if source["source"] != "official":
        # A local copy may hold fewer samples; extract_subset checks it.
        return
    for split in ("train", "test"):
        requested = exercise[f"n_{split}"]
        available = OFFICIAL_SIZES[dataset][split]
        if requested > available:
            raise ConfigError(
                f"exercises.{name}.n_{split} is {requested}, but the official "
                f"{dataset} {split} split holds {available} samples; "
                f"use a value from 1 to {available}."
            )


def _check_architecture(name, exercise):
    architecture = exercise["model"]["architecture"]
    dataset = exercise["dataset"]
    if architecture == "transfer" and CHANNELS[dataset] != 3:
        raise ConfigError(
            f"exercises.{name}.model.architecture is transfer, which needs RGB "
            f"images, but exercises.{name}.dataset is {dataset} "
            f"({CHANNELS[dataset]} channel); use cifar10 or svhn."
        )


def _check_validation(name, exercise):
    training = exercise["training"]
    early_stopping = training.get("early_stopping")
    if (
        training["validation"] == "none"
        and early_stopping
        and early_stopping["monitor"].startswith("val_")
    ):
        raise ConfigError(
            f"exercises.{name}.training.early_stopping.monitor is "
            f"{early_stopping['monitor']}, but exercises.{name}.training.validation "
            "is none; monitor loss or accuracy, or choose tail_split or "
            "test_as_validation."
        )


def resolve_source(source):
    """Return a dataset source block whose `path` is absolute.

    Relative paths are taken from the directory Snakemake runs in, so that a
    job on a cluster node reads the same folder.
    """
    resolved = dict(source)
    if resolved.get("path"):
        resolved["path"] = os.path.abspath(os.path.expanduser(resolved["path"]))
    return resolved


def resolve_weights(weights):
    """Return `imagenet`, `none` or the absolute path of a weights file."""
    if weights in ("imagenet", "none"):
        return weights
    return os.path.abspath(os.path.expanduser(weights))
