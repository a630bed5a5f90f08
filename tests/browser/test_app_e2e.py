"""The whole journey in Chromium against the real server: the example uploaded and detected, its timeline, the
model's internals, an edit that survives a reload (checked in the page and in the database), undo, a UnAV JSON
export, a snapshot, and a short fine-tune to completion. Each page visited leaves a screenshot in test-artifacts."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from loco.checkpoint import load_checkpoint
from storage import TRAINING_STATES, open_store
from studio.models import model_version
from studio.runs import timeline_events
from studio.uploads import EXAMPLE_GROUND_TRUTH
from tests.browser import ui
from tests.browser.editor import TimelineEditor
from tests.browser.server import running_app
from tests.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]
NEW_LABEL = "dog barking"


def ground_truth() -> list[tuple[str, float, float]]:
    database = json.loads(EXAMPLE_GROUND_TRUTH.read_text(encoding="utf-8"))["database"]
    return sorted((a["label"], *a["segment"]) for entry in database.values() for a in entry["annotations"])


def rounded(rows) -> list[tuple[str, float, float]]:
    return sorted((label, round(start, 6), round(end, 6)) for label, start, end in rows)


@pytest.fixture
def store(app_server):
    """The server's own database, read and written from the test process."""
    opened = open_store(app_server.database_url)
    yield opened
    opened.close()


def test_journey_detect_inspect_edit_undo_export_snapshot(page, app_server, detected_example, store):
    video_id = detected_example.video_id
    events = store.current_events(video_id)
    assert sorted((e.label, e.start, e.end) for e in events if e.origin == "import") == ground_truth()
    assert sum(e.origin == "model" for e in events) == detected_example.num_predictions

    # Timeline: the ground-truth layer holds exactly the example's events; every prediction bar is a stored one.
    ui.open_on_video(page, app_server.url, "timeline", "Timeline")
    editor = TimelineEditor(page)
    bars = editor.bars()
    assert sorted(bars["ground truth"]) == sorted(e.event_id for e in events if e.origin == "import")
    stored_predictions = {e.event_id: e for e in events if e.origin == "model"}
    shown = bars.get("prediction", [])
    assert all(i in stored_predictions and stored_predictions[i].score >= 0.1 for i in shown)
    expect(page.get_by_text(f"{len(ground_truth()) + len(shown)} of {len(events)} events shown")).to_be_visible()
    expect(editor.frame.locator("video")).to_have_count(1)
    expect(editor.frame.locator("video track")).to_have_count(1)  # the events as a WebVTT subtitle track
    ui.screenshot(page, "2-timeline")

    # Correspondence: the LCC heatmap is drawn, with the CDP windows of the chosen level and head.
    ui.navigate(page, "Correspondence", "Correspondence and attention")
    traces = ui.plotly_traces(page)
    assert ("S", "heatmap") in [(t["name"], t["type"]) for t in traces]
    assert "CDP window L0 h0" in [t["name"] for t in traces]
    titles = set(ui.plotly_titles(page))
    assert {"LCC correspondence S (visual ↓, audio →)", "CDP windows, level 0, head 0"} <= titles
    expect(ui.chart(page).locator(".heatmaplayer image").first).to_be_attached()
    expect(page.get_by_text(re.compile(r"^Token 0 of level 0: window [\d.]+ s to the left"))).to_be_visible()
    ui.screenshot(page, "3-correspondence")

    # Correct: move the end one frame later, relabel; both persist across a reload, in the page and the database.
    target = min((e for e in events if e.origin == "import"), key=lambda e: e.start)
    end = round(target.end + 1 / 25, 2)  # the example is 25 fps; one frame
    ui.navigate(page, "Correct", "Correct")
    ui.pick_event(page, target)
    ui.button(page, "nudge_end_right").click()
    expect(page.get_by_text(f"event {target.event_id}: {target.label} {target.start:.2f}–{end:.2f} s (edited)")
           ).to_be_visible()
    ui.settle(page)
    ui.choose(page, "Class", NEW_LABEL)  # the first "Class" box is the selected event's (the second adds events)
    ui.button(page, "relabel").click()
    expect(page.get_by_text(f"event {target.event_id}: {NEW_LABEL} {target.start:.2f}–{end:.2f} s (edited)")
           ).to_be_visible()
    ui.settle(page)
    ui.screenshot(page, "4-correct")

    page.reload()
    expect(page.get_by_role("heading", name="Correct", exact=True)).to_be_visible(timeout=ui.PAGE_TIMEOUT_MS)
    ui.settle(page)
    edited = store.event(target.event_id)
    ui.pick_event(page, edited)
    expect(ui.combobox(page, "Selected event")).to_have_value(
        f"#{target.event_id} {NEW_LABEL} · {target.start:.2f}–{end:.2f} s · edited")
    assert (edited.label, edited.start, edited.state) == (NEW_LABEL, target.start, "edited")
    assert edited.end == pytest.approx(end, abs=1e-6)
    history = store.history(target.event_id)
    assert [r.author for r in history[-2:]] == ["e2e", "e2e"] and len(history) == target.rev_no + 2

    # Undo reverts the relabel only; the moved edge stays.
    ui.button(page, "undo").click()
    reverted = f"event {target.event_id}: {target.label} {target.start:.2f}–{end:.2f} s"
    expect(page.get_by_text(reverted)).to_be_visible()
    ui.settle(page)
    undone = store.event(target.event_id)
    assert undone.label == target.label and undone.end == pytest.approx(end, abs=1e-6)
    assert undone.rev_no == edited.rev_no + 1  # undo is a new revision: nothing is erased

    ui.choose(page, "Review status of this video", "done")
    ui.eventually(lambda: next(v.review_status for v in store.list_videos() if v.video_id == video_id) == "done",
                  "the review status is saved")

    # Export UnAV JSON (corrected events): exactly what the database holds, the edited edge included.
    ui.navigate(page, "Dataset & Export", "Dataset & Export")
    ui.choose(page, "Format", "CSV (seconds)")
    expect(ui.button(page, "export_download")).to_have_text(re.compile(r"Download annotations\.csv$"))
    ui.choose(page, "Format", "UnAV-100 JSON")  # one click downloads the format chosen now
    download_button = ui.button(page, "export_download")
    expect(download_button).to_have_text(re.compile(r"Download annotations\.json$"))
    with page.expect_download() as download:
        download_button.click()
    exported = json.loads(download.value.path().read_text(encoding="utf-8"))["database"]
    # every video of the store (other browser tests of the session may have added some), the example among them
    assert set(exported) == {v.video_id for v in store.list_videos()} and video_id in exported
    assert exported[video_id]["duration"] == pytest.approx(24.0)
    current = [e for e in store.current_events(video_id) if e.state in TRAINING_STATES]
    rows = rounded((a["label"], *a["segment"]) for a in exported[video_id]["annotations"])
    assert rows == rounded((e.label, e.start, e.end) for e in current)
    assert (target.label, target.start, end) in rows and len(rows) == len(ground_truth())

    # A snapshot of the reviewed video (the "done" video is pre-selected).
    page.get_by_label("Snapshot name").fill("journey")
    page.get_by_label("Snapshot name").press("Enter")
    ui.settle(page)
    ui.button(page, "snapshot_go").click()
    expect(page.get_by_text(f"Snapshot 'journey': 1 videos (1 train), {len(rows)} events (immutable).")
           ).to_be_visible()
    ui.settle(page)
    snapshot = next(s for s in store.list_snapshots() if s.name == "journey")
    assert (snapshot.n_videos, snapshot.n_events, snapshot.created_by) == (1, len(rows), "e2e")
    assert store.snapshot_annotations(snapshot.snapshot_id)["database"][video_id]["annotations"] == \
        exported[video_id]["annotations"]
    ui.screenshot(page, "6-dataset")

    ui.navigate(page, "Review queue & probes", "Review queue & modality probes")
    ui.screenshot(page, "5-review")


@pytest.mark.skipif(not (ROOT / "loco" / "commands" / "train.py").is_file(),
                    reason="the `python -m loco train` command has not landed yet")
def test_fine_tune_the_active_model_on_a_snapshot_then_register_it(page, app_server, detected_example, store):
    snapshot = store.create_snapshot("fine-tune", [detected_example.video_id])
    start = load_checkpoint(store.active_model().checkpoint_path)  # the model the page fine-tunes, whichever it is
    ui.open_page(page, app_server.url, "train", "Train & Evaluate")
    ui.choose(page, "Snapshot", f"#{snapshot.snapshot_id} fine-tune")
    page.get_by_text("active model (fine-tune)").click()
    ui.settle(page)
    ui.set_epochs(page, 1)
    finished = ui.train_and_wait(page)
    problem = page.get_by_text(re.compile("^Training failed"))
    assert finished.endswith("done, epoch 1 of 1"), problem.all_inner_texts()
    page.get_by_label("Name of the new model").fill("e2e-finetuned")
    page.get_by_label("Name of the new model").press("Enter")
    ui.button(page, "register_go").click()
    expect(page.get_by_text("e2e-finetuned is now the active model.")).to_be_visible()
    ui.screenshot(page, "7-train")

    kept = app_server.data_dir / "models" / "e2e-finetuned.safetensors"
    # The new model stays the active one on the next page (the sidebar's picker follows it).
    ui.navigate(page, "Detect", "Detect events")
    expect(ui.combobox(page, "Active model")).to_have_value("e2e-finetuned")
    expect(ui.combobox(page, "Model")).to_have_value("e2e-finetuned")
    store = open_store(f"sqlite:///{app_server.data_dir / 'loco.sqlite'}")
    assert store.active_model().version == model_version(kept)
    store.close()

    loaded = load_checkpoint(kept)
    assert loaded.metadata.get("epoch") == 0
    # A fine-tuned model keeps the names of the classes it detects (not only those present in the snapshot).
    assert loaded.class_names == start.class_names



def test_pages_opened_at_their_address_show_proposals_at_the_default_threshold_and_top_k(page, app_server,
                                                                                         detected_example, store):
    """A new session straight at a page's address, before any slider was touched. The defaults used to be set in
    Session State by app.py, which a first session after a server start did not run (the next test): the widgets'
    own minimum (0 and top-1) won, and the Correspondence page drew all 100 predictions. The widgets now carry the
    defaults themselves, and pages without them read the same ones."""
    events = store.current_events(detected_example.video_id)
    lanes = [e for e in timeline_events(events) if e.score is None or e.score >= 0.1]
    listed = {f"{e.label} · {e.start:.2f}–{e.end:.2f} s · {e.layer}" for e in lanes}
    ui.open_page(page, app_server.url, "correspondence", "Correspondence and attention")
    box = ui.combobox(page, "Event", 0)
    box.click()
    expect(page.get_by_role("option").first).to_be_visible()
    assert set(page.get_by_role("option").all_inner_texts()) - {"none"} <= listed
    page.keyboard.press("Escape")
    ui.open_page(page, app_server.url, "timeline", "Timeline")
    expect(page.get_by_text(f"{len(lanes)} of {len(events)} events shown · threshold 0.10 · top-100 "
                            "predictions")).to_be_visible()


def test_the_first_session_of_a_server_opened_at_a_page_gets_the_app_around_it(new_page, tmp_path):
    """Streamlit runs an entry point with a pages/ folder beside it in its older folder mode until some session runs
    st.navigation: a first session at a page's address used to get that page alone (the folder's file names as the
    sidebar, no active model, no session defaults)."""
    data = tmp_path / "data"
    data.mkdir()
    with running_app(data, tmp_path / "server.log") as url:
        page = new_page()
        ui.open_page(page, url, "timeline", "Timeline")
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_role("link", name="Review queue & probes")).to_be_visible()
        expect(sidebar.get_by_text("Active model")).to_be_visible()
        expect(sidebar.get_by_role("link", name="app", exact=True)).to_have_count(0)
