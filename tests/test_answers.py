"""Tests of the answer table: first seed, rounding, labels, caveats, CSV and JSON."""

import json

import pandas as pd
import pytest

from dl_exercises.answers import QUESTIONS, data_source_label, gather_answers
from dl_exercises.files import sha256_file
from synthetic_results import FIRST_SEED_VALUES, SOURCES, write_inputs

RANDOM_WEIGHTS = "MobileNetV2 weights are random (weights: none): this accuracy is meaningless"


def gather(tmp_path, **changes):
    inputs = write_inputs(tmp_path, **changes)
    gather_answers(**inputs)
    with open(inputs["json_path"], encoding="utf-8") as handle:
        document = json.load(handle)
    return inputs, document, {row["question"]: row for row in document["answers"]}


def test_answers_cover_nine_questions(tmp_path):
    _, document, _ = gather(tmp_path)
    ids = [row["question"] for row in document["answers"]]
    assert ids == ["1.1", "2.1", "3.1", "3.2", "4.1", "5.1", "6.1", "6.2", "6.3"]
    assert document["unanswered"] == []
    assert document["seeds"] == [42, 7]


def test_answers_read_question_keys(tmp_path):
    _, _, rows = gather(tmp_path)
    for question in QUESTIONS:
        expected = FIRST_SEED_VALUES[(question.exercise, question.key)]
        assert rows[question.id]["value"] == pytest.approx(expected)
        assert rows[question.id]["exercise"] == question.exercise


def test_answers_use_first_seed(tmp_path):
    _, _, rows = gather(tmp_path)
    assert rows["1.1"]["seed"] == 42
    assert rows["1.1"]["value"] == 0.91549
    assert rows["1.1"]["values_by_seed"] == {"42": 0.91549, "7": pytest.approx(0.96549)}


def test_answers_round_to_three_decimals(tmp_path):
    _, _, rows = gather(tmp_path)
    assert rows["1.1"]["rounded"] == 0.915
    assert rows["3.2"]["rounded"] == 0.893
    assert rows["5.1"]["rounded"] == 0.812
    assert rows["6.3"]["rounded"] == 0.012
    assert {row["decimals"] for row in rows.values()} == {3}


def test_answers_label_stand_in(tmp_path):
    _, _, rows = gather(tmp_path)
    for question in ("5.1", "6.1", "6.2", "6.3"):
        assert rows[question]["stand_in"] is True
        assert rows[question]["data_source"] == "SVHN, synthetic stand-in: not SVHN"
        assert any("synthetic stand-in, not SVHN" in note for note in rows[question]["caveats"])
    assert rows["1.1"]["stand_in"] is False
    assert (
        rows["1.1"]["data_source"]
        == "MNIST, local copy of /data/mnist (content matches the official files)"
    )
    assert (
        rows["2.1"]["data_source"]
        == "CIFAR-10, official download (content matches the official files)"
    )


def test_answers_caveat_random_weights(tmp_path):
    _, _, rows = gather(tmp_path, weights="none")
    assert rows["4.1"]["caveats"] == [RANDOM_WEIGHTS]
    assert all(RANDOM_WEIGHTS not in row["caveats"] for key, row in rows.items() if key != "4.1")


def test_answers_imagenet_weights_no_caveat(tmp_path):
    _, _, rows = gather(tmp_path, weights="imagenet")
    assert rows["4.1"]["caveats"] == []


def test_answers_caveat_validation_protocol(tmp_path):
    _, _, rows = gather(tmp_path)
    assert rows["5.1"]["validation"] == "test_as_validation"
    assert "chose the model through early stopping" in rows["5.1"]["caveats"][0]
    assert rows["6.1"]["validation"] == "test_as_validation"
    assert "monitored as validation data" in rows["6.1"]["caveats"][0]
    assert rows["1.1"]["validation"] == "tail_split"
    assert rows["1.1"]["caveats"] == []


def test_csv_matches_json(tmp_path):
    inputs, document, _ = gather(tmp_path)
    table = pd.read_csv(inputs["csv_path"], keep_default_na=False, dtype={"question": str})
    assert len(table) == len(document["answers"])
    for (_, csv_row), row in zip(table.iterrows(), document["answers"]):
        assert csv_row["question"] == row["question"]
        assert csv_row["question_text"] == row["question_text"]
        assert csv_row["exercise"] == row["exercise"]
        assert csv_row["value"] == row["value"]
        assert csv_row["rounded"] == row["rounded"]
        assert csv_row["data_source"] == row["data_source"]
        assert csv_row["stand_in"] == row["stand_in"]
        assert csv_row["seed"] == row["seed"]
        assert csv_row["caveats"] == " ".join(row["caveats"])


def test_provenance_records_manifests(tmp_path):
    inputs, document, _ = gather(tmp_path)
    exercises = document["provenance"]["exercises"]
    subset = exercises["ex1"]["subset_manifest"]
    assert subset["path"].endswith("data/subsets/mnist/train1000_test200.json")
    assert subset["sha256"] == sha256_file(subset["path"])
    assert exercises["ex4"]["feature_manifest"]["content"]["weights"] == "none"
    assert exercises["ex1"]["feature_manifest"] is None
    assert sorted(exercises["ex6"]["runs"]) == ["42", "7"]
    assert exercises["ex6"]["runs"]["42"]["mc_dropout"]["passes"] == 20
    assert exercises["ex1"]["runs"]["42"]["mc_dropout"] is None
    assert exercises["ex1"]["runs"]["42"]["evaluation"]["device"] == "CPU"


def test_missing_evaluation_raises(tmp_path):
    inputs = write_inputs(tmp_path)
    inputs["evaluation_paths"] = [
        path for path in inputs["evaluation_paths"] if "ex2/seed42" not in path
    ]
    with pytest.raises(ValueError, match="exercise ex2 seed 42"):
        gather_answers(**inputs)


def test_duplicate_run_raises(tmp_path):
    inputs = write_inputs(tmp_path)
    inputs["evaluation_paths"].append(inputs["evaluation_paths"][0])
    with pytest.raises(ValueError, match="second file for exercise ex1 seed 7"):
        gather_answers(**inputs)


def test_mc_dropout_off_leaves_question_unanswered(tmp_path):
    exercises = write_inputs(tmp_path / "defaults")["exercises"]
    exercises["ex3"]["mc_dropout"] = None
    _, document, rows = gather(tmp_path / "run", exercises=exercises)
    assert "3.2" not in rows
    assert document["unanswered"][0]["question"] == "3.2"
    assert "exercises.ex3.mc_dropout is null" in document["unanswered"][0]["reason"]


def test_question_text_names_pass_count(tmp_path):
    exercises = write_inputs(tmp_path / "defaults")["exercises"]
    exercises["ex6"]["mc_dropout"]["passes"] = 7
    _, _, rows = gather(tmp_path / "run", exercises=exercises)
    assert "across the 7 passes;" in rows["6.3"]["question_text"]
    assert "{passes}" not in rows["6.3"]["question_text"]


def test_unanswered_text_names_no_count(tmp_path):
    exercises = write_inputs(tmp_path / "defaults")["exercises"]
    exercises["ex6"]["mc_dropout"] = None
    _, document, _ = gather(tmp_path / "run", exercises=exercises)
    texts = {row["question"]: row["question_text"] for row in document["unanswered"]}
    assert "across the Monte Carlo passes;" in texts["6.3"]


def test_data_source_label_not_official():
    source = dict(SOURCES["mnist"], matches_official=False)
    assert data_source_label(source) == "MNIST, local copy of /data/mnist (not the official files)"
