"""Tests of the HTML report: answers, intervals, configuration, uncertainty, provenance."""

import base64
import json
import re
from pathlib import Path

import pytest
import yaml

from dl_exercises.answers import gather_answers
from dl_exercises.report import configuration_rows, group_figures, render_report
from synthetic_results import (
    REPOSITORY,
    write_benchmarks,
    write_inputs,
    write_uncertainty_summaries,
)

TEMPLATE = REPOSITORY / "report" / "report.html.j2"
SPECIFICATION = REPOSITORY / "report" / "specification_defaults.yaml"
CONFIG_SHA256 = "0123456789abcdef" * 4
MC_NAMES = [
    "confusion_matrix",
    "loss_curves",
    "predictive_variance",
    "mutual_information",
    "reliability_diagram",
    "highest_mutual_information",
]
FIGURE_NAMES = {
    "ex1": ["confusion_matrix", "loss_curves"],
    "ex2": ["confusion_matrix", "loss_curves"],
    "ex3": MC_NAMES,
    "ex4": ["confusion_matrix", "loss_curves"],
    "ex5": ["confusion_matrix", "loss_curves"],
    "ex6": MC_NAMES,
}


def write_figures(root, seeds):
    """Write distinct placeholder PNG bytes at every figure path.

    The report embeds the bytes without decoding them, so real images are not needed.
    """
    paths = []
    for exercise, names in FIGURE_NAMES.items():
        for seed in seeds:
            for name in names:
                path = (
                    Path(root) / "results" / "figures" / exercise / f"seed{seed}" / f"{name}.png"
                )
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(b"\x89PNG\r\n\x1a\n" + f"{exercise}/{seed}/{name}".encode())
                paths.append(str(path))
    return paths


def render(
    tmp_path,
    title="Deep-learning exercises",
    weights="none",
    html_name="report.html",
    exercises=None,
):
    inputs = write_inputs(tmp_path, weights=weights, exercises=exercises)
    gather_answers(**inputs)
    figures = write_figures(tmp_path, inputs["seeds"])
    html_path = tmp_path / "results" / html_name
    render_report(
        inputs["json_path"],
        figures,
        TEMPLATE,
        title,
        inputs["exercises"],
        inputs["seeds"],
        html_path,
        uncertainty_paths=write_uncertainty_summaries(tmp_path, inputs["exercises"], inputs["seeds"]),
        benchmark_paths=write_benchmarks(tmp_path),
        specification_path=SPECIFICATION,
        run_settings={
            "threads": 2,
            "weights": {"mobilenet_v2": weights},
            "config_sha256": CONFIG_SHA256,
        },
    )
    with open(inputs["json_path"], encoding="utf-8") as handle:
        answers = json.load(handle)["answers"]
    return html_path.read_text(encoding="utf-8"), answers, figures


def exercise_html(html, name):
    start = html.index(f'<section class="exercise" id="{name}">')
    return html[start : html.index("</section>", start)]


def summary_row(html, question):
    match = re.search(rf'<tr id="question-{re.escape(question)}">(.*?)</tr>', html, re.DOTALL)
    assert match, f"no summary row for question {question}"
    return match.group(1)


@pytest.fixture
def report(tmp_path):
    return render(tmp_path)


def test_report_shows_every_answer(report):
    html, answers, _ = report
    assert len(answers) == 9
    for row in answers:
        cells = summary_row(html, row["question"])
        assert f"{row['rounded']:.3f}" in cells
        assert row["question_text"] in cells
        assert row["exercise_title"] in cells


def test_report_rounded_values(report):
    html, _, _ = report
    assert "0.915" in summary_row(html, "1.1")
    assert "0.012" in summary_row(html, "6.3")


def test_report_labels_stand_in(report):
    html, _, _ = report
    for question in ("5.1", "6.1", "6.2", "6.3"):
        assert "STAND-IN" in summary_row(html, question)
        assert "SVHN, synthetic stand-in: not SVHN" in summary_row(html, question)
    for question in ("1.1", "2.1", "3.1", "3.2", "4.1"):
        assert "STAND-IN" not in summary_row(html, question)


def test_report_shows_caveats(report):
    html, _, _ = report
    assert (
        "MobileNetV2 weights are random (weights: none): this accuracy is meaningless"
        in summary_row(html, "4.1")
    )
    assert "early stopping" in summary_row(html, "5.1")


def test_report_embeds_every_figure(report):
    html, _, figures = report
    assert len(figures) == 2 * (4 * 2 + 2 * 6)
    for path in figures:
        encoded = base64.b64encode(Path(path).read_bytes()).decode("ascii")
        assert f'src="data:image/png;base64,{encoded}"' in html


def test_report_has_no_external_links(report):
    html, _, _ = report
    # The CIFAR-10 source lists its https URL as provenance text, never as a link.
    assert "https://www.cs.toronto.edu" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert "<link" not in html
    assert "<script" not in html


def test_report_shows_configuration_and_provenance(report):
    html, _, _ = report
    section = html[html.index('<section class="exercise" id="ex6">') :]
    assert "training.optimizer" in section
    assert "sgd" in section
    assert "mc_dropout.passes" in section
    assert "versions.tensorflow" in section
    assert "2.21.0" in section
    assert "e" * 64 in section


def test_report_escapes_title(tmp_path):
    html, _, _ = render(tmp_path, title='<script>alert("x")</script> & more')
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more" in html
    assert "<script" not in html


def test_report_identical_on_rerender(tmp_path):
    first, _, _ = render(tmp_path, html_name="first.html")
    second, _, _ = render(tmp_path, html_name="second.html")
    assert first == second


def test_group_figures_rejects_path_without_seed(tmp_path):
    path = tmp_path / "ex1" / "confusion_matrix.png"
    path.parent.mkdir()
    path.write_bytes(b"\x89PNG")
    with pytest.raises(ValueError, match="not under a seed folder"):
        group_figures([path])


def test_report_lists_first_seed_first(report):
    html, _, _ = report
    section = html[html.index('<section class="exercise" id="ex1">') :]
    assert section.index("ex1, seed 42") < section.index("ex1, seed 7")
    assert section.index("evaluation, seed 42") < section.index("evaluation, seed 7")


def test_report_shows_intervals_and_seed_spread(report):
    html, answers, _ = report
    rows = {row["question"]: row for row in answers}
    cells = summary_row(html, "1.1")
    interval = rows["1.1"]["interval"]
    assert f"[{interval['low']:.3f}, {interval['high']:.3f}]" in cells
    spread = rows["1.1"]["across_seeds"]
    assert spread["n"] == 2
    low, high = spread["t_interval"]
    assert f"95% t-interval [{low:.3f}, {high:.3f}] (n=2)" in cells
    assert f"mean {spread['mean']:.3f}" in cells
    # Question 6.3 is a variance, not a proportion: it has no Wilson interval.
    assert rows["6.3"]["interval"] is None
    assert "n/a" in summary_row(html, "6.3")


def test_report_highlights_changed_configuration(tmp_path):
    exercises = yaml.safe_load(SPECIFICATION.read_text())["exercises"]
    exercises["ex6"]["training"]["epochs"] = 3
    html, _, _ = render(tmp_path, exercises=exercises)
    section = exercise_html(html, "ex6")
    assert re.search(
        r'<tr class="differs"><th scope="row">training.epochs</th><td>3</td><td>15</td></tr>',
        section,
    )
    assert section.count('class="differs"') == 1
    assert 'class="differs"' not in exercise_html(html, "ex5")


def test_report_default_configuration_not_highlighted(report):
    html, _, _ = report
    for name in FIGURE_NAMES:
        assert 'class="differs"' not in exercise_html(html, name)


def test_configuration_rows_compare_null_blocks():
    exercises = yaml.safe_load(SPECIFICATION.read_text())["exercises"]
    exercise = dict(exercises["ex4"], mc_dropout={"passes": 4, "batch_size": 8})
    rows = {row["key"]: row for row in configuration_rows(exercise, exercises["ex4"])}
    assert rows["mc_dropout.passes"]["differs"] is True
    assert rows["mc_dropout.passes"]["default"] == "mc_dropout: null"
    assert rows["training.epochs"]["differs"] is False
    without = dict(exercises["ex6"], mc_dropout=None)
    rows = {row["key"]: row for row in configuration_rows(without, exercises["ex6"])}
    assert rows["mc_dropout"]["differs"] is True
    assert rows["mc_dropout"]["default"] == '{"passes": 20, "batch_size": 1024}'


def test_report_shows_uncertainty_tables(report):
    html, _, _ = report
    section = exercise_html(html, "ex6")
    for seed in ("42", "7"):
        assert f"Seed {seed}: 4 passes over 30 test samples" in section
    for label in (
        "Accuracy [95% Wilson interval]",
        "Negative log-likelihood (nats)",
        "Brier score (0 to 2)",
        "Expected calibration error",
        "Mutual information, BALD (nats)",
        "Variation ratio",
        "Mean predictive variance",
    ):
        assert label in section
    assert "McNemar&#39;s exact test" in section or "McNemar's exact test" in section
    assert "exact two-sided p = " in section
    assert "Uncertainty: deterministic" not in exercise_html(html, "ex1")


def test_report_provenance_section(report):
    html, _, _ = report
    section = html[html.index('<section id="provenance">') :]
    assert CONFIG_SHA256 in section
    assert "git commit" in section
    assert "threads used by the training jobs" in section
    assert "2.21.0" in section
    assert "snakemake" in section
    # Three benchmark files: seconds to one decimal, "-" entries as n/a.
    assert "<td>train</td><td>ex1/seed42</td><td class=\"number\">12.3</td>" in section
    assert "<td>gather_answers</td><td></td><td class=\"number\">1.2</td>" in section
    assert "<td>fetch_dataset</td><td>mnist</td><td class=\"number\">0.5</td><td class=\"number\">n/a</td>" in section
    assert "c" * 64 in section
    # The run's weights (none) differ from the specification (imagenet).
    assert re.search(r'<tr class="differs"><th scope="row">weights</th>', section)


def test_specification_defaults_match_config():
    with open(REPOSITORY / "config.yaml", encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    specification = yaml.safe_load(SPECIFICATION.read_text())
    for key in ("seeds", "weights", "threads", "exercises"):
        assert specification[key] == config[key], (
            f"{key} differs between config.yaml and {SPECIFICATION.name}; "
            "the report compares runs with the latter, so update both together"
        )
