# Input functions and config look-ups shared by the rule files. Each rule
# receives only the slice of the config it uses, through params, so that an
# edit re-runs exactly the jobs that depend on the edited value.

import json

from dl_exercises import configuration

configuration.check_config(config)

EXERCISES = sorted(config["exercises"])
SEEDS = [str(seed) for seed in config["seeds"]]
MC_EXERCISES = [name for name in EXERCISES if config["exercises"][name]["mc_dropout"]]
TRANSFER_EXERCISES = [
    name
    for name in EXERCISES
    if config["exercises"][name]["model"]["architecture"] == "transfer"
]


wildcard_constraints:
    dataset="|".join(config["datasets"]),
    exercise="|".join(EXERCISES),
    seed=r"\d+",
    n_train=r"\d+",
    n_test=r"\d+",


localrules:
    fetch_dataset,
    fetch_weights,
    fetch_all,


def exercise_config(wildcards):
    """Return the config block of the exercise named by the wildcards."""
    return config["exercises"][wildcards.exercise]


def model_params(wildcards):
    """Return the model block of the exercise named by the wildcards."""
    return exercise_config(wildcards)["model"]


def training_params(wildcards):
    """Return the training block of the exercise named by the wildcards."""
    return exercise_config(wildcards)["training"]


def mc_dropout_params(wildcards):
    """Return the Monte Carlo dropout block of the exercise."""
    return exercise_config(wildcards)["mc_dropout"]


def subset_path(name, suffix):
    """Return the subset cache path (`.npz` or `.json`) of exercise `name`."""
    exercise = config["exercises"][name]
    return (
        f"data/subsets/{exercise['dataset']}/"
        f"train{exercise['n_train']}_test{exercise['n_test']}{suffix}"
    )


def training_data(wildcards):
    """Return the arrays a training job reads: subset or cached features."""
    name = wildcards.exercise
    if name in TRANSFER_EXERCISES:
        return {"arrays": f"results/features/{name}.npz"}
    return {"arrays": subset_path(name, ".npz")}


def feature_inputs(wildcards):
    """Return the subset and, unless weights are `none`, the weights file."""
    inputs = {"subset": subset_path(wildcards.exercise, ".npz")}
    if config["weights"]["mobilenet_v2"] != "none":
        inputs["weights"] = "data/weights/mobilenet_v2.h5"
    return inputs


def weights_params():
    """Return the MobileNetV2 weights setting with a relative path resolved."""
    return configuration.resolve_weights(config["weights"]["mobilenet_v2"])


def dataset_params(wildcards):
    """Return the source block of one dataset, with its path made absolute."""
    return configuration.resolve_source(config["datasets"][wildcards.dataset])


def download_targets():
    """Return the raw folders of every dataset the exercises use, and the weights."""
    datasets = sorted({config["exercises"][name]["dataset"] for name in EXERCISES})
    targets = {"raw": [f"data/raw/{dataset}" for dataset in datasets]}
    if TRANSFER_EXERCISES and config["weights"]["mobilenet_v2"] != "none":
        targets["weights"] = "data/weights/mobilenet_v2.h5"
    return targets


def validation_label(wildcards):
    """Return the legend of the validation curves: the test subset when it served."""
    if training_params(wildcards)["validation"] == "test_as_validation":
        return "test subset (validation data)"
    return "validation"


def exercise_title(wildcards):
    """Return the exercise's title for its figures, marked when its data is a stand-in."""
    exercise = exercise_config(wildcards)
    if config["datasets"][exercise["dataset"]]["stand_in"]:
        return f"{exercise['title']} [STAND-IN data, not {exercise['dataset']}]"
    return exercise["title"]


def figure_outputs(name, seed):
    """Return the figure files drawn for one exercise and seed."""
    prefix = f"results/figures/{name}/seed{seed}"
    figures = [f"{prefix}/confusion_matrix.png", f"{prefix}/loss_curves.png"]
    if name in MC_EXERCISES:
        figures.extend(
            f"{prefix}/{figure}.png"
            for figure in (
                "predictive_variance",
                "mutual_information",
                "reliability_diagram",
                "highest_mutual_information",
            )
        )
    return figures


def answer_inputs(wildcards):
    """Return every evaluation, Monte Carlo and provenance file of all seeds."""
    inputs = {"evaluations": [], "mc_metrics": [], "subsets": [], "features": []}
    for name in EXERCISES:
        for seed in SEEDS:
            inputs["evaluations"].append(
                f"results/training/{name}/seed{seed}/evaluation.json"
            )
            if name in MC_EXERCISES:
                inputs["mc_metrics"].append(
                    f"results/mc_dropout/{name}/seed{seed}/metrics.json"
                )
        inputs["subsets"].append(subset_path(name, ".json"))
        if name in TRANSFER_EXERCISES:
            inputs["features"].append(f"results/features/{name}.json")
    return inputs


def report_figures(wildcards):
    """Return all figure files, every exercise and seed."""
    return [
        path
        for name in EXERCISES
        for seed in SEEDS
        for path in figure_outputs(name, seed)
    ]


def test_images(wildcards):
    """Return the subset `.npz` whose x_test holds the exercise's test images."""
    return subset_path(wildcards.exercise, ".npz")


def uncertainty_summaries(wildcards):
    """Return the uncertainty summary.json of every MC exercise and seed."""
    return [
        f"results/uncertainty/{name}/seed{seed}/summary.json"
        for name in MC_EXERCISES
        for seed in SEEDS
    ]


def job_benchmarks(wildcards):
    """Return the benchmark file of every job that the report depends on."""
    datasets = sorted({config["exercises"][name]["dataset"] for name in EXERCISES})
    paths = [f"benchmarks/fetch_dataset/{dataset}.tsv" for dataset in datasets]
    paths.extend(
        sorted(
            {
                "benchmarks/extract_subset/{dataset}/train{n_train}_test{n_test}.tsv".format(
                    **config["exercises"][name]
                )
                for name in EXERCISES
            }
        )
    )
    if TRANSFER_EXERCISES and config["weights"]["mobilenet_v2"] != "none":
        paths.append("benchmarks/fetch_weights/mobilenet_v2.tsv")
    paths.extend(
        f"benchmarks/extract_features/{name}.tsv" for name in TRANSFER_EXERCISES
    )
    for name in EXERCISES:
        for seed in SEEDS:
            paths.append(f"benchmarks/train/{name}/seed{seed}.tsv")
            paths.append(f"benchmarks/figures/{name}/seed{seed}.tsv")
            if name in MC_EXERCISES:
                for stage in ("mc_dropout", "uncertainty", "mc_figures"):
                    paths.append(f"benchmarks/{stage}/{name}/seed{seed}.tsv")
    paths.append("benchmarks/gather_answers.tsv")
    return paths


def config_checksum():
    """Return the sha256 of the configuration as key-sorted JSON."""
    import hashlib

    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
