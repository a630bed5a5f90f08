"""The taxonomy in the app: a class added with labels picked from the heads' lists (and a class's labels changed),
the table of how the active model scores each class, its one-line summary on Detect and its table on Train &
Evaluate, for the closed-set test model and for an open-vocabulary one."""

from dataclasses import replace

import pytest

from loco.checkpoint import save_checkpoint
from loco.config import OpenVocabularyConfig, load_config
from loco.grid import UNAV_GRID
from loco.label_space import head_labels, load_label_space
from loco.model import build_model
from storage import open_store
from studio.models import set_active_model
from tests.app.conftest import app_test, errors_of

pytestmark = pytest.mark.slow


def text_of(at) -> list[str]:
    return [e.value.replace("\\", "") for e in [*at.markdown, *at.caption, *at.success]]


def test_a_class_is_added_with_its_labels_and_the_table_says_how_the_model_scores_it(data_dir):
    heads = head_labels()
    at = app_test().run()
    at.switch_page("pages/taxonomy.py").run()
    assert not errors_of(at)
    rows = at.dataframe[0].value
    assert list(rows["class"]) == open_store().class_names()  # the taxonomy (with the shipped model's classes)
    at.text_input(key="taxonomy_name").input("tabla lesson").run()
    tabla = heads.audioset.index("Tabla")
    at.multiselect(key="taxonomy_audioset").select(tabla).run()
    at.checkbox(key="taxonomy_faces").check().run()
    at.button(key="taxonomy_save").click().run()
    assert not errors_of(at)
    assert any("tabla lesson added" in s for s in text_of(at))
    assert open_store().class_names()[-1] == "tabla lesson"
    assert load_label_space()["tabla lesson"].audioset == (tabla,) and load_label_space()["tabla lesson"].faces
    rows = at.dataframe[0].value.set_index("class")
    # the shipped model is open-vocabulary: a class added with labels is scored by them at once
    assert rows.loc["tabla lesson", "scored"] == "by label space only"
    assert rows.loc["tabla lesson", "why"] == ("its labels in AudioSet, the face cue, on the spans where it detects a "
                                                "trained class")
    assert rows.loc["tabla lesson", "AudioSet (YAMNet)"] == "Tabla"
    total = len(open_store().class_names())
    assert any(s.startswith("This model scores ") and f"of the taxonomy's {total} classes" in s for s in text_of(at))
    at.button(key="taxonomy_save").click().run()  # the same name again
    assert any("already exists" in e for e in errors_of(at))

    at.radio(key="taxonomy_mode").set_value("Change a class's labels").run()
    at.selectbox(key="taxonomy_class").set_value("dog barking").run()
    picked = at.multiselect(key="taxonomy_imagenet_dog barking")
    assert picked.value  # filled with the class's shipped labels
    picked.set_value([heads.imagenet.index("beagle")]).run()
    at.button(key="taxonomy_save").click().run()
    assert not errors_of(at)
    assert load_label_space()["dog barking"].imagenet == (heads.imagenet.index("beagle"),)


def test_detect_and_train_say_which_classes_an_open_vocabulary_model_scores(data_dir):
    config = load_config("compact")
    config = replace(config, model=replace(config.model, num_classes=2,
                                           open_vocabulary=OpenVocabularyConfig(enabled=True)))
    model = build_model(config.model, seed=0)
    model.open_vocabulary.examples[0] = 5.0  # "dog barking" had training examples, "thunder" none
    path = save_checkpoint(data_dir / "models" / "ov.safetensors", model, config, ["dog barking", "thunder"], "fast",
                           UNAV_GRID)
    set_active_model(open_store(), path)
    at = app_test().run()
    assert not errors_of(at)
    total = len(open_store().class_names())  # UnAV-100's classes and the shipped model's
    summary = (f"This model scores {total - 1} of the taxonomy's {total} classes: 1 trained on examples, {total - 2} "
               "by label space only; 1 it cannot score.")  # rope skipping: Kinetics labels only, none on fast
    assert summary in text_of(at), text_of(at)
    at.switch_page("pages/train.py").run()
    assert not errors_of(at)
    rows = at.dataframe[0].value.set_index("class")
    assert list(rows.columns) == ["scored", "why"]
    assert rows.loc["dog barking", "scored"] == "trained on examples"
    assert rows.loc["thunder", "scored"] == "by label space only" and "no training example" in rows.loc["thunder", "why"]
    assert rows.loc["rope skipping", "scored"] == "not scored" and "fast profile" in rows.loc["rope skipping", "why"]
