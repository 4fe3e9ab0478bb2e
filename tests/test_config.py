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


BAD_VALUES = [
    (("exercises", "ex7"), {"title": "x"}, "ex7"),
    (("exercises", "ex1", "training", "epochs"), -1, "-1 is less than the minimum of 1"),
    (("exercises", "ex3", "model", "dropout", "rate"), 1.0, "1.0 is greater than or equal to the maximum of 1"),
    (("exercises", "ex1", "training", "optimizer"), "rmsprop", "'rmsprop' is not one of ['adam', 'nadam', 'sgd']"),
    (("datasets", "mnist", "source"), "ftp", "'ftp' is not one of ['official', 'local']"),
    (("exercises", "ex6", "mc_dropout", "passes"), 0, "0 is less than the minimum of 1"),
    (("seeds",), [], "should be non-empty"),
    (("exercises", "ex1", "n_train"), "1000", "'1000' is not of type 'integer'"),
]


def set_value(config, keys, value):
    target = config
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value


@pytest.mark.parametrize(("keys", "value", "message"), BAD_VALUES)
def test_schema_rejects_bad_value(default_config, keys, value, message):
    config = copy.deepcopy(default_config)
    set_value(config, keys, value)
    with pytest.raises(Exception) as error:
        validate(config, SCHEMA)
    assert message in str(error.value)
    assert keys[-1] in str(error.value)


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


def test_bad_config_stops_snakemake_before_jobs(tmp_path):
    copy_workflow(tmp_path)
    write_config(tmp_path, {"exercises": {"ex2": {"training": {"batch_size": 0}}}})
    process = run_snakemake(tmp_path, "--dry-run", timeout=300)
    assert process.returncode != 0
    output = process.stdout + process.stderr
    assert "0 is less than the minimum of 1" in output
    assert "batch_size" in output
    assert not (tmp_path / "results").exists()
    assert not (tmp_path / "data").exists()
