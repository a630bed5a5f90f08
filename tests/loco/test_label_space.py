"""The label-space file: it covers every class of the taxonomy and the benchmark, says why a stream has no label,
names only labels the heads have; the heads' label lists match the weights; a project's own entries override."""

import json

import pytest

from loco.features.yamnet import metadata
from loco.label_space import (
    HEAD_LABELS_FILE,
    LABEL_SPACE_FILE,
    STREAMS,
    ClassLabels,
    LabelSpaceError,
    head_labels,
    labels_for,
    load_label_space,
    parse_entry,
    read_label_space_file,
    save_project_class,
)
from loco.label_space import taxonomy_names as default_taxonomy
from loco.paths import ASSETS_DIR


def taxonomy_names() -> list[str]:
    data = json.loads((ASSETS_DIR / "taxonomy" / "unav100_classes.json").read_text(encoding="utf-8"))
    return [c["name"] for c in data["classes"]]


def benchmark_names() -> list[str]:
    data = json.loads((ASSETS_DIR / "dataset" / "stamp_classes.json").read_text(encoding="utf-8"))
    return [c["name"] for c in data["classes"]]


def test_every_taxonomy_and_benchmark_class_has_an_entry_and_every_empty_stream_says_why():
    shipped = read_label_space_file(LABEL_SPACE_FILE)
    names = taxonomy_names()
    assert len(names) == 100
    assert set(names) <= set(shipped) and set(benchmark_names()) <= set(shipped)
    for labels in shipped.values():
        assert labels.mapped, labels.name
        for stream in STREAMS:
            assert labels.indices(stream) or len(labels.reason(stream)) > 10, (labels.name, stream)


def test_people_classes_read_the_face_cue_and_speech_is_heard_as_speech():
    shipped = read_label_space_file(LABEL_SPACE_FILE)
    heads = head_labels()
    for name in ("man speaking", "woman speaking", "kid speaking", "people laughing", "baby crying", "singing choir"):
        assert shipped[name].faces and not shipped[name].imagenet, name
    assert heads.audioset[shipped["man speaking"].audioset[0]] == "Speech"
    assert not any(shipped[name].faces for name in ("dog barking", "playing violin", "thunder", "car passing by"))


def test_the_head_label_lists_are_the_heads_outputs_in_order():
    heads = head_labels()
    assert (len(heads.audioset), len(heads.imagenet), len(heads.kinetics)) == (521, 1000, 400)
    assert len(set(heads.audioset)) == 521 and len(set(heads.imagenet)) == 1000 and len(set(heads.kinetics)) == 400
    assert heads.kinetics == tuple(sorted(heads.kinetics))  # I3D's Kinetics-400 classes, sorted by name
    assert (heads.imagenet[0], heads.imagenet[555], heads.imagenet[889]) == ("tench", "fire engine", "violin")
    assert "Male speech, man speaking" not in heads.audioset  # YAMNet dropped it (the file's note)
    about = json.loads(HEAD_LABELS_FILE.read_text(encoding="utf-8"))["licences"]
    assert "CC BY 4.0" in about["audioset"] and "CC BY 4.0" in about["kinetics400"] and "WordNet" in about["imagenet"]


def test_the_audioset_list_is_yamnet_s_own_class_map():
    assert tuple(metadata()["class_names"]) == head_labels().audioset


def test_an_entry_naming_an_unknown_label_or_an_empty_stream_without_reason_is_refused():
    good = {"audioset": ["Speech"], "imagenet": [[650, "microphone"]], "kinetics": ["singing"]}
    assert parse_entry("x", good).imagenet == (650,)
    with pytest.raises(LabelSpaceError, match="not audioset labels"):
        parse_entry("x", {**good, "audioset": ["Male speech, man speaking"]})
    with pytest.raises(LabelSpaceError, match="not imagenet labels"):
        parse_entry("x", {**good, "imagenet": [[650, "violin"]]})
    with pytest.raises(LabelSpaceError, match="no kinetics label, and no 'kinetics_reason'"):
        parse_entry("x", {**good, "kinetics": []})
    assert parse_entry("x", {**good, "kinetics": [], "kinetics_reason": "none fits"}).reason("kinetics") == "none fits"
    with pytest.raises(LabelSpaceError, match="unknown keys"):
        parse_entry("x", {**good, "visual": []})


def test_a_project_class_is_saved_atomically_and_overrides_the_shipped_entry(tmp_path):
    project = tmp_path / "label_space.json"
    heads = head_labels()
    mine = ClassLabels("goat yelling", audioset=(heads.audioset.index("Goat"),), imagenet=(350,),
                       reasons=(("kinetics", "no action fits"),))
    save_project_class(mine, project)
    relabelled = ClassLabels("thunder", audioset=(heads.audioset.index("Thunder"),),
                             reasons=(("imagenet", "none"), ("kinetics", "none")))
    save_project_class(relabelled, project)
    merged = load_label_space(project=project)
    assert merged["goat yelling"] == mine and merged["thunder"] == relabelled
    assert merged["man speaking"] == read_label_space_file(LABEL_SPACE_FILE)["man speaking"]
    assert [p.name for p in tmp_path.iterdir()] == ["label_space.json"]  # no temporary file left
    with pytest.raises(LabelSpaceError):
        save_project_class(ClassLabels("nothing"), project)  # empty streams without reasons
    assert load_label_space(project=project)["goat yelling"] == mine


def test_a_class_the_label_space_lacks_has_no_labels_and_says_so():
    (entry,) = labels_for(["a class nobody mapped"], load_label_space(project=LABEL_SPACE_FILE.parent / "none"))
    assert not entry.mapped and all("no entry" in entry.reason(stream) for stream in STREAMS)


def test_the_default_taxonomy_is_unav100_then_the_project_s_own_classes(tmp_path):
    project = tmp_path / "label_space.json"
    assert default_taxonomy(project) == taxonomy_names()
    heads = head_labels()
    tabla = ClassLabels("tabla lesson", (heads.audioset.index("Tabla"),),
                        reasons=(("imagenet", "no tabla"), ("kinetics", "no tabla")))
    save_project_class(tabla, project)
    save_project_class(ClassLabels("dog barking", (heads.audioset.index("Bark"),),
                                   reasons=(("imagenet", "-"), ("kinetics", "-"))), project)
    assert default_taxonomy(project) == taxonomy_names() + ["tabla lesson"]
    assert tabla.perceived_on("fast") == tabla.perceived_on("i3d") == ("audioset",)
    with pytest.raises(LabelSpaceError, match="profile"):
        tabla.perceived_on("vggish")
