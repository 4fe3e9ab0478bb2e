"""Re-runs you can trust: each config edit re-runs exactly the jobs that depend on it."""

import shutil

import pytest
import yaml

from workflow_helpers import planned_job_set

pytestmark = pytest.mark.workflow

DOWNSTREAM = {"gather_answers", "report", "all"}


def training_chain(exercise, seed="42", mc=False):
    """Return the train, figures and (for MC exercises) MC jobs of one exercise."""
    wildcards = f"exercise={exercise}, seed={seed}"
    jobs = {f"train[{wildcards}]", f"figures[{wildcards}]"}
    if mc:
        jobs |= mc_chain(exercise, seed)
    return jobs


def mc_chain(exercise, seed="42"):
    """Return the MC dropout, uncertainty and MC figure jobs of one exercise."""
    wildcards = f"exercise={exercise}, seed={seed}"
    return {
        f"mc_dropout[{wildcards}]",
        f"uncertainty[{wildcards}]",
        f"mc_figures[{wildcards}]",
    }


ALL_TRAINING = (
    training_chain("ex1")
    | training_chain("ex2")
    | training_chain("ex3", mc=True)
    | training_chain("ex4")
    | training_chain("ex5")
    | training_chain("ex6", mc=True)
)

# Each row: a config edit merged over the tiny config, and the exact jobs it
# must re-run. The README's table of edits states the same rules.
EDIT_TABLE = {
    "mc_passes": (
        {"exercises": {"ex6": {"mc_dropout": {"passes": 5}}}},
        mc_chain("ex6") | DOWNSTREAM,
    ),
    "epochs": (
        {"exercises": {"ex1": {"training": {"epochs": 3}}}},
        training_chain("ex1") | DOWNSTREAM,
    ),
    "optimizer": (
        {"exercises": {"ex6": {"training": {"learning_rate": 0.02}}}},
        training_chain("ex6", mc=True) | DOWNSTREAM,
    ),
    "subset_size": (
        {"exercises": {"ex3": {"n_train": 100}}},
        {"extract_subset[dataset=mnist, n_train=100, n_test=40]"}
        | training_chain("ex3", mc=True)
        | DOWNSTREAM,
    ),
    "image_size": (
        {"exercises": {"ex4": {"model": {"image_size": 48}}}},
        {"extract_features[exercise=ex4]"} | training_chain("ex4") | DOWNSTREAM,
    ),
    "report_title": (
        {"report": {"title": "Another title"}},
        {"report", "all"},
    ),
    "threads": (
        {"threads": 2},
        {"extract_features[exercise=ex4]"} | ALL_TRAINING | DOWNSTREAM,
    ),
    "second_seed": (
        {"seeds": [42, 7]},
        {job.replace("seed=42", "seed=7") for job in ALL_TRAINING} | DOWNSTREAM,
    ),
}


def write_edit(workdir, name, edit):
    path = workdir / f"edit-{name}.yaml"
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(edit, handle)
    return path.name


def test_no_edit_reruns_nothing(completed_run):
    assert planned_job_set(completed_run) == set()


@pytest.mark.parametrize("row", sorted(EDIT_TABLE))
def test_edit_reruns_exact_jobs(completed_run, row):
    edit, expected = EDIT_TABLE[row]
    edit_file = write_edit(completed_run, row, edit)
    planned = planned_job_set(completed_run, configfiles=("tiny.yaml", edit_file))
    assert planned == expected, (
        f"missing: {sorted(expected - planned)}; unexpected: {sorted(planned - expected)}"
    )


def test_source_edit_reruns_dataset_chain(completed_run, tmp_path):
    with open(completed_run / "tiny.yaml", encoding="utf-8") as handle:
        mnist_folder = yaml.safe_load(handle)["datasets"]["mnist"]["path"]
    copy = tmp_path / "mnist-copy"
    shutil.copytree(mnist_folder, copy)
    edit_file = write_edit(
        completed_run, "source", {"datasets": {"mnist": {"source": "local", "path": str(copy)}}}
    )
    expected = (
        {
            "fetch_dataset[dataset=mnist]",
            "extract_subset[dataset=mnist, n_train=120, n_test=40]",
        }
        | training_chain("ex1")
        | training_chain("ex3", mc=True)
        | DOWNSTREAM
    )
    planned = planned_job_set(completed_run, configfiles=("tiny.yaml", edit_file))
    assert planned == expected, (
        f"missing: {sorted(expected - planned)}; unexpected: {sorted(planned - expected)}"
    )
