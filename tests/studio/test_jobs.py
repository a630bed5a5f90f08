import json
import sys
import threading
import time

import pytest

from studio import jobs


@pytest.fixture
def root(tmp_path):
    return tmp_path / "jobs"


def test_thread_job_reports_progress_and_result(root):
    seen = threading.Event()

    def work(progress):
        progress(0.5, "half way")
        seen.set()
        return {"answer": 42}

    state = jobs.start_thread_job("detect", work, {"video": "abc"}, root=root)
    final = jobs.wait(state.job_id, timeout=10, root=root)
    assert seen.is_set()
    assert (final.status, final.progress, final.result) == ("done", 1.0, {"answer": 42})
    assert final.params == {"video": "abc"}
    assert [j.job_id for j in jobs.list_jobs("detect", root=root)] == [state.job_id]
    assert jobs.list_jobs("train", root=root) == []


def test_thread_job_cancel_stops_at_the_next_progress_report(root):
    started = threading.Event()

    def work(progress):
        started.set()
        for i in range(1000):
            progress(i / 1000, f"item {i}")
            time.sleep(0.01)
        return {}

    state = jobs.start_thread_job("detect", work, root=root)
    assert started.wait(5)
    jobs.cancel(state.job_id, root=root)
    final = jobs.wait(state.job_id, timeout=10, root=root)
    assert final.status == "cancelled" and final.progress < 1.0


def test_thread_job_failure_keeps_the_message(root):
    def work(progress):
        raise ValueError("the file is not a video")

    final = jobs.wait(jobs.start_thread_job("detect", work, root=root).job_id, timeout=10, root=root)
    assert final.status == "failed" and final.error == "the file is not a video"


def test_orphaned_thread_job_is_marked_failed(root):
    state = jobs.new_job("detect", root=root)  # as if the app restarted while it ran
    assert jobs.refresh(state.job_id, root=root).status == "failed"
    with pytest.raises(jobs.JobError):
        jobs.load_state("nope", root=root)
    with pytest.raises(jobs.JobError):
        jobs.job_dir("../escape", root=root)


def test_process_job_records_exit_status_and_output(root):
    ok = jobs.start_process_job("train", [sys.executable, "-c", "print('epoch 1')"], root=root)
    final = jobs.wait(ok.job_id, timeout=60, root=root)
    assert final.status == "done" and final.result["returncode"] == 0
    assert "epoch 1" in jobs.tail_text(jobs.job_dir(ok.job_id, root) / jobs.OUTPUT_LOG)
    bad = jobs.start_process_job("train", [sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"], root=root)
    failed = jobs.wait(bad.job_id, timeout=60, root=root)
    assert failed.status == "failed" and "exit status 3" in failed.error and "boom" in failed.error


def test_process_job_cancel_terminates_the_command(root):
    state = jobs.start_process_job("train", [sys.executable, "-c", "import time; time.sleep(120)"], root=root)
    deadline = time.monotonic() + 30
    while jobs.load_state(state.job_id, root).message != "running" and time.monotonic() < deadline:
        time.sleep(0.1)  # the wrapper has started the command
    jobs.cancel(state.job_id, root=root)
    final = jobs.wait(state.job_id, timeout=30, root=root)
    assert final.status == "cancelled"


def test_read_jsonl_skips_a_partial_last_line(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text(json.dumps({"epoch": 0, "total": 1.5}) + "\n" + '{"epoch": 1, "to')
    assert jobs.read_jsonl(path) == [{"epoch": 0, "total": 1.5}]
    assert jobs.read_jsonl(tmp_path / "missing.jsonl") == []
