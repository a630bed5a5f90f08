"""A writer killed with SIGKILL in the middle of a large import or edit batch leaves all or nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.storage.conftest import full_url

CHILD = """
import sys
from storage import open_store
store = open_store(sys.argv[1])
def progress(fraction, message):
    print(fraction, flush=True)
if sys.argv[2] == "import":
    store.import_file("unav_json", sys.argv[3], progress=progress)
else:
    store.bulk_accept(0.0, progress=progress)
print("finished", flush=True)
"""


def _kill_after_first_progress(*args: str) -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = child.stdout.readline()
    assert float(line) < 1.0, f"the child should report partial progress first, said {line!r}"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL


def _check_integrity(store) -> None:
    if store.engine.dialect.name == "sqlite":
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


@pytest.mark.slow
def test_killed_import_leaves_nothing_and_the_retry_imports_everything(store, unav_annotation_file):
    _kill_after_first_progress(full_url(store), "import", str(unav_annotation_file))
    _check_integrity(store)
    assert store.list_videos() == [] and store.current_events() == []
    assert store.import_file("unav_json", unav_annotation_file) == 30_059
    assert len(store.current_events()) == 30_059


@pytest.mark.slow
def test_killed_bulk_accept_leaves_every_event_as_it_was(store):
    results = {}
    for index in range(100):
        video_id = f"v{index:03d}"
        store.record_video(video_id, duration=60.0)
        results[video_id] = [{"segment": [k * 0.5, k * 0.5 + 0.4], "label": "dog barking", "score": 0.5}
                             for k in range(100)]
    store.import_annotations("predictions_json", json.dumps({"results": results}))
    _kill_after_first_progress(full_url(store), "accept")
    _check_integrity(store)
    events = store.current_events()
    assert len(events) == 10_000 and {(e.state, e.rev_no) for e in events} == {("proposed", 1)}
