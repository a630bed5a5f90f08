"""Re-training with a class the model does not have, in Chromium against the real server: the Train page says what
the snapshot holds and which class is new, the recipe's fine-tune runs to completion, the before/after table on the
snapshot's validation video comes before activation, and the activated model has the new class after its own."""

from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from loco.checkpoint import load_checkpoint
from loco.features.store import FeatureMeta, write_features
from storage import open_store
from tests.browser import ui

pytestmark = [pytest.mark.browser, pytest.mark.slow]
NEW_CLASS = "tuning fork ringing"  # in no taxonomy the untrained model was built from


@pytest.fixture
def store(app_server):
    """The server's own database, read and written from the test process."""
    opened = open_store(app_server.database_url)
    yield opened
    opened.close()


def test_retrain_on_a_snapshot_with_a_new_class_then_compare_and_activate(page, app_server, store):
    before = load_checkpoint(app_server.data_dir / "models" / "untrained.safetensors")
    assert NEW_CLASS not in before.class_names
    store.add_class(NEW_CLASS)
    # Two 20 s videos with cached fast-profile features (random: the journey is the re-training, not the detection),
    # one to train on and one to validate on, each with an event of the new class and one of a class the model has.
    rng = np.random.default_rng(0)
    for video_id in ("retrain_train", "retrain_validation"):
        store.record_video(video_id, 20.0)
        features = app_server.data_dir / f"{video_id}.npz"
        write_features(features, rng.standard_normal((62, 1280)), rng.standard_normal((62, 1024)),
                       FeatureMeta("fast", before.grid, {}, 20.0, True, ""))
        store.record_feature_set(video_id, "fast", before.grid, str(features))
        store.add_event(video_id, 2.0, 6.0, NEW_CLASS)
        store.add_event(video_id, 10.0, 14.0, before.class_names[0])
    snapshot = store.create_snapshot("new class", ["retrain_train", "retrain_validation"],
                                     splits={"retrain_train": "train", "retrain_validation": "validation"})
    assert snapshot.subsets == {"train": 1, "validation": 1}

    ui.open_page(page, app_server.url, "train", "Train & Evaluate")
    ui.choose(page, "Snapshot", f"#{snapshot.snapshot_id} new class")
    expect(page.get_by_text("New to the model (a fine-tune adds them as classes):")).to_be_visible()
    recipe_line = re.compile(r"^Recipe \(1 training video\(s\)\): .*only the output rows of the classes the snapshot")
    expect(page.get_by_text(recipe_line)).to_be_visible()
    ui.set_epochs(page, 2)
    finished = ui.train_and_wait(page)
    problem = page.get_by_text(re.compile("^Training failed"))
    assert finished.endswith("done, epoch 2 of 2"), problem.all_inner_texts()
    expect(page.get_by_text(f"The new model adds {NEW_CLASS} to its classes.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Before and after, on the snapshot's 1 validation videos: mAP@0\.5"))) \
        .to_be_visible(timeout=ui.TRAIN_TIMEOUT_MS)
    ui.screenshot(page, "8-retrain")
    page.get_by_label("Name of the new model").fill("e2e-new-class")
    page.get_by_label("Name of the new model").press("Enter")
    ui.button(page, "register_go").click()
    expect(page.get_by_text("e2e-new-class is now the active model.")).to_be_visible()

    tuned = load_checkpoint(app_server.data_dir / "models" / "e2e-new-class.safetensors")
    assert tuned.class_names == before.class_names + [NEW_CLASS]  # the old classes kept, in their order
    assert tuned.metadata["added_classes"] == [NEW_CLASS]
