"""Synthetic training, Monte Carlo and manifest files in the workflow's formats.

Shared by the answers and report tests. Values are chosen so that rounding
to three decimals changes them and so that every seed gives other values.
"""

import copy
import json
from pathlib import Path

import yaml

REPOSITORY = Path(__file__).resolve().parents[1]

# Value of each (exercise, key) for the first seed; later seeds add SEED_OFFSET.
FIRST_SEED_VALUES = {
    ("ex1", "test_accuracy"): 0.91549,
    ("ex2", "test_accuracy"): 0.4371,
    ("ex3", "test_accuracy"): 0.8876,
    ("ex3", "mc_accuracy"): 0.89251,
    ("ex4", "test_accuracy"): 0.1004,
    ("ex5", "test_accuracy"): 0.81234,
    ("ex6", "test_accuracy"): 0.7777,
    ("ex6", "mc_accuracy"): 0.78049,
    ("ex6", "mean_predictive_variance"): 0.0123456,
}
SEED_OFFSET = 0.05

SOURCES = {
    "mnist": {
        "dataset": "mnist",
        "source": "local",
        "path": "/data/mnist",
        "stand_in": False,
        "matches_official": True,
        "official_check": "sha256 of the four IDX files",
        "files": {"train-images-idx3-ubyte.gz": {"sha256": "a" * 64, "bytes": 9912422}},
        "archive": None,
    },
    "cifar10": {
        "dataset": "cifar10",
        "source": "official",
        "urls": ["https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"],
        "stand_in": False,
        "matches_official": True,
        "official_check": "md5 of the archive",
        "files": {
            "cifar-10-batches-bin/data_batch_1.bin": {"sha256": "b" * 64, "bytes": 30730000}
        },
        "archive": {"name": "cifar-10-binary.tar.gz", "sha256": "c" * 64},
    },
    "svhn": {
        "dataset": "svhn",
        "source": "local",
        "path": "/data/svhn-synthetic",
        "stand_in": True,
        "matches_official": False,
        "official_check": "sizes and sha256 of train_32x32.mat and test_32x32.mat",
        "files": {"train_32x32.mat": {"sha256": "d" * 64, "bytes": 4096}},
        "archive": None,
    },
}


def default_exercises():
    """Return a copy of the `exercises` block of the repository's config.yaml."""
    with open(REPOSITORY / "config.yaml", encoding="utf-8") as handle:
        return copy.deepcopy(yaml.safe_load(handle)["exercises"])


def default_datasets():
    """Return dataset source blocks matching SOURCES."""
    return {
        name: {
            "source": source["source"],
            "path": source.get("path"),
            "stand_in": source["stand_in"],
        }
        for name, source in SOURCES.items()
    }


def write_json(path, document):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return str(path)


def evaluation(name, exercise, seed, value):
    training = exercise["training"]
    return {
        "exercise": name,
        "seed": seed,
        "test_accuracy": value,
        "test_loss": 0.5,
        "n_train": exercise["n_train"],
        "n_validation": 0 if training["validation"] != "tail_split" else 200,
        "n_test": exercise["n_test"],
        "validation": training["validation"],
        "epochs_run": 3,
        "best_epoch": 2 if training.get("early_stopping") else None,
        "threads": 2,
        "deterministic": True,
        "versions": {
            "python": "3.11.9",
            "tensorflow": "2.21.0",
            "keras": "3.15.1",
            "numpy": "2.4.6",
        },
        "device": "CPU",
    }


def mc_metrics(name, exercise, seed, offset):
    return {
        "exercise": name,
        "seed": seed,
        "passes": exercise["mc_dropout"]["passes"],
        "mc_accuracy": FIRST_SEED_VALUES[(name, "mc_accuracy")] + offset,
        "deterministic_accuracy": FIRST_SEED_VALUES[(name, "test_accuracy")] + offset,
        "mean_predictive_variance": FIRST_SEED_VALUES.get((name, "mean_predictive_variance"), 0.02)
        + offset,
        "threads": 2,
        "versions": {
            "python": "3.11.9",
            "tensorflow": "2.21.0",
            "keras": "3.15.1",
            "numpy": "2.4.6",
        },
    }


def subset_manifest(dataset, n_train, n_test):
    return {
        "dataset": dataset,
        "n_train": n_train,
        "n_test": n_test,
        "order": f"first {n_train} training and {n_test} test samples in file order",
        "source": SOURCES[dataset],
        "arrays": {
            "x_train": {"shape": [n_train, 28, 28, 1], "dtype": "uint8", "sha256": "e" * 64},
            "y_train": {"shape": [n_train], "dtype": "uint8", "sha256": "f" * 64},
        },
    }


def write_inputs(root, exercises=None, seeds=(42, 7), weights="none"):
    """Write every input of gather_answers under `root`; return its keyword arguments.

    The later seeds' files come first in each path list, so a test can tell
    "first seed" from "first file".
    """
    root = Path(root)
    exercises = default_exercises() if exercises is None else exercises
    evaluation_paths, mc_metric_paths, subset_paths, feature_paths = [], [], {}, []
    for name, exercise in sorted(exercises.items()):
        for index, seed in reversed(list(enumerate(seeds))):
            offset = SEED_OFFSET * index
            run = root / "results" / "training" / name / f"seed{seed}"
            value = FIRST_SEED_VALUES[(name, "test_accuracy")] + offset
            evaluation_paths.append(
                write_json(run / "evaluation.json", evaluation(name, exercise, seed, value))
            )
            if exercise["mc_dropout"]:
                mc_path = root / "results" / "mc_dropout" / name / f"seed{seed}" / "metrics.json"
                mc_metric_paths.append(
                    write_json(mc_path, mc_metrics(name, exercise, seed, offset))
                )
        key = (exercise["dataset"], exercise["n_train"], exercise["n_test"])
        subset = root / "data" / "subsets" / key[0] / f"train{key[1]}_test{key[2]}.json"
        subset_paths[key] = write_json(subset, subset_manifest(*key))
        if exercise["model"]["architecture"] == "transfer":
            features = {
                "backbone": "mobilenet_v2",
                "weights": weights,
                "image_size": 224,
                "threads": 2,
            }
            feature_paths.append(
                write_json(root / "results" / "features" / f"{name}.json", features)
            )
    return {
        "evaluation_paths": evaluation_paths,
        "mc_metric_paths": mc_metric_paths,
        "subset_manifest_paths": sorted(subset_paths.values()),
        "feature_manifest_paths": feature_paths,
        "exercises": exercises,
        "seeds": list(seeds),
        "datasets": default_datasets(),
        "weights": {"mobilenet_v2": weights},
        "csv_path": str(root / "results" / "answers.csv"),
        "json_path": str(root / "results" / "answers.json"),
    }


BENCHMARK_HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def write_uncertainty_summaries(root, exercises, seeds, samples=30, passes=4):
    """Write real uncertainty summaries of random MC passes for every MC exercise and seed."""
    import numpy as np

    from dl_exercises.uncertainty_summary import summarise_uncertainty

    root = Path(root)
    paths = []
    for name, exercise in sorted(exercises.items()):
        if not exercise["mc_dropout"]:
            continue
        for index, seed in enumerate(seeds):
            generator = np.random.default_rng(index)
            logits = generator.normal(size=(passes, samples, 10))
            probabilities = np.exp(logits) / np.exp(logits).sum(axis=2, keepdims=True)
            y_true = generator.integers(0, 10, size=samples).astype(np.uint8)
            folder = root / "results" / "uncertainty" / name / f"seed{seed}"
            folder.mkdir(parents=True, exist_ok=True)
            np.savez(
                folder / "probabilities.npz",
                probabilities=probabilities.astype(np.float32),
                y_true=y_true,
            )
            np.savez(
                folder / "predictions.npz",
                probabilities=probabilities[0].astype(np.float32),
                y_true=y_true,
            )
            summarise_uncertainty(
                folder / "probabilities.npz",
                folder / "predictions.npz",
                name,
                seed,
                folder / "per_sample.csv",
                folder / "summary.json",
            )
            paths.append(str(folder / "summary.json"))
    return paths


def write_benchmarks(root):
    """Write three Snakemake benchmark TSV files; return their paths."""
    root = Path(root)
    records = {
        "benchmarks/train/ex1/seed42.tsv": "12.3456\t0:00:12\t812.5\t2048.0\t700.1\t710.2\t1.0\t2.0\t95.0\t23.4",
        "benchmarks/fetch_dataset/mnist.tsv": "0.5\t0:00:00\t-\t-\t-\t-\t-\t-\t-\t-",
        "benchmarks/gather_answers.tsv": "1.25\t0:00:01\t90.0\t300.0\t80.0\t81.0\t0.0\t0.1\t50.0\t0.9",
    }
    paths = []
    for relative, row in records.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(BENCHMARK_HEADER + row + "\n", encoding="utf-8")
        paths.append(str(path))
    return paths
