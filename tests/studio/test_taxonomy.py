"""The taxonomy's labels in the app layer: a class added with its labels (validated, written atomically to the
project's label-space file), how a model scores each class, and detection with an open-vocabulary model scoring
the whole taxonomy (a class added since is a new detection, not a cache hit)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from loco.checkpoint import LABEL_SPACE_ONLY, NOT_SCORED, TRAINED, load_checkpoint, save_checkpoint
from loco.config import OpenVocabularyConfig, load_config
from loco.grid import UNAV_GRID
from loco.label_space import head_labels, load_label_space, project_file, read_label_space_file
from loco.model import build_model
from storage import ValidationError
from studio import runs, taxonomy, uploads
from studio.errors import ServiceError


def checkpoint(tmp_path, names: list[str], open_vocabulary: bool):
    config = load_config("compact")
    if open_vocabulary:  # label spaces alone: scores without training
        head = OpenVocabularyConfig(enabled=True, fixed_calibration=True, agnostic_weight_init=0.0, class_terms=False)
        config = replace(config, model=replace(config.model, open_vocabulary=head))
    config = replace(config, model=replace(config.model, num_classes=len(names)))
    return save_checkpoint(tmp_path / f"m{int(open_vocabulary)}.safetensors", build_model(config.model, seed=0), config,
                           names, "fast", UNAV_GRID)


def test_a_class_is_added_with_its_labels_and_bad_labels_are_refused(store):
    heads = head_labels()
    labels = taxonomy.class_labels("tabla lesson", audioset=[heads.audioset.index("Tabla")], faces=True)
    assert labels.reason("imagenet") == taxonomy.NO_LABEL_CHOSEN
    added = taxonomy.add_class(store, labels)
    assert store.class_names()[-1] == "tabla lesson" == added.name
    saved = read_label_space_file(project_file())["tabla lesson"]
    assert saved == labels and load_label_space()["tabla lesson"].faces
    with pytest.raises(ServiceError, match="already exists"):
        taxonomy.add_class(store, labels)
    with pytest.raises(ServiceError, match="imagenet"):
        taxonomy.class_labels("x", imagenet=[1000])
    with pytest.raises(ServiceError, match="twice"):
        taxonomy.class_labels("x", kinetics=[3, 3])
    with pytest.raises(ValidationError, match="control character"):
        taxonomy.add_class(store, taxonomy.class_labels("bad\tname", audioset=[0]))
    assert "bad\tname" not in read_label_space_file(project_file())
    relabelled = taxonomy.class_labels("dog barking", audioset=[heads.audioset.index("Bark")],
                                       imagenet=[heads.imagenet.index("beagle")])
    taxonomy.set_class_labels(store, relabelled)
    assert load_label_space()["dog barking"] == relabelled  # the project's entry over the shipped one
    with pytest.raises(ServiceError, match="no class"):
        taxonomy.set_class_labels(store, taxonomy.class_labels("not a class", audioset=[0]))


def test_the_table_says_how_a_closed_set_and_an_open_vocabulary_model_score_each_class(store, tmp_path):
    closed = load_checkpoint(checkpoint(tmp_path, ["dog barking", "my own class"], False))
    rows = {row.name: row for row in taxonomy.class_rows(store, closed)}
    assert len(rows) == 101 and rows["my own class"].scored == TRAINED  # the model's class the taxonomy lacks
    assert rows["man speaking"].scored == NOT_SCORED and "closed-set" in rows["man speaking"].why
    assert rows["man speaking"].imagenet.startswith("none: ") and rows["man speaking"].faces == "yes"
    summary = taxonomy.ScoringSummary.of(s.how for s in taxonomy.class_scoring(store, closed))
    assert (summary.trained, summary.label_space, summary.not_scored) == (2, 0, 99)
    assert summary.sentence() == ("This model scores 2 of the taxonomy's 101 classes: 2 trained on examples, 0 by "
                                  "label space only; 99 it cannot score.")

    opened = load_checkpoint(checkpoint(tmp_path, ["dog barking"], True))
    scoring = {s.name: s for s in taxonomy.class_scoring(store, opened)}
    assert scoring["man speaking"].how == LABEL_SPACE_ONLY
    assert scoring["rope skipping"].how == NOT_SCORED and "fast profile" in scoring["rope skipping"].why
    scored = taxonomy.scoring_model(store, opened)
    assert scored.class_names[0] == "dog barking" and "man speaking" in scored.class_names
    assert "rope skipping" not in scored.class_names and len(scored.class_names) == 99


@pytest.mark.slow
def test_an_open_vocabulary_model_detects_over_the_taxonomy_and_a_new_class_is_a_new_detection(store, tmp_path):
    path = checkpoint(tmp_path, ["dog barking"], True)
    loaded = load_checkpoint(path)
    video = uploads.example_video()
    run = runs.detect(store, video, path, loaded, original_name="example.mp4")
    labels = {e.label for e in store.current_events(run_id=run.run_id)}
    assert labels - {"dog barking"}, "only the checkpoint's own class was scored"
    key = runs.vocabulary_key(taxonomy.scoring_model(store, loaded))
    assert runs.cached_run(store, video.sha256, path, "fast", 0.0, key) == run
    assert runs.detect(store, video, path, loaded) == run
    heads = head_labels()
    taxonomy.add_class(store, taxonomy.class_labels("tabla lesson", audioset=[heads.audioset.index("Tabla")]))
    assert runs.cached_run(store, video.sha256, path, "fast", 0.0, key) == run
    new_key = runs.vocabulary_key(taxonomy.scoring_model(store, loaded))
    assert new_key != key and runs.cached_run(store, video.sha256, path, "fast", 0.0, new_key) is None
    assert runs.detect(store, video, path, loaded).run_id != run.run_id
