"""Tests of the HTML report: answers, embedded figures, labels, escaping."""

import base64
import json
import re
from pathlib import Path

import pytest

from dl_exercises.answers import gather_answers
from dl_exercises.report import group_figures, render_report
from synthetic_results import REPOSITORY, write_inputs

TEMPLATE = REPOSITORY / "report" / "report.html.j2"
FIGURE_NAMES = {
    "ex1": ["confusion_matrix", "loss_curves"],
    "ex2": ["confusion_matrix", "loss_curves"],
    "ex3": ["confusion_matrix", "loss_curves", "predictive_variance"],
    "ex4": ["confusion_matrix", "loss_curves"],
    "ex5": ["confusion_matrix", "loss_curves"],
    "ex6": ["confusion_matrix", "loss_curves", "predictive_variance"],
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


def render(tmp_path, title="Deep-learning exercises", weights="none", html_name="report.html"):
    inputs = write_inputs(tmp_path, weights=weights)
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
    )
    with open(inputs["json_path"], encoding="utf-8") as handle:
        answers = json.load(handle)["answers"]
    return html_path.read_text(encoding="utf-8"), answers, figures


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
    assert len(figures) == 28
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
