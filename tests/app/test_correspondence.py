from pathlib import Path

import pytest

from tests.app.conftest import app_test, errors_of

pytestmark = pytest.mark.slow


def test_internals_page_with_pickers(processed):
    at = app_test().run()
    at.switch_page("pages/correspondence.py").run()
    assert not errors_of(at)
    assert any(f"Run {processed.run_id}" in c.value for c in at.caption)
    at.selectbox(key="corr_level").select_index(1).run()
    at.selectbox(key="corr_head").select_index(2).run()
    at.radio(key="corr_direction").set_value("audio").run()
    at.toggle(key="corr_banded").set_value(True).run()
    at.slider(key="corr_time").set_value(2.4).run()
    assert not errors_of(at)
    window = next(c.value for c in at.caption if c.value.startswith("Token"))
    assert "of level 1" in window


def test_internals_page_explains_a_video_without_a_run(data_dir, processed):
    Path(processed.internals_path).unlink()
    at = app_test().run()
    at.switch_page("pages/correspondence.py").run()
    assert not at.exception
    assert any("no model run with internals" in i.value for i in at.info)
