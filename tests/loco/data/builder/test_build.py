from __future__ import annotations

import json

import av
import pytest

from loco.data.builder.build import ANNOTATION_FILE, BUILD_RECORD, annotation_database, build_dataset, plan_example
from loco.data.builder.plan import PlanSpec
from loco.paths import ASSETS_DIR


@pytest.mark.slow
def test_tiny_build_writes_valid_mp4s_resumes_and_redoes_stale_videos(catalogue, tree_footage, unav_annotation_file, tmp_path):
    spec = PlanSpec(width=160, height=120, min_duration=3.0, max_duration=4.0)
    counts = {"train": 1, "test": 1}
    report = build_dataset(tmp_path, counts, 0, unav_annotation_file, backgrounds=[tree_footage], workers=1, spec=spec)
    assert (report.videos, report.rendered) == (2, 2)
    database = json.loads((tmp_path / ANNOTATION_FILE).read_text())["database"]
    assert set(database) == {"train_00000", "test_00000"}
    names = {c["label_id"]: c["name"] for c in json.loads((tmp_path / BUILD_RECORD).read_text())["classes"]}
    for video_id, entry in database.items():
        assert entry["subset"] == video_id.split("_")[0]
        for note in entry["annotations"]:
            assert names[note["label_id"]] == note["label"]
            assert 0 <= note["segment"][0] < note["segment"][1] <= entry["duration"]
        with av.open(str(tmp_path / "videos" / f"{video_id}.mp4")) as container:
            assert {s.type for s in container.streams} == {"video", "audio"}
            assert abs(float(container.duration / av.time_base) - entry["duration"]) < 0.2
            assert next(container.decode(video=0)).width == 160
    again = build_dataset(tmp_path, counts, 0, unav_annotation_file, backgrounds=[tree_footage], workers=1, spec=spec)
    assert (again.rendered, again.skipped) == (0, 2)
    record = json.loads((tmp_path / BUILD_RECORD).read_text())
    record["plans"][0]["noise_db"] -= 1.0  # as if that video had been rendered from another plan
    (tmp_path / BUILD_RECORD).write_text(json.dumps(record))
    third = build_dataset(tmp_path, counts, 0, unav_annotation_file, backgrounds=[tree_footage], workers=1, spec=spec)
    assert (third.rendered, third.skipped) == (1, 1)


def test_shipped_example_ground_truth_matches_its_plan(catalogue, backgrounds):
    plan = plan_example(catalogue, [backgrounds[0].path])
    shipped = json.loads((ASSETS_DIR / "example" / "example_gt.json").read_text())
    assert shipped == annotation_database([plan])
    assert plan.subset == "test" and {e.label for e in plan.events()} >= {"bird chirping", "lions roaring"}
    assert [l.kind for l in plan.layers].count("sound_only") == 1
    assert (ASSETS_DIR / "example" / "example.mp4").stat().st_size <= 2 * 1024 * 1024
