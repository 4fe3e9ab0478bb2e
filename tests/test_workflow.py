"""The real snakemake command line on a tiny configuration, end to end."""

import json
import re
import zipfile

import pytest

from workflow_helpers import planned_jobs, run_snakemake

pytestmark = pytest.mark.workflow

QUESTIONS = ["1.1", "2.1", "3.1", "3.2", "4.1", "5.1", "6.1", "6.2", "6.3"]

# `completed_run` (tests/conftest.py) runs the whole tiny workflow once per
# session; these tests read its outputs.


def load_answers(workdir):
    with open(workdir / "results" / "answers.json", encoding="utf-8") as handle:
        return json.load(handle)["answers"]


def test_run_answers_every_question(completed_run):
    answers = load_answers(completed_run)
    assert [answer["question"] for answer in answers] == QUESTIONS
    for answer in answers:
        assert 0.0 <= answer["value"] <= 1.0, answer
        assert answer["seed"] == 42


def test_run_labels_svhn_answers_stand_in(completed_run):
    answers = {answer["question"]: answer for answer in load_answers(completed_run)}
    for question in ("5.1", "6.1", "6.2", "6.3"):
        assert answers[question]["stand_in"] is True
    for question in ("1.1", "2.1", "3.1", "3.2", "4.1"):
        assert answers[question]["stand_in"] is False


def test_run_report_shows_every_answer(completed_run):
    html = (completed_run / "results" / "report.html").read_text(encoding="utf-8")
    answers = load_answers(completed_run)
    for answer in answers:
        assert answer["question"] in html
        assert f"{answer['rounded']:.3f}" in html
    assert "STAND-IN" in html
    assert "meaningless" in html
    assert "data:image/png;base64," in html


def test_run_writes_csv_beside_json(completed_run):
    csv_text = (completed_run / "results" / "answers.csv").read_text(encoding="utf-8")
    header = csv_text.splitlines()[0]
    for column in ("question", "question_text", "exercise", "value", "rounded", "data_source", "seed"):
        assert column in header
    assert len(csv_text.strip().splitlines()) == 1 + len(QUESTIONS)


def test_second_run_has_nothing_to_do(completed_run):
    assert planned_jobs(completed_run) == {}


def test_deleted_report_reruns_only_report(completed_run):
    (completed_run / "results" / "report.html").unlink()
    assert planned_jobs(completed_run) == {"all": 1, "report": 1}
    process = run_snakemake(completed_run)
    assert process.returncode == 0, process.stderr[-4000:]
    assert planned_jobs(completed_run) == {}


def test_run_report_shows_uncertainty_and_provenance(completed_run):
    html = (completed_run / "results" / "report.html").read_text(encoding="utf-8")
    for exercise in ("ex3", "ex6"):
        summary = completed_run / "results" / "uncertainty" / exercise / "seed42" / "summary.json"
        assert json.loads(summary.read_text(encoding="utf-8"))["passes"] == 4
    assert "McNemar" in html
    assert "Mutual information, BALD (nats)" in html
    # The copied workflow is not a git checkout.
    assert '<th scope="row">git commit</th><td>unknown</td>' in html
    assert "<td>train</td><td>ex1/seed42</td>" in html
    # The tiny config changes epochs from the specification's default.
    assert '<tr class="differs"><th scope="row">training.epochs</th><td>2</td>' in html


def test_snakemake_report_zip(completed_run):
    process = run_snakemake(completed_run, "--report", "report.zip")
    assert process.returncode == 0, process.stderr[-4000:]
    with zipfile.ZipFile(completed_run / "report.zip") as archive:
        names = archive.namelist()
    for figure in ("confusion_matrix.png", "loss_curves.png", "reliability_diagram.png"):
        assert any(name.endswith(figure) for name in names), figure


def test_stand_in_figures_say_so_in_title(completed_run):
    for exercise in ("ex5", "ex6"):
        log = (completed_run / f"logs/figures/{exercise}/seed42.log").read_text(encoding="utf-8")
        assert "[STAND-IN data, not svhn]" in log
    log = (completed_run / "logs/figures/ex1/seed42.log").read_text(encoding="utf-8")
    assert "STAND-IN" not in log


TENSORFLOW_RULES = {"extract_features", "train", "mc_dropout"}


def max_concurrent_tensorflow_jobs(snakemake_log):
    """Return the largest number of TensorFlow jobs that ran at once in a Snakemake log."""
    running = set()
    maximum = 0
    rule = None
    for line in snakemake_log.splitlines():
        line = line.strip()
        started = re.match(r"^(?:local)?rule (\w+):$", line)
        if started:
            rule = started.group(1)
            continue
        job = re.match(r"^jobid: (\d+)$", line)
        if job and rule in TENSORFLOW_RULES:
            running.add(job.group(1))
            maximum = max(maximum, len(running))
        finished = re.match(r"^Finished jobid: (\d+)", line)
        if finished:
            running.discard(finished.group(1))
    return maximum


def test_two_tensorflow_jobs_run_concurrently(completed_run):
    # profiles/default allows gpu=2; the byte-identity test in
    # test_recovery.py compares two such runs.
    logs = sorted((completed_run / ".snakemake" / "log").glob("*.snakemake.log"))
    first_run = logs[0].read_text(encoding="utf-8")
    assert "Finished jobid" in first_run
    assert max_concurrent_tensorflow_jobs(first_run) == 2


def test_concurrency_count_serial_and_parallel():
    def block(rule, job):
        return f"[Fri Dec  4 22:29:08 2026]\nlocalrule {rule}:\n    jobid: {job}\n"

    def finished(job):
        return f"[Fri Dec  4 22:29:26 2026]\nFinished jobid: {job} (Rule: x)\n"

    serial = block("train", 1) + finished(1) + block("mc_dropout", 2) + finished(2)
    parallel = block("train", 1) + block("figures", 3) + block("train", 2) + finished(1)
    assert max_concurrent_tensorflow_jobs(serial) == 1
    assert max_concurrent_tensorflow_jobs(parallel) == 2
