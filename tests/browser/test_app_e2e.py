"""End to end in Chromium (Playwright): the real server, the real browser. Skipped where Chromium is not installed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.is_file(), reason="Chromium is not installed")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """Converted encoder weights and a small untrained model (plumbing only; no shipped model needed)."""
    from loco.checkpoint import save_checkpoint
    from loco.config import load_config
    from loco.features.weights import prepare_all
    from loco.grid import UNAV_GRID
    from loco.model import build_model
    from storage.taxonomy import load_taxonomy_file

    folder = tmp_path / "data"
    monkeypatch.setenv("LOCO_DATA_DIR", str(folder))
    prepare_all()
    config = load_config("compact")
    save_checkpoint(folder / "models" / "untrained.safetensors", build_model(config.model, seed=0), config,
                    [c.name for c in load_taxonomy_file()], "fast", UNAV_GRID, {"note": "untrained"})
    return folder


@pytest.fixture
def server(data_dir):
    port = free_port()
    env = {**os.environ, "LOCO_DATA_DIR": str(data_dir)}
    env.pop("LOCO_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1", "--server.port",
         str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("the app did not start")
        yield url
    finally:
        process.terminate()
        process.wait(15)


def test_detect_the_example_then_browse_its_timeline(server):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(server)
            expect(page.get_by_role("heading", name="Detect events")).to_be_visible(timeout=60000)
            expect(page.get_by_text("Example video")).to_be_visible()
            page.get_by_role("button", name="Detect events").click()
            expect(page.get_by_text("events detected")).to_be_visible(timeout=240000)
            page.get_by_role("link", name="Timeline").first.click()
            expect(page.get_by_role("heading", name="Timeline")).to_be_visible(timeout=60000)
            expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=60000)
            expect(page.locator("video")).to_have_count(1, timeout=60000)
            assert page.locator("video track").count() == 1  # the events as a WebVTT subtitle track
        finally:
            browser.close()
