"""``python -m loco eval``: results files and checkpoints against UnAV-format annotations."""

from __future__ import annotations

import json

import pytest

from loco.cli import main
from loco.data.synthetic import write_synthetic_dataset
from tests.loco.commands.checkpoints import untrained_checkpoint
from tests.loco.test_train import TINY_SPEC


def test_help(capsys):
    with pytest.raises(SystemExit):
        main(["eval", "--help"])
    text = capsys.readouterr().out
    for option in ("--annotations", "--split", "--predictions", "--checkpoint", "--features", "--save-predictions", "--json",
                   "--class-agnostic"):
        assert option in text


def test_ground_truth_as_results_scores_100_and_errors_are_clear(tmp_path, capsys, unav_annotation_file):
    database = json.loads(unav_annotation_file.read_text())["database"]
    results = {vid: [{"segment": a["segment"], "label": a["label"], "score": 1.0} for a in v["annotations"]]
               for vid, v in database.items() if v["subset"] == "validation"}
    predictions = tmp_path / "results.json"
    predictions.write_text(json.dumps({"results": results}))
    assert main(["eval", "--annotations", str(unav_annotation_file), "--predictions", str(predictions),
                 "--split", "validation", "--json", str(tmp_path / "report.json")]) == 0
    assert "mAP@0.5 100.00" in capsys.readouterr().out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["summary"]["avg"] == 1.0 and len(report["per_class"]) == 100
    predictions.write_text('{"results": {"x": [{"segment": [0, 1], "label": "no such class", "score": 1}]}}')
    assert main(["eval", "--annotations", str(unav_annotation_file), "--predictions", str(predictions)]) == 2
    assert "unknown label" in capsys.readouterr().err


def test_class_agnostic_scores_right_spans_under_wrong_names(tmp_path, unav_annotation_file):
    database = json.loads(unav_annotation_file.read_text())["database"]
    labels = sorted({a["label"] for v in database.values() for a in v["annotations"]})
    wrong = {label: labels[(i + 1) % len(labels)] for i, label in enumerate(labels)}
    results = {vid: [{"segment": a["segment"], "label": wrong[a["label"]], "score": 1.0} for a in v["annotations"]]
               for vid, v in database.items() if v["subset"] == "validation"}
    predictions = tmp_path / "results.json"
    predictions.write_text(json.dumps({"results": results}))
    common = ["eval", "--annotations", str(unav_annotation_file), "--predictions", str(predictions),
              "--split", "validation"]
    assert main([*common, "--json", str(tmp_path / "named.json")]) == 0
    assert main([*common, "--class-agnostic", "--json", str(tmp_path / "agnostic.json")]) == 0
    named, agnostic = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("named", "agnostic"))
    assert named["summary"]["mAP@0.5"] < 0.01  # a neighbouring event of the wrong name is a rare accidental hit
    # every span is found; only events sharing one span under two names count once (the second is missed)
    assert agnostic["summary"]["mAP@0.5"] > 0.95
    assert [row["label"] for row in agnostic["per_class"]] == ["any audio-visual event"]


@pytest.mark.slow
def test_checkpoint_on_features_then_saved_results_give_the_same_numbers(tmp_path, capsys):
    annotations, features = write_synthetic_dataset(tmp_path / "data", {"test": 6}, TINY_SPEC)
    checkpoint = untrained_checkpoint(tmp_path / "m.safetensors")
    saved = tmp_path / "results.json"
    assert main(["eval", "--annotations", str(annotations), "--checkpoint", str(checkpoint), "--features",
                 str(features), "--save-predictions", str(saved), "--json", str(tmp_path / "a.json")]) == 0
    assert main(["eval", "--annotations", str(annotations), "--predictions", str(saved),
                 "--json", str(tmp_path / "b.json")]) == 0
    first, second = (json.loads((tmp_path / n).read_text()) for n in ("a.json", "b.json"))
    assert first["summary"] == second["summary"] and 0.0 <= first["summary"]["avg"] < 1.0
    assert main(["eval", "--annotations", str(annotations), "--checkpoint", str(checkpoint)]) == 2
    assert "--features" in capsys.readouterr().err


@pytest.mark.slow
def test_checkpoint_classes_are_matched_to_the_files_ids_by_name(tmp_path, capsys):
    from tests.loco.commands.test_train import renumber_labels

    annotations, features = write_synthetic_dataset(tmp_path / "data", {"test": 6}, TINY_SPEC)
    renumbered = tmp_path / "renumbered_annotations.json"
    renumbered.write_text(annotations.read_text())
    renumber_labels(renumbered, 100)
    checkpoint = untrained_checkpoint(tmp_path / "m.safetensors", ["class_2", "class_0", "class_3", "class_1", "other"])
    reports = {}
    for name, file in (("dense", annotations), ("renumbered", renumbered)):
        saved = tmp_path / f"{name}.results.json"
        assert main(["eval", "--annotations", str(file), "--checkpoint", str(checkpoint), "--features",
                     str(features), "--save-predictions", str(saved), "--json", str(tmp_path / f"{name}.json")]) == 0
        names_by_id = {a["label_id"]: a["label"] for v in json.loads(file.read_text())["database"].values()
                       for a in v["annotations"]} | {-1: "other"}  # the model's class the file lacks
        results = [e for events in json.loads(saved.read_text())["results"].values() for e in events]
        assert results and all(names_by_id[e["label_id"]] == e["label"] for e in results)
        reports[name] = json.loads((tmp_path / f"{name}.json").read_text())
    assert reports["dense"]["summary"] == reports["renumbered"]["summary"]
    without_ids = {n: sorted((c["label"], c["AP_avg"], c["num_predictions"]) for c in r["per_class"])
                   for n, r in reports.items()}
    assert without_ids["dense"] == without_ids["renumbered"]


@pytest.mark.slow
def test_detections_of_classes_the_file_does_not_have_count_only_class_agnostically(tmp_path):
    annotations, features = write_synthetic_dataset(tmp_path / "data", {"test": 6}, TINY_SPEC)
    checkpoint = untrained_checkpoint(tmp_path / "m.safetensors", ["class_2", "class_0", "class_3", "class_1", "other"])
    common = ["eval", "--annotations", str(annotations)]
    saved, reports = {}, {}
    for name, flags in (("named", []), ("agnostic", ["--class-agnostic"])):
        assert main([*common, "--checkpoint", str(checkpoint), "--features", str(features), *flags,
                     "--save-predictions", str(tmp_path / f"{name}.results.json"),
                     "--json", str(tmp_path / f"{name}.json")]) == 0
        saved[name] = json.loads((tmp_path / f"{name}.results.json").read_text())["results"]
        reports[name] = json.loads((tmp_path / f"{name}.json").read_text())
    assert saved["named"] == saved["agnostic"]  # one rule, whichever way the run is scored
    results = [e for events in saved["named"].values() for e in events]
    others = [e for e in results if e["label"] == "other"]
    assert others and {e["label_id"] for e in others} == {-1}  # an id no class of the file has
    assert sum(row["num_predictions"] for row in reports["named"]["per_class"]) == len(results) - len(others)
    assert reports["agnostic"]["per_class"][0]["num_predictions"] > 0
    # the saved results are the whole run: scored again they give the checkpoint's numbers, both ways
    for name, flags in (("named", []), ("agnostic", ["--class-agnostic"])):
        assert main([*common, "--predictions", str(tmp_path / f"{name}.results.json"), *flags,
                     "--json", str(tmp_path / "again.json")]) == 0
        assert json.loads((tmp_path / "again.json").read_text())["summary"] == reports[name]["summary"]
