"""``streamlit run app.py`` on a free 127.0.0.1 port for scripts that drive the app in Chromium outside pytest (the
page benchmark, the documentation's screenshots), with the options the browser tests use."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.browser.conftest import START_TIMEOUT_S, free_port
from tests.conftest import ROOT


@contextmanager
def running_app(data_dir: Path, log_path: Path) -> Iterator[str]:
    """The app's URL once it is healthy, serving ``data_dir``; the server is stopped on exit."""
    port = free_port()
    env = {**os.environ, "LOCO_DATA_DIR": str(data_dir)}
    env.pop("LOCO_DATABASE_URL", None)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1", "--server.port",
             str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the app did not start:\n{log_path.read_text()[-3000:]}")
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
