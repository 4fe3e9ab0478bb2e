"""The self-contained HTML report: answers, configuration, figures, provenance.

The report is one HTML file with inline CSS and every figure embedded as a
base64 `data:` URI, so it opens offline and can be mailed or archived alone.
It contains no timestamp, so the same inputs give the same bytes.
"""

import base64
import json
import logging
import os
import time
from pathlib import Path

import jinja2

from dl_exercises.answers import data_source_label
from dl_exercises.files import read_json, write_text

logger = logging.getLogger(__name__)

# Captions of the figures the workflow draws, in the order they are shown.
FIGURE_CAPTIONS = {
    "confusion_matrix": "Confusion matrix of the test predictions",
    "loss_curves": "Loss and accuracy per epoch",
    "predictive_variance": "Per-sample predictive variance of the Monte Carlo passes",
}

# Blocks of an exercise's configuration shown in its section.
CONFIGURATION_BLOCKS = ("model", "training", "mc_dropout")


def render_report(answers_path, figure_paths, template_path, title, exercises, seeds, html_path):
    """Render the answers, figures and provenance into one HTML file.

    Args:
        answers_path: answers.json written by `gather_answers`.
        figure_paths: PNG files named results/figures/{exercise}/seed{seed}/{name}.png.
        template_path: the Jinja2 template (autoescaped).
        title: the report title.
        exercises: the `exercises` block of the configuration.
        seeds: the configured seeds; the first one gives the answers.
        html_path: the HTML file to write.
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

    template = load_template(template_path)
    html = template.render(
        title=title,
        seeds=list(seeds),
        answers=answers["answers"],
        unanswered=answers.get("unanswered", []),
        sections=[
            exercise_section(name, exercises[name], answers, figures.get(name, {}), seeds)
            for name in sorted(exercises)
        ],
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


def exercise_section(name, exercise, answers, figures, seeds):
    """Return what the template shows for one exercise, seeds in configured order."""
    rows = [row for row in answers["answers"] if row["exercise"] == name]
    provenance = answers["provenance"]["exercises"].get(name, {})
    subset = provenance.get("subset_manifest")
    caveats = []
    for row in rows:
        caveats.extend(note for note in row["caveats"] if note not in caveats)
    return {
        "name": name,
        "title": exercise["title"],
        "answers": rows,
        "stand_in": any(row["stand_in"] for row in rows),
        "configuration": configuration_rows(exercise),
        "figures": [
            {"seed": seed, "figures": figures[seed]} for seed in seed_order(figures, seeds)
        ],
        "data_source": data_source_label(subset["content"]["source"]) if subset else "unknown",
        "subset": subset_rows(subset) if subset else [],
        "source_files": source_file_rows(subset) if subset else [],
        "features": (
            flatten(provenance["feature_manifest"]) if provenance.get("feature_manifest") else []
        ),
        "runs": run_rows(provenance.get("runs", {}), seeds),
        "caveats": caveats,
    }


def configuration_rows(exercise):
    """Return (key, value) rows of the data, model, training and MC blocks."""
    rows = [
        ("dataset", exercise["dataset"]),
        ("n_train", format_value(exercise["n_train"])),
        ("n_test", format_value(exercise["n_test"])),
    ]
    for block in CONFIGURATION_BLOCKS:
        rows.extend(flatten({block: exercise.get(block)}))
    return rows


def subset_rows(subset):
    """Return (key, value) rows identifying the subset cache and its arrays."""
    content = subset["content"]
    rows = [
        ("manifest", subset["path"]),
        ("manifest sha256", subset["sha256"]),
        ("order", content.get("order", "")),
    ]
    for name, array in sorted(content.get("arrays", {}).items()):
        shape = "x".join(str(size) for size in array["shape"])
        rows.append((f"{name} ({array['dtype']}, {shape}) sha256", array["sha256"]))
    return rows


def source_file_rows(subset):
    """Return (key, value) rows of the raw dataset files and their checksums."""
    source = subset["content"]["source"]
    rows = [("source", source.get("source", ""))]
    if source.get("path"):
        rows.append(("path", source["path"]))
    for url in source.get("urls") or []:
        rows.append(("url", url))
    if source.get("official_check"):
        rows.append(("official check", source["official_check"]))
    for name, record in sorted((source.get("files") or {}).items()):
        rows.append((f"{name} sha256 ({record.get('bytes')} bytes)", record.get("sha256", "")))
    return rows


def run_rows(runs, seeds):
    """Return, per seed, (key, value) rows of the evaluation and MC metrics."""
    return [
        {
            "seed": seed,
            "evaluation": flatten(runs[seed]["evaluation"]),
            "mc_dropout": (
                flatten(runs[seed]["mc_dropout"]) if runs[seed].get("mc_dropout") else []
            ),
        }
        for seed in seed_order(runs, seeds)
    ]


def seed_order(by_seed, seeds):
    """Return the seed keys (strings) of `by_seed`: configured seeds first, in order."""
    configured = [str(seed) for seed in seeds if str(seed) in by_seed]
    return configured + sorted(set(by_seed) - set(configured), key=int)


def flatten(value, prefix=""):
    """Return (dotted key, text) rows of a nested mapping, leaves formatted as YAML-like text."""
    if isinstance(value, dict) and value:
        rows = []
        for key, item in value.items():
            rows.extend(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return rows
    return [(prefix, format_value(value))]


def format_value(value):
    """Return a leaf value as text: strings as they are, the rest as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value)
