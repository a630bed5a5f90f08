"""Correspondence in Chromium, with real clicks: picking an event by its bar in the lanes marks its span on the heatmap
(its block of S) and on the curves (its steps), and explains it; the attention matrix is drawn once asked for. On a
made-up 40 s run (no model, no media), so the test needs no detection."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from storage import open_store
from tests.browser import ui
from tests.fixtures.long_run import record_fake_run

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BAR_CENTRE = """(el, name) => {
    for (const trace of el.querySelectorAll('.barlayer .trace')) {
        const data = trace.__data__;
        if (data && data[0].trace.name === name) {
            const box = trace.querySelector('.point path').getBoundingClientRect();
            return [box.x + box.width / 2, box.y + box.height / 2, data[0].trace.customdata[0][0]];
        }
    }
    return null;
}"""
MARKS = """el => ({  // while a rerun redraws the chart, it may have no layout yet
    shapes: ((el.layout || {}).shapes || []).filter(s => s.name === 'event block').map(s => [s.x0, s.x1, s.y0, s.y1]),
    steps: (el._fullData || []).filter(t => t.name === 'event steps').map(t => Array.from(t.x)),  // arrays decoded
})"""


# The lanes' class names, left of the plot: the figure's margin is set from their length, not measured by plotly.
LANE_LABELS_LEFT = """el => Math.min(
    ...Array.from(el.querySelectorAll('.ytick text'), label => label.getBoundingClientRect().left))"""
NAME = "forty seconds (fake).mp4"


@pytest.fixture(scope="module")
def short_run(app_server) -> str:
    store = open_store(app_server.database_url)
    try:
        return record_fake_run(store, app_server.data_dir / "runs", 40.0, 8, video_id="fake-forty-seconds", name=NAME)
    finally:
        store.close()


def marks(page: Page) -> dict:
    return ui.chart(page).evaluate(MARKS)


def test_picking_an_event_marks_its_span_on_the_heatmap_and_the_curves(page, app_server, short_run):
    ui.open_page(page, app_server.url, "correspondence", "Correspondence and attention")
    ui.choose(page, "Video", NAME)
    chart = ui.chart(page)
    expect(chart.locator(".barlayer .point").first).to_be_attached()
    assert marks(page) == {"shapes": [], "steps": []}  # nothing picked yet
    assert chart.evaluate(LANE_LABELS_LEFT) >= 0  # no class name cut at the frame's left edge

    chart.scroll_into_view_if_needed()
    x, y, event_id = chart.evaluate(BAR_CENTRE, "prediction")  # in the chart's frame
    frame = page.locator(ui.CHART_FRAME).first.bounding_box()
    page.mouse.click(frame["x"] + x, frame["y"] + y)
    store = open_store(app_server.database_url)
    try:
        event = store.event(int(event_id))
    finally:
        store.close()
    ui.eventually(lambda: marks(page)["shapes"] != [], "the picked event's block is drawn on the heatmap")
    ui.settle(page)
    drawn = marks(page)
    assert drawn["shapes"] == [[pytest.approx(event.start), pytest.approx(event.end)] * 2]
    steps = drawn["steps"][0]
    assert steps and min(steps) >= event.start and max(steps) <= event.end
    expect(page.get_by_role("heading", name="Why this event?")).to_be_visible()
    expect(page.get_by_text("Modality probe: not run yet.")).to_be_visible()
    ui.screenshot(page, "correspondence-picked-event")


def test_the_attention_matrix_is_drawn_when_asked_for(page, app_server, short_run):
    ui.open_page(page, app_server.url, "correspondence", "Correspondence and attention")
    ui.choose(page, "Video", NAME)
    expect(ui.chart(page)).to_be_visible()
    expect(page.locator(ui.CHART_FRAME)).to_have_count(1)  # the matrix is not drawn unseen
    page.get_by_text("Attention matrix of this level, head and direction").click()
    expect(page.locator(ui.CHART_FRAME)).to_have_count(2)
    assert [(t["name"], t["type"]) for t in ui.plotly_traces(page, nth=1)] == [("attention", "heatmap")]
