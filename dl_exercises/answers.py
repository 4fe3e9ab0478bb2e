"""The nine questions of the exercises and their answers with provenance.

Each question reads one key of one JSON file of one exercise: the test
evaluation of the trained model or the Monte Carlo dropout metrics. The
answers are those of the first configured seed; the JSON file also keeps
the values of every other seed with their mean, standard deviation and 95%
t-interval. Every accuracy carries its 95% Wilson interval over the test
samples.
"""

import dataclasses
import logging
import os
import time

import pandas as pd

from dl_exercises import statistics
from dl_exercises.files import atomic_path, read_json, sha256_file, write_json

logger = logging.getLogger(__name__)

DATASET_NAMES = {"mnist": "MNIST", "cifar10": "CIFAR-10", "svhn": "SVHN"}

# Columns of answers.csv, in order; answers.json rows hold the same keys
# plus `values_by_seed`.
CSV_COLUMNS = [
    "question",
    "question_text",
    "exercise",
    "exercise_title",
    "value",
    "rounded",
    "decimals",
    "dataset",
    "data_source",
    "stand_in",
    "seed",
    "validation",
    "caveats",
    "interval_low",
    "interval_high",
    "seeds_n",
    "seeds_mean",
    "seeds_std",
    "seeds_t_low",
    "seeds_t_high",
]


@dataclasses.dataclass(frozen=True)
class Question:
    """One question: where its value is stored and how it is rounded."""

    id: str
    exercise: str
    source: str  # "evaluation" (evaluation.json) or "mc_dropout" (metrics.json)
    key: str
    text: str  # "{passes}" is replaced by the Monte Carlo pass count of the run
    decimals: int = 3

    def text_for(self, run=None):
        """Return the question's text with the pass count that `run` records.

        Args:
            run: the Monte Carlo metrics document that answers the question,
                or None when no run does. Without a run, the text reads
                "the Monte Carlo passes".
        """
        passes = None if run is None else run.get("passes")
        return self.text.format(passes="Monte Carlo" if passes is None else passes)


QUESTIONS = (
    Question("1.1", "ex1", "evaluation", "test_accuracy", "The test accuracy."),
    Question("2.1", "ex2", "evaluation", "test_accuracy", "The test accuracy."),
    Question(
        "3.1",
        "ex3",
        "evaluation",
        "test_accuracy",
        "Test accuracy of the trained network (dropout off).",
    ),
    Question("3.2", "ex3", "mc_dropout", "mc_accuracy", "Monte Carlo Dropout accuracy."),
    Question("4.1", "ex4", "evaluation", "test_accuracy", "The test accuracy."),
    Question("5.1", "ex5", "evaluation", "test_accuracy", "The test accuracy."),
    Question("6.1", "ex6", "evaluation", "test_accuracy", "Plain test accuracy (dropout off)."),
    Question("6.2", "ex6", "mc_dropout", "mc_accuracy", "Monte Carlo Dropout accuracy."),
    Question(
        "6.3",
        "ex6",
        "mc_dropout",
        "mean_predictive_variance",
        "The average epistemic uncertainty: for each test sample and class, the "
        "variance of the softmax probability across the {passes} passes; mean over the "
        "10 classes; mean over the test samples; reported rounded to three decimals.",
    ),
)


def gather_answers(
    evaluation_paths,
    mc_metric_paths,
    subset_manifest_paths,
    feature_manifest_paths,
    exercises,
    seeds,
    datasets,
    weights,
    csv_path,
    json_path,
):
    """Collect the answer of every question and write answers.csv and answers.json.

    Args:
        evaluation_paths: evaluation.json files of every exercise and seed.
        mc_metric_paths: Monte Carlo metrics.json files of every MC exercise and seed.
        subset_manifest_paths: subset `.json` manifests of every exercise.
        feature_manifest_paths: `results/features/{exercise}.json` manifests.
        exercises: the `exercises` block of the configuration.
        seeds: the configured seeds; the first one gives the answers.
        datasets: the `datasets` block of the configuration.
        weights: the `weights` block of the configuration.
        csv_path, json_path: files to write.

    Raises:
        ValueError: a file needed by a configured question is missing among
            the inputs, or two inputs hold the same exercise and seed.
    """
    started = time.perf_counter()
    logger.info(
        "gathering answers from %d evaluations and %d Monte Carlo metrics",
        len(evaluation_paths),
        len(mc_metric_paths),
    )
    runs = {
        "evaluation": index_runs(evaluation_paths),
        "mc_dropout": index_runs(mc_metric_paths),
    }
    subsets = {path: read_json(path) for path in subset_manifest_paths}
    answers, unanswered = answer_questions(runs, subsets, exercises, seeds, weights)

    document = {
        "answers": answers,
        "unanswered": unanswered,
        "seeds": list(seeds),
        "provenance": build_provenance(
            runs, subsets, feature_manifest_paths, exercises, datasets, weights
        ),
    }
    write_answers_csv(answers, csv_path)
    write_json(json_path, document)
    logger.info(
        "wrote %d answers to %s and %s in %.1f s",
        len(answers),
        csv_path,
        json_path,
        time.perf_counter() - started,
    )


def index_runs(paths):
    """Return {(exercise, seed): document} for evaluation or MC metric files."""
    runs = {}
    for path in paths:
        document = read_json(path)
        key = (document["exercise"], int(document["seed"]))
        if key in runs:
            raise ValueError(
                f"{path} is a second file for exercise {key[0]} seed {key[1]}; "
                "pass one file per exercise and seed."
            )
        runs[key] = document
    return runs


def answer_questions(runs, subsets, exercises, seeds, weights):
    """Return the answer rows and the list of questions that have no answer."""
    seed = int(seeds[0])
    answers = []
    unanswered = []
    for question in QUESTIONS:
        reason = unanswerable_reason(question, exercises)
        if reason:
            logger.warning("question %s has no answer: %s", question.id, reason)
            unanswered.append(
                {"question": question.id, "question_text": question.text_for(), "reason": reason}
            )
            continue
        exercise = exercises[question.exercise]
        run = find_run(runs, question.source, question.exercise, seed)
        evaluation = find_run(runs, "evaluation", question.exercise, seed)
        subset = find_subset_manifest(subsets, question.exercise, exercise)
        row = answer_row(question, exercise, run, evaluation, subset["source"], weights, seed)
        row["values_by_seed"] = values_by_seed(runs[question.source], question)
        row["across_seeds"] = statistics.seed_summary(row["values_by_seed"].values())
        answers.append(row)
    return answers, unanswered


def unanswerable_reason(question, exercises):
    """Return why the configuration leaves `question` without answer, or None."""
    if question.exercise not in exercises:
        return f"exercise {question.exercise} is not in the configuration"
    if question.source == "mc_dropout" and not exercises[question.exercise].get("mc_dropout"):
        return f"exercises.{question.exercise}.mc_dropout is null, so no Monte Carlo passes ran"
    return None


def find_run(runs, source, exercise, seed):
    """Return the `source` document ("evaluation" or "mc_dropout") of one run."""
    key = (exercise, seed)
    if key not in runs[source]:
        file_name = "evaluation.json" if source == "evaluation" else "Monte Carlo metrics.json"
        raise ValueError(
            f"no input is the {file_name} of exercise {exercise} seed {seed}; "
            f"the inputs contain {sorted(runs[source])}. Pass every file of the "
            "gather_answers rule."
        )
    return runs[source][key]


def find_subset_manifest(subsets, name, exercise):
    """Return the subset manifest whose dataset and sizes match the exercise."""
    expected = (exercise["dataset"], exercise["n_train"], exercise["n_test"])
    for manifest in subsets.values():
        if (manifest["dataset"], manifest["n_train"], manifest["n_test"]) == expected:
            return manifest
    raise ValueError(
        f"exercise {name} uses {expected[0]} with n_train={expected[1]} and "
        f"n_test={expected[2]}, but no subset manifest among {sorted(subsets)} matches."
    )


def answer_row(question, exercise, run, evaluation, source, weights, seed):
    """Return one answer: value, rounding, data source, protocol and caveats."""
    value = float(run[question.key])
    validation = evaluation.get("validation", exercise["training"]["validation"])
    return {
        "question": question.id,
        "question_text": question.text_for(run),
        "exercise": question.exercise,
        "exercise_title": exercise["title"],
        "value": value,
        "rounded": round(value, question.decimals),
        "decimals": question.decimals,
        "dataset": exercise["dataset"],
        "data_source": data_source_label(source),
        "stand_in": bool(source.get("stand_in", False)),
        "seed": seed,
        "validation": validation,
        "caveats": caveats(exercise, validation, source, weights),
        "interval": answer_interval(question, value, evaluation),
    }


def answer_interval(question, value, evaluation):
    """Return the 95% Wilson interval of an accuracy answer, or None for other answers.

    The interval treats each of the evaluation's `n_test` test samples as one
    Bernoulli trial.
    """
    if not question.key.endswith("accuracy"):
        return None
    low, high = statistics.accuracy_interval(value, int(evaluation["n_test"]))
    return {"method": "Wilson score", "confidence": statistics.CONFIDENCE, "low": low, "high": high}


def values_by_seed(runs, question):
    """Return {seed: value} of the question over every seed of its exercise."""
    return {
        str(seed): float(document[question.key])
        for (name, seed), document in sorted(runs.items())
        if name == question.exercise
    }


def data_source_label(source):
    """Return a one-line description of where a dataset's files came from.

    Args:
        source: the raw dataset manifest copied into the subset manifest,
            with dataset, source, path or urls, stand_in, matches_official.
    """
    name = dataset_name(source["dataset"])
    if source.get("stand_in"):
        return f"{name}, synthetic stand-in: not {name}"
    if source["source"] == "local":
        origin = f"{name}, local copy of {source.get('path')}"
    elif source["source"] == "official":
        origin = f"{name}, official download"
    else:
        origin = f"{name}, {source['source']} download"
    matches = source.get("matches_official")
    if matches is True:
        return f"{origin} (content matches the official files)"
    if matches is False:
        return f"{origin} (not the official files)"
    return f"{origin} (not compared with the official files)"


def dataset_name(dataset):
    """Return the usual spelling of a dataset id (`cifar10` -> `CIFAR-10`)."""
    return DATASET_NAMES.get(dataset, dataset)


def caveats(exercise, validation, source, weights):
    """Return the warnings a reader needs before trusting an answer."""
    notes = []
    if validation == "test_as_validation":
        if exercise["training"].get("early_stopping"):
            notes.append(
                "The test subset was the validation data and chose the model through "
                "early stopping, so this value is optimistic."
            )
        else:
            notes.append(
                "The test subset was monitored as validation data after each epoch; "
                "it chose nothing, since early stopping is off."
            )
    if exercise["model"]["architecture"] == "transfer" and weights.get("mobilenet_v2") == "none":
        notes.append(
            "MobileNetV2 weights are random (weights: none): this accuracy is meaningless"
        )
    name = dataset_name(source["dataset"])
    if source.get("stand_in"):
        notes.append(
            f"The data is a synthetic stand-in, not {name}: this value says nothing about {name}."
        )
    elif source.get("matches_official") is False:
        notes.append(
            f"The {name} files differ from the official ones, so this value may differ too."
        )
    return notes


def build_provenance(runs, subsets, feature_manifest_paths, exercises, datasets, weights):
    """Return, per exercise, its configuration, input manifests and run records."""
    features = {
        os.path.splitext(os.path.basename(path))[0]: path for path in feature_manifest_paths
    }
    provenance = {"datasets": datasets, "weights": weights, "exercises": {}}
    for name, exercise in sorted(exercises.items()):
        subset_path = _subset_path(subsets, name, exercise)
        provenance["exercises"][name] = {
            "title": exercise["title"],
            "configuration": exercise,
            "subset_manifest": _manifest_record(subset_path, subsets[subset_path]),
            "feature_manifest": _feature_record(features.get(name)),
            "runs": _run_records(runs, name),
        }
    return provenance


def _subset_path(subsets, name, exercise):
    manifest = find_subset_manifest(subsets, name, exercise)
    return next(path for path, candidate in subsets.items() if candidate is manifest)


def _manifest_record(path, manifest):
    return {"path": path, "sha256": sha256_file(path), "content": manifest}


def _feature_record(path):
    if path is None:
        return None
    return _manifest_record(path, read_json(path))


def _run_records(runs, name):
    records = {}
    for (exercise, seed), evaluation in sorted(runs["evaluation"].items()):
        if exercise == name:
            records[str(seed)] = {
                "evaluation": evaluation,
                "mc_dropout": runs["mc_dropout"].get((exercise, seed)),
            }
    return records


def write_answers_csv(answers, path):
    """Write the answer rows as CSV, atomically.

    Caveats, each a full sentence, are joined by a space. The interval and
    the across-seed summary become the flat columns interval_* and seeds_*.
    """
    rows = [dict(row, **_interval_columns(row)) for row in answers]
    table = pd.DataFrame(rows, columns=CSV_COLUMNS)
    table["caveats"] = table["caveats"].map(" ".join)
    with atomic_path(path) as temporary:
        table.to_csv(temporary, index=False)


def _interval_columns(row):
    """Return the flat CSV columns of an answer's interval and across-seed summary."""
    interval = row.get("interval") or {}
    seeds = row["across_seeds"]
    t_interval = seeds["t_interval"] or [None, None]
    return {
        "interval_low": interval.get("low"),
        "interval_high": interval.get("high"),
        "seeds_n": seeds["n"],
        "seeds_mean": seeds["mean"],
        "seeds_std": seeds["std"],
        "seeds_t_low": t_interval[0],
        "seeds_t_high": t_interval[1],
    }
