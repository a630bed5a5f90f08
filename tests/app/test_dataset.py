import pytest

from storage import open_store
from tests.app.conftest import app_test, errors_of

pytestmark = pytest.mark.slow


def test_videos_exports_and_snapshot(processed):
    at = app_test().run()
    at.switch_page("pages/dataset.py").run()
    assert not errors_of(at)
    table = at.dataframe[0].value
    assert list(table["events"]) == [processed.num_events] and list(table["review"]) == ["todo"]
    at.radio(key="export_states").set_value("corrected + proposed").run()
    for fmt in ("csv", "unav_json", "webvtt", "eaf", "textgrid", "audacity"):
        at.selectbox(key="export_format").select(fmt).run()
        at.button(key="export_go").click().run()
        assert not errors_of(at), fmt
        filename, data = at.session_state["export_data"]
        assert fmt in filename and data
        if fmt == "webvtt":
            assert data.startswith("WEBVTT")
    at.text_input(key="snapshot_name").input("v1").run()
    at.multiselect(key="snapshot_videos").select(processed.video_id).run()
    at.button(key="snapshot_go").click().run()
    assert any("Snapshot 'v1'" in s.value for s in at.success)
    assert [s.name for s in open_store().list_snapshots()] == ["v1"]
    at.button(key="snapshot_go").click().run()  # snapshots are immutable: the same name again is refused
    assert any("exists" in e.value for e in at.error)


def test_a_malformed_import_changes_nothing(processed):
    at = app_test().run()
    at.switch_page("pages/dataset.py").run()
    at.selectbox(key="import_format").select("unav_json").run()
    at.file_uploader(key="import_file").upload("gt.json", b"{not json", "application/json").run()
    at.button(key="import_go").click().run()
    assert at.error and not at.exception
    assert len(open_store().current_events(processed.video_id)) == processed.num_events
