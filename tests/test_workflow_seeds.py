"""Two seeds and Monte Carlo dropout on exercises 4 and 5, with the real snakemake.

To stay short, the run builds only the Monte Carlo outputs of exercise 4's
head for both seeds and of exercise 5 for the first seed; a dry run checks
that the whole graph plans every exercise once per seed.
"""

import json

import numpy as np
import pandas as pd
import pytest

from workflow_helpers import planned_jobs, prepare_tiny_workflow, run_snakemake

pytestmark = pytest.mark.workflow

SEEDS = [42, 7]
MC_CONFIG = {"passes": 3, "batch_size": 256}
MC_FIGURES = (
    "predictive_variance",
    "mutual_information",
    "reliability_diagram",
    "highest_mutual_information",
)
# (exercise, seed) pairs that the run builds.
BUILT = [("ex4", 42), ("ex4", 7), ("ex5", 42)]


def targets():
    paths = []
    for exercise, seed in BUILT:
        paths.append(f"results/uncertainty/{exercise}/seed{seed}/summary.json")
        paths.extend(f"results/figures/{exercise}/seed{seed}/{name}.png" for name in MC_FIGURES)
    return paths


@pytest.fixture(scope="module")
def seeds_run(tmp_path_factory, shared_data, synthetic_svhn):
    """Run the Monte Carlo targets of exercises 4 and 5 with two seeds."""
    overrides = {
        "seeds": SEEDS,
        "exercises": {
            "ex4": {"n_train": 40, "n_test": 20, "mc_dropout": MC_CONFIG},
            "ex5": {"n_train": 40, "n_test": 20, "mc_dropout": MC_CONFIG},
        },
    }
    workdir = prepare_tiny_workflow(
        tmp_path_factory.mktemp("seeds"), shared_data, synthetic_svhn, overrides
    )
    process = run_snakemake(workdir, "--show-failed-logs", *targets())
    assert process.returncode == 0, process.stderr[-6000:]
    return workdir


def load_summary(workdir, exercise, seed):
    path = workdir / "results" / "uncertainty" / exercise / f"seed{seed}" / "summary.json"
    return json.loads(path.read_text(encoding="utf-8"))


def test_whole_graph_plans_every_seed(seeds_run):
    planned = planned_jobs(seeds_run)
    # Exercise 4 seeds 42 and 7 and exercise 5 seed 42 are built already.
    assert planned["train"] == 6 * len(SEEDS) - len(BUILT)
    assert planned["figures"] == 6 * len(SEEDS)
    # Exercises 3 and 6 by default, 4 and 5 through the config: 4 MC exercises.
    assert planned["uncertainty"] == 4 * len(SEEDS) - len(BUILT)
    assert planned["report"] == 1


def test_head_mc_summaries_per_seed(seeds_run):
    summaries = {seed: load_summary(seeds_run, "ex4", seed) for seed in SEEDS}
    for seed, summary in summaries.items():
        assert summary["exercise"] == "ex4"
        assert summary["seed"] == seed
        assert summary["passes"] == MC_CONFIG["passes"]
        assert summary["n_test"] == 20
        low, high = summary["mc"]["accuracy_interval"]
        assert low <= summary["mc"]["accuracy"] <= high
    probabilities = [
        np.load(seeds_run / "results" / "mc_dropout" / "ex4" / f"seed{seed}" / "probabilities.npz")[
            "probabilities"
        ]
        for seed in SEEDS
    ]
    assert probabilities[0].shape == (3, 20, 10)
    assert not np.array_equal(probabilities[0], probabilities[1])


def test_cnn_mc_per_sample_rows(seeds_run):
    table = pd.read_csv(seeds_run / "results" / "uncertainty" / "ex5" / "seed42" / "per_sample.csv")
    assert len(table) == 20
    assert (table["mutual_information"] >= 0).all()
    assert load_summary(seeds_run, "ex5", 42)["mc"]["mutual_information"] > 0


def test_mc_figures_written_per_seed(seeds_run):
    for exercise, seed in BUILT:
        for name in MC_FIGURES:
            path = seeds_run / "results" / "figures" / exercise / f"seed{seed}" / f"{name}.png"
            assert path.read_bytes().startswith(b"\x89PNG"), path
