"""The self-contained HTML report: answers, configuration, figures, uncertainty, provenance.

The report is one HTML file with inline CSS and every figure embedded as a
base64 `data:` URI, so it opens offline and can be mailed or archived alone.
It contains no timestamp, so the same inputs give the same bytes.
"""

import base64
import logging
import os
import time
from pathlib import Path

import jinja2
import yaml

from dl_exercises.answers import data_source_label
from dl_exercises.files import read_json, write_text
from dl_exercises.report_format import flatten, format_value, leaves, metric_text, seed_order
from dl_exercises.report_provenance import (
    provenance_section,
    run_rows,
    source_file_rows,
    subset_rows,
)

logger = logging.getLogger(__name__)

# Captions of the figures the workflow draws, in the order they are shown.
FIGURE_CAPTIONS = {
    "confusion_matrix": "Confusion matrix of the test predictions",
    "loss_curves": "Loss and accuracy per epoch",
    "predictive_variance": "Per-sample predictive variance of the Monte Carlo passes",
    "mutual_information": "Per-sample mutual information (BALD) of the Monte Carlo passes",
    "reliability_diagram": "Reliability diagram of the deterministic and Monte Carlo predictions",
    "highest_mutual_information": "Test images with the highest mutual information",
}

# Rows of the uncertainty table: (label, key in the summary's prediction
# block, decimals). Keys missing from a block show as "n/a".
UNCERTAINTY_ROWS = (
    ("Negative log-likelihood (nats)", "nll", 4),
    ("Brier score (0 to 2)", "brier", 4),
    ("Expected calibration error", "ece", 4),
    ("Predictive entropy (nats)", "predictive_entropy", 4),
    ("Expected entropy (nats)", "expected_entropy", 4),
    ("Mutual information, BALD (nats)", "mutual_information", 4),
    ("Variation ratio", "variation_ratio", 4),
    ("Mean predictive variance", "mean_predictive_variance", 5),
)

# Blocks of an exercise's configuration shown in its section.
CONFIGURATION_BLOCKS = ("model", "training", "mc_dropout")


def render_report(
    answers_path,
    figure_paths,
    template_path,
    title,
    exercises,
    seeds,
    html_path,
    uncertainty_paths=(),
    benchmark_paths=(),
    specification_path=None,
    run_settings=None,
):
    """Render the answers, figures, uncertainty and provenance into one HTML file.

    Args:
        answers_path: answers.json written by `gather_answers`.
        figure_paths: PNG files named results/figures/{exercise}/seed{seed}/{name}.png.
        template_path: the Jinja2 template (autoescaped).
        title: the report title.
        exercises: the `exercises` block of the configuration.
        seeds: the configured seeds; the first one gives the answers.
        html_path: the HTML file to write.
        uncertainty_paths: summary.json files of the uncertainty rule.
        benchmark_paths: Snakemake benchmark TSV files of the jobs.
        specification_path: YAML with the specification's default `seeds`,
            `weights`, `threads` and `exercises`; settings that differ are
            highlighted. None shows no comparison.
        run_settings: dict with the run's `threads`, `weights` and
            `config_sha256`, shown in the provenance section.

    The git commit is read from the current directory when the report is
    rendered (Snakemake runs scripts in its working directory).
    """
    started = time.perf_counter()
    logger.info("rendering %s from %s and %d figures", html_path, answers_path, len(figure_paths))
    answers = read_json(answers_path)
    figures = group_figures(figure_paths)
    unknown = sorted(set(figures) - set(exercises))
    if unknown:
        logger.warning(
            "figures of exercises %s are not in the configuration and are left out", unknown
        )
    summaries = index_summaries(uncertainty_paths)
    specification = load_specification(specification_path)
    run_settings = run_settings or {}

    template = load_template(template_path)
    html = template.render(
        title=title,
        seeds=list(seeds),
        answers=[answer_view(row) for row in answers["answers"]],
        unanswered=answers.get("unanswered", []),
        sections=[
            exercise_section(
                name,
                exercises[name],
                answers,
                figures.get(name, {}),
                seeds,
                summaries.get(name, {}),
                specification.get("exercises", {}).get(name),
            )
            for name in sorted(exercises)
        ],
        provenance=provenance_section(
            answers, seeds, run_settings, specification, specification_path, benchmark_paths
        ),
    )
    write_text(html_path, html)
    logger.info("wrote %s in %.1f s", html_path, time.perf_counter() - started)


def load_template(template_path):
    """Return the Jinja2 template with autoescaping and strict undefined names."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(os.path.dirname(os.path.abspath(template_path))),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template(os.path.basename(template_path))


def group_figures(figure_paths):
    """Return {exercise: {seed: [figure, ...]}} with each PNG as a data URI."""
    figures = {}
    for path in figure_paths:
        path = Path(path)
        exercise, seed_folder, name = path.parent.parent.name, path.parent.name, path.stem
        if not seed_folder.startswith("seed"):
            raise ValueError(
                f"figure {path} is not under a seed folder; expected "
                "results/figures/{exercise}/seed{seed}/{name}.png."
            )
        figure = {"name": name, "caption": FIGURE_CAPTIONS.get(name, name), "src": data_uri(path)}
        by_seed = figures.setdefault(exercise, {})
        by_seed.setdefault(seed_folder.removeprefix("seed"), []).append(figure)

    for by_seed in figures.values():
        for seed_figures in by_seed.values():
            seed_figures.sort(key=figure_sort_key)
    return figures


def figure_sort_key(figure):
    """Return a sort key: known figures in FIGURE_CAPTIONS order, then others by name."""
    known = list(FIGURE_CAPTIONS)
    position = known.index(figure["name"]) if figure["name"] in known else len(known)
    return position, figure["name"]


def data_uri(path):
    """Return the PNG at `path` as a base64 `data:` URI."""
    encoded = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f"data:image/png;base64,{encoded}"


def exercise_section(name, exercise, answers, figures, seeds, summaries=None, default=None):
    """Return what the template shows for one exercise, seeds in configured order."""
    rows = [answer_view(row) for row in answers["answers"] if row["exercise"] == name]
    provenance_record = answers["provenance"]["exercises"].get(name, {})
    subset = provenance_record.get("subset_manifest")
    summaries = summaries or {}
    caveats = []
    for row in rows:
        caveats.extend(note for note in row["caveats"] if note not in caveats)
    return {
        "name": name,
        "title": exercise["title"],
        "answers": rows,
        "stand_in": any(row["stand_in"] for row in rows),
        "configuration": configuration_rows(exercise, default),
        "compared": default is not None,
        "figures": [
            {"seed": seed, "figures": figures[seed]} for seed in seed_order(figures, seeds)
        ],
        "uncertainty": [
            uncertainty_view(seed, summaries[seed]) for seed in seed_order(summaries, seeds)
        ],
        "data_source": data_source_label(subset["content"]["source"]) if subset else "unknown",
        "subset": subset_rows(subset) if subset else [],
        "source_files": source_file_rows(subset) if subset else [],
        "features": (
            flatten(provenance_record["feature_manifest"])
            if provenance_record.get("feature_manifest")
            else []
        ),
        "runs": run_rows(provenance_record.get("runs", {}), seeds),
        "caveats": caveats,
    }


def answer_view(row):
    """Return an answer row with its value, interval and across-seed summary as text."""
    decimals = row["decimals"]
    interval = row.get("interval")
    seeds = row.get("across_seeds")
    view = dict(row)
    view["value_text"] = f"{row['rounded']:.{decimals}f}"
    view["interval_text"] = (
        f"[{interval['low']:.{decimals}f}, {interval['high']:.{decimals}f}]" if interval else ""
    )
    view["seeds_text"] = seed_summary_text(seeds, decimals) if seeds else ""
    return view


def seed_summary_text(summary, decimals):
    """Return "mean 0.912 ± sd 0.010, 95% t-interval [0.88, 0.94] (n=3)" or a one-seed note."""
    if summary["n"] < 2:
        return "one seed: no spread"
    low, high = summary["t_interval"]
    return (
        f"mean {summary['mean']:.{decimals}f}, sd {summary['std']:.{decimals}f}, "
        f"95% t-interval [{low:.{decimals}f}, {high:.{decimals}f}] (n={summary['n']})"
    )


def index_summaries(paths):
    """Return {exercise: {seed: summary}} of the uncertainty summary.json files."""
    summaries = {}
    for path in paths:
        summary = read_json(path)
        summaries.setdefault(summary["exercise"], {})[str(summary["seed"])] = summary
    return summaries


def uncertainty_view(seed, summary):
    """Return the uncertainty table of one seed: deterministic against Monte Carlo."""
    deterministic, mc = summary["deterministic"], summary["mc"]

    def accuracy_text(block):
        low, high = block["accuracy_interval"]
        return f"{block['accuracy']:.4f} [{low:.4f}, {high:.4f}]"

    rows = [("Accuracy [95% Wilson interval]", accuracy_text(deterministic), accuracy_text(mc))]
    for label, key, decimals in UNCERTAINTY_ROWS:
        rows.append(
            (label, metric_text(deterministic.get(key), decimals), metric_text(mc.get(key), decimals))
        )
    test = summary["mcnemar"]
    return {
        "seed": seed,
        "passes": summary["passes"],
        "n_test": summary["n_test"],
        "ece_bins": summary["ece_bins"],
        "rows": rows,
        "mcnemar": (
            f"{test['deterministic_only_correct']} samples correct only without dropout, "
            f"{test['mc_only_correct']} correct only with Monte Carlo dropout; "
            f"exact two-sided p = {test['p_value']:.4g}"
        ),
    }


def load_specification(path):
    """Return the specification defaults YAML as a dict, or {} when `path` is None."""
    if path is None:
        return {}
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def configuration_rows(exercise, default=None):
    """Return rows of the data, model, training and MC blocks, each marked if it differs.

    Args:
        exercise: the exercise block of the run's configuration.
        default: the same exercise's block in the specification defaults,
            or None to compare nothing.

    Returns:
        A list of dicts with `key` (dotted), `value` and `default` as text,
        and `differs` (True where the specification has a value for the key
        and the run's value is another one). A run's leaf under a block that
        is null in the specification, or a null block that the
        specification sets, is compared with that whole block.
    """
    settings = [
        ("dataset", exercise["dataset"]),
        ("n_train", exercise["n_train"]),
        ("n_test", exercise["n_test"]),
    ]
    for block in CONFIGURATION_BLOCKS:
        settings.extend(leaves({block: exercise.get(block)}))

    rows = []
    for key, value in settings:
        found, default_key, default_value = _specification_value(default, key)
        rows.append(
            {
                "key": key,
                "value": format_value(value),
                "default": (
                    ""
                    if not found
                    else format_value(default_value)
                    if default_key == key
                    else f"{default_key}: {format_value(default_value)}"
                ),
                "differs": bool(found and default_value != value),
            }
        )
    return rows


def _specification_value(default, key):
    """Return (found, key found, value) of dotted `key` in the specification block.

    Walks the dotted parts. A null or scalar met before the last part is
    returned with its own key, since the run's value then differs from it.
    """
    if default is None:
        return False, key, None
    node = default
    parts = key.split(".")
    for depth, part in enumerate(parts):
        if not isinstance(node, dict):
            return True, ".".join(parts[:depth]), node
        if part not in node:
            return False, key, None
        node = node[part]
    return True, key, node
