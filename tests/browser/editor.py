"""The timeline editor component driven as a person would: real mouse moves, clicks, drags and key presses at the
positions the editor draws things (bars by their event id, times by the lanes' geometry), inside its iframe.

``Inputs`` counts what a person did (a click, a drag, a key, a typed entry), for the tests that count inputs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from playwright.sync_api import FrameLocator, Locator, Page, expect

from tests.browser.ui import EDITOR_FRAME
TIMEOUT_MS = 60_000


@dataclass
class Inputs:
    """What was done, one entry per input."""

    done: list[str] = field(default_factory=list)

    def add(self, what: str) -> None:
        self.done.append(what)

    def __len__(self) -> int:
        return len(self.done)


class TimelineEditor:
    def __init__(self, page: Page, inputs: Inputs | None = None, nth: int = 0) -> None:
        self.page = page
        self.frame: FrameLocator = page.frame_locator(EDITOR_FRAME).nth(nth)
        self.inputs = inputs if inputs is not None else Inputs()
        expect(self.frame.locator("#editor[data-ready='1']")).to_be_attached(timeout=TIMEOUT_MS)

    # ------------------------------------------------------------------------------------------------ geometry
    def bar(self, event_id: int) -> Locator:
        return self.frame.locator(f'.bar[data-id="{event_id}"]')

    def bars(self) -> dict[str, list[int]]:
        """The event ids of the bars drawn, by layer ("ground truth", "prediction", ...)."""
        pairs = self.frame.locator(".bar").evaluate_all("bars => bars.map(b => [b.dataset.layer, +b.dataset.id])")
        drawn: dict[str, list[int]] = {}
        for layer, event_id in pairs:
            drawn.setdefault(layer, []).append(event_id)
        return drawn

    def bar_box(self, event_id: int) -> dict:
        """A bar's box on the page, scrolled into view first (the mouse acts only inside the viewport)."""
        self.bar(event_id).scroll_into_view_if_needed()
        return self.bar(event_id).bounding_box()

    def lanes_box(self) -> dict:
        return self.frame.locator(".lanes").bounding_box()

    def x_at(self, seconds: float, duration: float) -> float:
        """The page x of ``seconds`` on the lanes (they span the whole video, scrolled or not)."""
        box = self.lanes_box()
        return box["x"] + seconds / duration * box["width"]

    def lane_y(self, label: str) -> float:
        """The page y of a lane's middle, scrolled into view first (before taking any x: scrolling moves them)."""
        row = self.frame.locator(f'.row[data-lane="{label}"]')
        row.scroll_into_view_if_needed()
        box = row.bounding_box()
        return box["y"] + box["height"] / 2

    def bar_in_lane(self, event_id: int, label: str) -> bool:
        """Whether the bar is drawn in the lane of ``label`` (a relabel redraws the lanes after the database has it)."""
        row, bar = self.frame.locator(f'.row[data-lane="{label}"]'), self.bar(event_id)
        if not row.count() or not bar.count():
            return False
        lane, box = row.bounding_box(), bar.bounding_box()
        return lane["y"] <= box["y"] + box["height"] / 2 <= lane["y"] + lane["height"]

    # ------------------------------------------------------------------------------------------------- inputs
    def click_bar(self, event_id: int, where: str = "middle") -> None:
        """Click a bar: its middle, or just inside its start or end edge (the playhead goes to that edge). The click
        waits until the bar stands still and is the element under that point (a page still drawing can move it), and
        the bar is then drawn selected."""
        box = self.bar_box(event_id)
        x = {"start": 1, "middle": box["width"] / 2, "end": box["width"] - 1}[where]
        self.bar(event_id).click(position={"x": x, "y": box["height"] / 2})
        expect(self.bar(event_id)).to_have_class(re.compile(r"\bsel\b"))
        self.inputs.add(f"click #{event_id} {where}")
        self.settle()

    def drag(self, x0: float, y: float, x1: float) -> None:
        self.page.mouse.move(x0, y)
        self.page.mouse.down()
        for step in range(1, 11):
            self.page.mouse.move(x0 + (x1 - x0) * step / 10, y)
        self.page.mouse.up()
        self.inputs.add(f"drag {x0:.0f}->{x1:.0f}")
        self.settle()

    def drag_edge(self, event_id: int, edge: str, to_x: float) -> None:
        box = self.bar_box(event_id)
        x = box["x"] + (1 if edge == "start" else box["width"] - 1)
        self.drag(x, box["y"] + box["height"] / 2, to_x)

    def drag_body(self, event_id: int, by_px: float) -> None:
        box = self.bar_box(event_id)
        x = box["x"] + box["width"] / 2
        self.drag(x, box["y"] + box["height"] / 2, x + by_px)

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.inputs.add(f"key {key}")
        self.settle()

    def type(self, text: str) -> None:
        """Type into the editor (digits go to the playhead field) and press Enter: one typed entry."""
        self.page.keyboard.type(text)
        self.page.keyboard.press("Enter")
        self.inputs.add(f"type {text}")
        self.settle()

    def button(self, action: str) -> None:
        self.frame.locator(f'button[data-action="{action}"]').click()
        self.inputs.add(f"button {action}")
        self.settle()

    # -------------------------------------------------------------------------------------------------- state
    def settle(self) -> None:
        """Wait until no gesture is on its way to the server (its answer has been drawn)."""
        expect(self.frame.locator("#editor:not([data-pending])")).to_be_attached(timeout=TIMEOUT_MS)

    def playhead(self) -> float:
        return float(self.frame.locator(".playhead").get_attribute("data-time"))

    def video_time(self) -> float:
        return float(self.frame.locator("video").evaluate("v => v.currentTime"))

    def notice(self) -> Locator:
        return self.frame.locator(".notice")
