"""The documentation's screenshots of the shipped example, detected by the shipped model, in headless Chromium: those
of ``docs/internals.md`` (the Correspondence page, with numbered marks that the page's text explains) and those of
``docs/editor.md`` and the README (the timeline editor on the Timeline and the Correct page).

    python -m tests.browser.screenshots [--out docs/images] [--only internals|editor]   (from the repository root)

A throwaway data folder gets the converted encoder weights and the example detected through the app layer (as the
Detect page does); the real app then serves it. On the Correspondence page Chromium picks the first "dog barking"
prediction (where the ground truth has no event), runs the modality probe and takes the page whole (figure, caption,
"Why this event?"). On the Timeline page it takes the controls and the read-only editor; on the Correct page it clicks
the bar of the best proposal (selected, the playhead and the video at its start) and takes the editor. Each PNG is
reduced to a 256-colour palette to stay under 300 KB.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from playwright.sync_api import Page, expect, sync_playwright

from loco.checkpoint import load_checkpoint
from storage import open_store
from studio import runs, uploads
from studio.models import DEFAULT_MODEL
from tests.browser import ui
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.editor import TimelineEditor
from tests.browser.server import running_app
from tests.conftest import ROOT

PICKED = "dog barking"  # its first prediction lies where the ground truth has no event
MAX_BYTES = 300_000
VIEWPORT_HEIGHT = 3400  # the whole page without scrolling, so element boxes are picture pixels
MARK = "#d62728"
# The figure's panels in drawing order, by their y axis (numbered 1.. in docs/internals.md).
PANEL_AXES = """el => ['yaxis', 'yaxis2', 'yaxis3', 'yaxis4', 'yaxis5'].filter(a => el._fullLayout[a])
    .map(a => [el._fullLayout[a]._offset, el._fullLayout[a]._length])"""


SHOTS = ("internals", "editor")
# The video's frame is drawn: loaded and not between a seek and its frame.
VIDEO_DRAWN = "v => v.readyState >= 2 && !v.seeking"


def detect_example(data_dir: Path) -> None:
    """Weights converted and the example detected with the shipped model, in ``data_dir``."""
    env = {**os.environ, "LOCO_DATA_DIR": str(data_dir)}
    subprocess.run([sys.executable, "-m", "loco", "prepare-weights", "--quiet"], cwd=ROOT, check=True, env=env)
    os.environ["LOCO_DATA_DIR"] = str(data_dir)
    store = open_store()
    try:
        runs.detect(store, uploads.example_video(), DEFAULT_MODEL, load_checkpoint(DEFAULT_MODEL),
                    original_name="example.mp4")
    finally:
        store.close()


def page_shot(page: Page, path: Path) -> tuple[Image.Image, list[tuple[int, int]], int, int, int, int]:
    """The page (the viewport is tall enough for all of it), the (left x, top y) of each panel of the figure, the
    figure's right edge, the top of the caption that follows it, the top of "Why this event?" and its bottom, in the
    picture's pixels."""
    page.screenshot(path=str(path))
    chart = ui.chart(page)
    box = chart.bounding_box()  # in the page's pixels, though the chart is in a frame
    panels = [(int(box["x"]), int(box["y"] + top)) for top, _ in chart.evaluate(PANEL_AXES)]
    caption = page.get_by_text(re.compile(r"^Token \d+ of level")).bounding_box()
    why = page.get_by_role("heading", name="Why this event?").bounding_box()
    probe = page.get_by_text(re.compile(r"^Modality probe: ")).bounding_box()
    return (Image.open(path).convert("RGB"), panels, int(box["x"] + box["width"]), int(caption["y"]), int(why["y"]),
            int(probe["y"] + probe["height"]))


def mark(image: Image.Image, marks: list[tuple[int, int, str]]) -> Image.Image:
    """Numbered red discs at the given points."""
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=18)
    for x, y, label in marks:
        draw.ellipse((x - 14, y - 14, x + 14, y + 14), fill=MARK, outline="white", width=2)
        draw.text((x, y), label, fill="white", font=font, anchor="mm")
    return image


def save_small(image: Image.Image, path: Path) -> int:
    image.convert("P", palette=Image.Palette.ADAPTIVE, colors=256).save(path, optimize=True)
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise RuntimeError(f"{path.name} is {size} bytes, over {MAX_BYTES}")
    return size


def internals_shots(browser, url: str, tmp: Path, out: Path) -> None:
    """``internals-figure.png`` and ``internals-why.png``: the Correspondence page, marked."""
    page = browser.new_context(viewport={"width": 1400, "height": VIEWPORT_HEIGHT}).new_page()
    ui.open_page(page, url, "correspondence", "Correspondence and attention")
    ui.choose(page, "Event", PICKED)
    ui.button(page, "corr_probe").click()
    expect(page.get_by_text("Modality probe: not run yet.")).to_have_count(0, timeout=300_000)
    ui.settle(page)
    image, panels, right, caption, why, bottom = page_shot(page, tmp / "page.png")
    page.close()
    left, top = panels[0][0] - 40, panels[0][1] - 40
    right += 10
    figure = mark(image.crop((left, top, right, caption - 10)),
                  [(18, y - top + 16, str(n)) for n, (_, y) in enumerate(panels, 1)])
    explained = mark(image.crop((left, caption - 10, right, bottom + 20)),
                     [(16, 20, str(len(panels) + 1)), (16, why - caption + 30, str(len(panels) + 2))])
    for picture, name in ((figure, "internals-figure.png"), (explained, "internals-why.png")):
        print(f"{name}: {picture.width}x{picture.height}, {save_small(picture, out / name)} bytes")


def best_proposal() -> int:
    """The id of the example's best-scoring proposal (the Correct page's first selection), read from the data folder
    that ``detect_example`` set up."""
    store = open_store()
    try:
        video = next(v for v in store.list_videos() if v.original_name == "example.mp4")
        scored = [e for e in store.current_events(video.video_id) if e.score is not None]
        return max(scored, key=lambda e: e.score).event_id
    finally:
        store.close()


def editor_shots(browser, url: str, tmp: Path, out: Path) -> None:
    """``timeline.png`` (the Timeline page's controls and read-only editor) and ``correct-editor.png`` (the Correct
    page's editor, the best proposal clicked). Reached from the Detect page by the sidebar, as a person does."""
    page = browser.new_context(viewport={"width": 1400, "height": 1600}).new_page()
    ui.open_page(page, url, "", "Detect events")
    ui.navigate(page, "Timeline", "Timeline")
    editor = TimelineEditor(page)
    ui.eventually(lambda: editor.frame.locator("video").evaluate(VIDEO_DRAWN), "video drawn")
    top = page.get_by_role("heading", name="Timeline", exact=True).bounding_box()
    caption = page.get_by_text(re.compile(r"^\d+ of \d+ events shown")).bounding_box()
    frame = page.locator(ui.EDITOR_FRAME).bounding_box()
    page.screenshot(path=str(tmp / "timeline.png"), clip={
        "x": frame["x"] - 8, "y": top["y"] - 8, "width": frame["width"] + 16,
        "height": caption["y"] + caption["height"] - top["y"] + 16})

    ui.navigate(page, "Correct", "Correct")
    editor = TimelineEditor(page)
    editor.click_bar(best_proposal())
    ui.settle(page)
    ui.eventually(lambda: editor.frame.locator("video").evaluate(VIDEO_DRAWN), "video drawn at the event's start")
    page.locator(ui.EDITOR_FRAME).screenshot(path=str(tmp / "correct.png"))
    page.close()
    for name, shot in (("timeline.png", "timeline.png"), ("correct-editor.png", "correct.png")):
        picture = Image.open(tmp / shot).convert("RGB")
        print(f"{name}: {picture.width}x{picture.height}, {save_small(picture, out / name)} bytes")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--only", choices=SHOTS, help="take only these screenshots (default: all)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="loco-shots-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        detect_example(data_dir)
        with running_app(data_dir, Path(tmp) / "server.log") as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            if args.only in (None, "internals"):
                internals_shots(browser, url, Path(tmp), args.out)
            if args.only in (None, "editor"):
                editor_shots(browser, url, Path(tmp), args.out)
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
