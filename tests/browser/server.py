"""``streamlit run app.py`` on a free 127.0.0.1 port, written once: the browser tests' session server, and the scripts
that drive the app in Chromium outside pytest (the page benchmarks, the documentation's screenshots)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import ROOT

START_TIMEOUT_S = 90


class AppDidNotStart(RuntimeError):
    """The server exited, or was not healthy in time; the message ends with its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_app(data_dir: Path, log_path: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """The app's URL once it is healthy, serving ``data_dir`` (with ``env`` added to this process's environment, its
    database the folder's SQLite file); the server is stopped on exit."""
    port = free_port()
    server_env = {**os.environ, "LOCO_DATA_DIR": str(data_dir), **(env or {})}
    server_env.pop("LOCO_DATABASE_URL", None)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1", "--server.port",
             str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
            cwd=ROOT, env=server_env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise AppDidNotStart(f"the app exited with status {process.returncode}:\n"
                                     f"{log_path.read_text()[-3000:]}")
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AppDidNotStart(f"the app did not become healthy in {START_TIMEOUT_S} s:\n"
                                     f"{log_path.read_text()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
