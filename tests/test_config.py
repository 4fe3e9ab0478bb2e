"""Configuration checks stop the run before any job starts."""

import copy

import pytest
import yaml
from snakemake.utils import validate

from conftest import REPOSITORY
from dl_exercises.configuration import ConfigError, check_config
from workflow_helpers import copy_workflow, run_snakemake, write_config

SCHEMA = str(REPOSITORY / "schemas" / "config.schema.yaml")


@pytest.fixture()
def default_config():
    with open(REPOSITORY / "config.yaml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_default_config_is_valid(default_config):
    validate(default_config, SCHEMA)
    check_config(default_config)
    assert default_config["exercises"]["ex5"]["model"]["kernel_size"] == 3


def test_defaults_match_specification(default_config):
    exercises = default_config["exercises"]
    assert default_config["seeds"] == [42]
    assert (exercises["ex1"]["n_train"], exercises["ex1"]["n_test"]) == (1000, 200)
    assert (exercises["ex2"]["n_train"], exercises["ex2"]["n_test"]) == (5000, 1000)
    assert (exercises["ex4"]["n_train"], exercises["ex4"]["n_test"]) == (2000, 500)
    assert exercises["ex3"]["model"]["dropout"] == {"kind": "alpha", "rate": 0.1}
    assert exercises["ex4"]["training"]["optimizer"] == "adam"
    assert exercises["ex4"]["model"]["preprocessing"] == "unit"
    assert exercises["ex5"]["training"]["validation"] == "test_as_validation"
    assert exercises["ex6"]["training"]["optimizer"] == "sgd"
    assert exercises["ex6"]["training"]["momentum"] == 0.9
    assert exercises["ex6"]["mc_dropout"]["passes"] == 20


# Each row: a bad edit merged over config.yaml, and the texts its error must
# contain: the offending key and what is allowed.
BAD_CONFIGS = {
    "unknown_exercise": (
        {"exercises": {"ex7": {"title": "x"}}},
        ["Additional properties are not allowed ('ex7' was unexpected)"],
    ),
    "negative_epochs": (
        {"exercises": {"ex1": {"training": {"epochs": -1}}}},
        ["-1 is less than the minimum of 1", "['training']['epochs']"],
    ),
    "dropout_rate_one": (
        {"exercises": {"ex3": {"model": {"dropout": {"kind": "alpha", "rate": 1.0}}}}},
        ["1.0 is greater than or equal to the maximum of 1", "['dropout']['rate']"],
    ),
    "unknown_optimizer": (
        {"exercises": {"ex1": {"training": {"optimizer": "rmsprop"}}}},
        ["'rmsprop' is not one of ['adam', 'nadam', 'sgd']", "['optimizer']"],
    ),
    "subset_too_large": (
        {"exercises": {"ex1": {"n_train": 60001}}},
        ["exercises.ex1.n_train is 60001", "use a value from 1 to 60000"],
    ),
    "unknown_source": (
        {"datasets": {"mnist": {"source": "ftp"}}},
        ["'ftp' is not one of", "['source']"],
    ),
    "local_source_without_path": (
        {"datasets": {"svhn": {"source": "local", "path": None}}},
        ["None is not of type 'string'", "['svhn']['path']"],
    ),
    "zero_mc_passes": (
        {"exercises": {"ex6": {"mc_dropout": {"passes": 0}}}},
        ["0 is less than the minimum of 1", "['passes']"],
    ),
    "empty_seeds": (
        {"seeds": []},
        ["[] should be non-empty", "['seeds']"],
    ),
    "wrong_type": (
        {"exercises": {"ex2": {"n_test": "1000"}}},
        ["'1000' is not of type 'integer'", "['n_test']"],
    ),
    "zero_batch_size": (
        {"exercises": {"ex2": {"training": {"batch_size": 0}}}},
        ["0 is less than the minimum of 1", "['batch_size']"],
    ),
    "transfer_on_grayscale": (
        {"exercises": {"ex4": {"dataset": "mnist"}}},
        ["exercises.ex4.model.architecture is transfer, which needs RGB images", "use cifar10 or svhn"],
    ),
    "misspelled_weights": (
        {"weights": {"mobilenet_v2": "imagnet"}},
        ["weights.mobilenet_v2 is 'imagnet'; use imagenet, none, or the path"],
    ),
    "mc_dropout_without_dropout": (
        {"exercises": {"ex1": {"mc_dropout": {"passes": 5, "batch_size": 64}}}},
        ["exercises.ex1.mc_dropout is set, but exercises.ex1.model.dropout is null"],
    ),
    "zero_threads": (
        {"threads": 0},
        ["0 is less than the minimum of 1", "['threads']"],
    ),
}


@pytest.mark.parametrize("row", sorted(BAD_CONFIGS))
def test_bad_config_stops_run_before_jobs(tmp_path, row):
    edit, messages = BAD_CONFIGS[row]
    copy_workflow(tmp_path)
    write_config(tmp_path, edit)
    process = run_snakemake(tmp_path, timeout=300)
    output = process.stdout + process.stderr
    assert process.returncode != 0
    for message in messages:
        assert message in output
    assert not (tmp_path / "results").exists()
    assert not (tmp_path / "data").exists()
    assert not (tmp_path / "logs").exists()


def test_local_source_needs_path(default_config):
    config = copy.deepcopy(default_config)
    config["datasets"]["svhn"] = {"source": "local", "path": None}
    with pytest.raises(Exception) as error:
        validate(config, SCHEMA)
    assert "None is not of type 'string'" in str(error.value)


def test_subset_larger_than_official_split(default_config):
    config = copy.deepcopy(default_config)
    config["exercises"]["ex1"]["n_train"] = 60001
    with pytest.raises(ConfigError, match=r"exercises.ex1.n_train is 60001.*holds 60000"):
        check_config(config)


def test_transfer_needs_rgb_dataset(default_config):
    config = copy.deepcopy(default_config)
    config["exercises"]["ex4"]["dataset"] = "mnist"
    with pytest.raises(ConfigError, match="needs RGB images"):
        check_config(config)
