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


def exercise_title(wildcards):
    """Return the title of the exercise named by the wildcards."""
    return exercise_config(wildcards)["title"]


def figure_outputs(name, seed):
    """Return the figure files drawn for one exercise and seed."""
    prefix = f"results/figures/{name}/seed{seed}"
    figures = [f"{prefix}/confusion_matrix.png", f"{prefix}/loss_curves.png"]
    if name in MC_EXERCISES:
        figures.append(f"{prefix}/predictive_variance.png")
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
