"""Browser fixtures: ONE app server per session (a free 127.0.0.1 port, a temporary data directory with the converted
encoder weights and a small untrained model), one Chromium, and a fresh browser context per test.

Artifacts go to ``test-artifacts/browser/`` at the repository root (git-ignored): a screenshot of every page the
journey visits, a screenshot of the page of any failing test, and the server log when a test failed."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from loco.checkpoint import save_checkpoint
from loco.config import load_config
from loco.grid import UNAV_GRID
from loco.io import sha256_file
from loco.model import build_model
from storage import open_store
from storage.taxonomy import load_taxonomy_file
from studio.models import set_active_model
from studio.uploads import EXAMPLE_GROUND_TRUTH
from tests.browser import ui
from tests.browser.server import AppDidNotStart, running_app
from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = ui.ARTIFACTS
EXAMPLE = ROOT / "assets" / "example" / "example.mp4"
AUTHOR = "e2e"
DETECT_TIMEOUT_MS = 240_000

# A rerun on a busy 2-core machine can take longer than Playwright's default 5 s: every content wait gets 60 s.
expect.set_options(timeout=60_000)


@dataclass(frozen=True)
class AppServer:
    url: str
    data_dir: Path
    log_path: Path

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'loco.sqlite'}"


@dataclass(frozen=True)
class DetectedVideo:
    video_id: str
    num_predictions: int


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures know at teardown whether their test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def browser_data_dir(tmp_path_factory) -> Path:
    """An empty data directory, then what a fresh install has in it: converted encoder weights (by the CLI, as
    ``studio.sh`` does) and an untrained compact model (plumbing only: no shipped model is needed) that knows the
    example's classes, as the shipped model does, so it can be fine-tuned on the example's snapshot."""
    if not CHROMIUM.is_file():
        pytest.skip("Chromium is not installed (./studio.sh test installs it)")

    folder = tmp_path_factory.mktemp("browser") / "data"
    folder.mkdir()
    subprocess.run([sys.executable, "-m", "loco", "prepare-weights", "--quiet"], cwd=ROOT, check=True,
                   env={**os.environ, "LOCO_DATA_DIR": str(folder)})
    names = [c.name for c in load_taxonomy_file()]
    for entry in json.loads(EXAMPLE_GROUND_TRUTH.read_text(encoding="utf-8"))["database"].values():
        names += [a["label"] for a in entry["annotations"] if a["label"] not in names]
    config = load_config("compact", [f"model.num_classes={len(names)}"])
    checkpoint = folder / "models" / "untrained.safetensors"
    save_checkpoint(checkpoint, build_model(config.model, seed=0), config, names, "fast", UNAV_GRID,
                    {"note": "untrained"})
    # The active model, as the sidebar would record it: the same model whether or not a default model is shipped.
    store = open_store(f"sqlite:///{folder / 'loco.sqlite'}")
    set_active_model(store, checkpoint)
    store.close()
    return folder


def _stop_training_jobs(data_dir: Path) -> None:
    """Training runs detached from the server (its own session): stop any still running, so none outlives us."""
    for state_file in (data_dir / "jobs").glob("*/state.json"):
        state = json.loads(state_file.read_text(encoding="utf-8"))
        if state.get("runner") == "process" and state.get("status") == "running" and state.get("pid"):
            try:
                os.killpg(state["pid"], signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                pass


@pytest.fixture(scope="session")
def app_server(request, browser_data_dir, tmp_path_factory) -> AppServer:
    """``streamlit run app.py`` on a free port; healthy before use; terminated and waited for at the end."""
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    failed_before = request.session.testsfailed
    try:
        with running_app(browser_data_dir, log_path, {"LOCO_AUTHOR": AUTHOR}) as url:
            yield AppServer(url, browser_data_dir, log_path)
    except AppDidNotStart as error:
        pytest.fail(str(error))
    finally:
        _stop_training_jobs(browser_data_dir)
        if request.session.testsfailed > failed_before:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log_path, ARTIFACTS / "server.log")


@pytest.fixture(scope="session")
def browser(app_server):

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(request, browser):
    """Pages in their own browser contexts (separate Streamlit sessions); a failing test leaves a screenshot of each."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    yield make
    report = getattr(request.node, "report_call", None)
    for index, context in enumerate(contexts):
        if report is not None and report.failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            for page in context.pages:
                name = re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name)
                page.screenshot(path=str(ARTIFACTS / f"FAILED-{name}-{index}.png"))
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture(scope="session")
def detected_example(app_server, browser) -> DetectedVideo:
    """The example video uploaded through the Detect page and detected (the first step of every journey)."""


    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        ui.open_page(page, app_server.url, "", "Detect events")
        page.get_by_text("Upload a video").click()
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(EXAMPLE))
        expect(page.get_by_text("example.mp4", exact=True)).to_be_visible()
        expect(page.get_by_role("button", name="Detect events")).to_be_enabled()
        page.get_by_role("button", name="Detect events").click()
        # What was found at the Timeline's threshold, and how many candidates the model proposed in all
        done = page.get_by_text(re.compile(r"^(Found \d+ events? scoring|No event scores)"))
        expect(done).to_be_visible(timeout=DETECT_TIMEOUT_MS)
        ui.screenshot(page, "1-detect")
        count = int(re.search(r"\((?:of )?(\d+) (?:weaker )?candidates\)", done.inner_text()).group(1))
    finally:
        context.close()

    return DetectedVideo(sha256_file(EXAMPLE), count)
