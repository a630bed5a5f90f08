"""UnAV-format dataset: the three feature layouts, seconds -> steps, crops, padding and masks."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from loco.data.unav import (
    REJECTED_KEY,
    DatasetError,
    UnAVDataset,
    VideoSample,
    collate_videos,
    grown_classes,
    load_video_features,
    random_crop,
    read_annotation_records,
)
from loco.features.store import FeatureFileError, FeatureMeta, write_features
from loco.grid import ONE_PEACE_GRID, UNAV_GRID
from loco.ids import VideoIdError


def _annotations(tmp_path, videos):
    path = tmp_path / "ann.json"
    path.write_text(json.dumps({"database": videos}))
    return path


VIDEOS = {
    "vidA": {"subset": "train", "duration": 20.0, "annotations": [
        {"segment": [0.48, 3.68], "label": "dog", "label_id": 0},
        {"segment": [0.48, 3.6805], "label": "dog", "label_id": 0},  # duplicate within 1e-3 s
        {"segment": [5.0, 9.0], "label": "car", "label_id": 1}]},
    "vidB": {"subset": "test", "duration": 12.0, "annotations": [{"segment": [1.0, 2.0], "label": "car", "label_id": 1}]},
}


def test_official_unav_layout_concatenates_rgb_flow_and_converts_seconds(tmp_path):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "vidA_rgb.npy", rng.standard_normal((60, 1024)).astype(np.float32))
    np.save(tmp_path / "vidA_flow.npy", rng.standard_normal((59, 1024)).astype(np.float32))
    np.save(tmp_path / "vidA_vggish.npy", rng.standard_normal((61, 128)).astype(np.float32))
    data = UnAVDataset(_annotations(tmp_path, VIDEOS), tmp_path, "train", feature_format="unav")
    assert data.class_names == ["dog", "car"] and len(data) == 1
    sample = data[0]
    assert sample.visual.shape == (2048, 59) and sample.audio.shape == (128, 59)
    # 0.48 s is step 0 on the UnAV grid (t = 0.32 g + 0.48), 3.68 s is step 10; the duplicate is gone
    assert np.allclose(sample.segments.numpy(), [[0.0, 10.0], [(5.0 - 0.48) / 0.32, (9.0 - 0.48) / 0.32]], atol=1e-5)
    assert sample.labels.tolist() == [0, 1]


def test_one_peace_layout_and_missing_videos_are_reported(tmp_path):
    np.save(tmp_path / "vidB_one_peace_video_finetune.npy", np.ones((40, 1536), np.float32))
    np.save(tmp_path / "vidB_one_peace_audio.npy", np.ones((40, 1536), np.float32))
    data = UnAVDataset(_annotations(tmp_path, VIDEOS), tmp_path, None, feature_format="one_peace", grid=ONE_PEACE_GRID)
    assert [r.video_id for r in data.records] == ["vidB"] and data.missing_videos == ["vidA"]
    assert data[0].segments.tolist() == [[2.0, 6.0]]  # t = 0.25 g + 0.5
    assert data.feature_dims() == (1536, 1536)


def _write_loco(path, visual, audio):
    write_features(path, visual, audio, FeatureMeta("fast", UNAV_GRID, {}, 20.0, True, ""))


def test_loco_npz_layout_is_read_by_the_feature_store(tmp_path):
    _write_loco(tmp_path / "vidB.npz", np.zeros((30, 8)), np.zeros((28, 4)))
    visual, audio = load_video_features(tmp_path, "vidB", "loco")
    assert visual.shape == (28, 8) and audio.shape == (28, 4) and visual.dtype == np.float32
    np.savez(tmp_path / "vidA.npz", visual=np.zeros((30, 8), np.float16), audio=np.zeros((30, 4), np.float16))
    with pytest.raises(FeatureFileError, match="vidA.npz"):  # no metadata: not a feature file of ours
        load_video_features(tmp_path, "vidA", "loco")


def test_features_given_file_by_file_and_a_parsed_annotation_dict(tmp_path):
    _write_loco(tmp_path / "cache-file.npz", np.ones((60, 8)), np.ones((60, 4)))
    data = UnAVDataset({"database": VIDEOS}, {"vidA": tmp_path / "cache-file.npz"}, None)
    assert [r.video_id for r in data.records] == ["vidA"] and data.missing_videos == ["vidB"]
    assert data[0].visual.shape == (8, 60)
    with pytest.raises(DatasetError, match="'loco' layout"):
        UnAVDataset({"database": VIDEOS}, {"vidA": tmp_path / "cache-file.npz"}, None, feature_format="unav")


def test_bad_inputs_raise_typed_errors(tmp_path):
    with pytest.raises(VideoIdError, match="plain file name"):
        load_video_features(tmp_path, "../etc/passwd", "loco")
    with pytest.raises(DatasetError, match="unknown feature format"):
        load_video_features(tmp_path, "vidA", "mp4")
    with pytest.raises(FileNotFoundError):
        load_video_features(tmp_path, "vidA", "loco")
    np.save(tmp_path / "vidB_one_peace_video_finetune.npy", np.ones(5, np.float32))
    np.save(tmp_path / "vidB_one_peace_audio.npy", np.ones((5, 3), np.float32))
    with pytest.raises(FeatureFileError, match=r"\[T, C\]"):
        load_video_features(tmp_path, "vidB", "one_peace")
    with pytest.raises(DatasetError, match="no 'loco' feature files"):
        UnAVDataset(_annotations(tmp_path, VIDEOS), tmp_path, "train")


def _sample(steps=100, segments=((10.0, 30.0), (50.0, 52.0), (95.0, 120.0))):
    return VideoSample("v", torch.arange(steps, dtype=torch.float32).repeat(3, 1), torch.zeros(2, steps),
                       torch.tensor(segments, dtype=torch.float32), torch.arange(len(segments)), 40.0)


def test_random_crop_keeps_mostly_surviving_events_and_shifts_them():
    rng = np.random.default_rng(3)
    for _ in range(50):
        cropped = random_crop(_sample(), rng, max_seq_len=224)
        length, start = cropped.num_steps, int(cropped.visual[0, 0])
        assert 90 <= length <= 100
        if length == 100:  # the whole video: nothing is cut or shifted
            assert torch.equal(cropped.segments, _sample().segments)
            continue
        assert torch.equal(cropped.visual[0], torch.arange(start, start + length, dtype=torch.float32))
        original = _sample().segments
        for seg, label in zip(cropped.segments.tolist(), cropped.labels.tolist()):
            s, e = original[label].tolist()
            assert seg[0] == pytest.approx(max(s, start) - start) and seg[1] == pytest.approx(min(e, start + length) - start)
            assert (seg[1] - seg[0]) / (e - s) >= 0.5
        kept = set(cropped.labels.tolist())
        assert 0 in kept  # [10, 30] always survives a crop of >= 90 steps
    assert random_crop(_sample(steps=300), rng, max_seq_len=224).num_steps == 224


def test_training_crops_are_deterministic_per_seed_epoch_and_index(tmp_path):
    rng = np.random.default_rng(0)
    _write_loco(tmp_path / "vidA.npz", rng.standard_normal((60, 8)), np.zeros((60, 4)))
    ann = _annotations(tmp_path, VIDEOS)
    first = UnAVDataset(ann, tmp_path, "train", training=True, seed=5)
    second = UnAVDataset(ann, tmp_path, "train", training=True, seed=5)
    assert torch.equal(first[0].visual, second[0].visual)
    lengths = set()
    for epoch in range(8):
        first.set_epoch(epoch)
        lengths.add(first[0].num_steps)
    assert len(lengths) > 1 and max(lengths) <= 60 and min(lengths) >= 54
    assert UnAVDataset(ann, tmp_path, "train")[0].num_steps == 60  # no crop at evaluation


def test_collate_pads_to_multiple_and_masks():
    batch = collate_videos([_sample(steps=37), _sample(steps=20)], pad_multiple=32)
    assert batch.visual.shape == (2, 3, 64) and batch.audio.shape == (2, 2, 64)
    assert batch.mask.sum(1).tolist() == [37, 20] and not batch.mask[1, 20:].any()
    assert batch.visual[1, :, 20:].abs().sum() == 0 and batch.num_steps == [37, 20]
    assert len(batch.segments) == 2 and batch.to("cpu").mask.dtype == torch.bool


# A snapshot export: label ids are a storage taxonomy's (sparse, not starting at 0), in no particular order.
SPARSE = {
    "vidA": {"subset": "train", "duration": 20.0, "annotations": [
        {"segment": [1.0, 3.0], "label": "big cat roaring", "label_id": 100},
        {"segment": [5.0, 9.0], "label": "dog barking", "label_id": 7}]},
    "vidB": {"subset": "validation", "duration": 12.0, "annotations": [
        {"segment": [1.0, 2.0], "label": "church bell ringing", "label_id": 3}]},
}


def test_from_scratch_classes_are_the_labels_present_ordered_by_id_and_reindexed(tmp_path):
    records, names, _ = read_annotation_records(_annotations(tmp_path, SPARSE), "train")
    assert names == ["church bell ringing", "dog barking", "big cat roaring"]  # all subsets, by label_id
    assert records[0].labels.tolist() == [2, 1]
    validation, same_names, _ = read_annotation_records(_annotations(tmp_path, SPARSE), "validation")
    assert same_names == names and validation[0].labels.tolist() == [0]
    dense, dense_names, _ = read_annotation_records(_annotations(tmp_path, VIDEOS), None)
    assert dense_names == ["dog", "car"]  # ids 0..K-1 already: unchanged
    assert [r.labels.tolist() for r in dense] == [[0, 1], [1]]


def test_known_classes_are_matched_by_name_whatever_the_ids(tmp_path):
    model_classes = ["dog barking", "rain", "big cat roaring", "church bell ringing"]
    records, names, _ = read_annotation_records(_annotations(tmp_path, SPARSE), None, model_classes)
    assert names == model_classes
    assert [r.labels.tolist() for r in records] == [[2, 0], [3]]
    _write_loco(tmp_path / "vidA.npz", np.zeros((60, 8)), np.zeros((60, 4)))
    data = UnAVDataset(_annotations(tmp_path, SPARSE), tmp_path, "train", known_classes=model_classes)
    assert data.num_classes == 4 and data[0].labels.tolist() == [2, 0]


def test_classes_the_model_does_not_know_are_one_clear_error(tmp_path):
    with pytest.raises(DatasetError, match="does not know: big cat roaring, church bell ringing$"):
        read_annotation_records(_annotations(tmp_path, SPARSE), "train", ["dog barking", "rain"])


def test_a_fine_tunes_classes_are_the_models_then_the_labels_it_lacks_by_id():
    assert grown_classes(["dog barking", "rain"], {"database": SPARSE}) == [
        "dog barking", "rain", "church bell ringing", "big cat roaring"]
    assert grown_classes(["big cat roaring", "church bell ringing", "dog barking"], {"database": SPARSE}) == [
        "big cat roaring", "church bell ringing", "dog barking"]


def test_rejected_proposals_beside_the_database_are_read_by_class_name_and_cropped(tmp_path):
    rejected = {"vidA": [{"segment": [2.0, 4.0], "label": "dog barking", "label_id": 7, "score": 0.8},
                         {"segment": [6.0, 8.0], "label": "unknown to all", "label_id": 55}]}
    annotations = {"database": SPARSE, REJECTED_KEY: rejected}
    records, names, _ = read_annotation_records(annotations, "train")
    assert records[0].rejected.tolist() == [[2.0, 4.0]] and records[0].rejected_labels.tolist() == [1]
    _write_loco(tmp_path / "vidA.npz", np.zeros((60, 8)), np.zeros((60, 4)))
    sample = UnAVDataset(annotations, tmp_path, "train")[0]
    assert sample.rejected.tolist() == [list(UNAV_GRID.seconds_to_step(np.array([2.0, 4.0])))]
    assert UnAVDataset({"database": SPARSE}, tmp_path, "train")[0].rejected.shape == (0, 2)  # none: an empty list

    video = _sample(steps=100)
    video.rejected, video.rejected_labels = torch.tensor([[5.0, 15.0], [80.0, 99.0]]), torch.tensor([2, 0])
    rng = np.random.default_rng(1)
    for _ in range(20):
        cropped = random_crop(video, rng, max_seq_len=224)
        start, end = int(cropped.visual[0, 0]), int(cropped.visual[0, 0]) + cropped.num_steps
        spans = zip(video.rejected.tolist(), video.rejected_labels.tolist())
        expected = [([max(s, start) - start, min(e, end) - start], k) for (s, e), k in spans if min(e, end) > max(s, start)]
        assert [(r, k) for r, k in zip(cropped.rejected.tolist(), cropped.rejected_labels.tolist())] == expected
    batch = collate_videos([video, _sample(steps=20)])
    assert [len(r) for r in batch.rejected] == [2, 0] and batch.to("cpu").rejected_labels[0].tolist() == [2, 0]
