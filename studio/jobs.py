"""Background jobs for the app: long work off the script thread, with progress and cancel, persisted in the data
directory so a page change, a browser reload or a second session sees the same job.

Two kinds of runner:
- a thread in the app's process (detection: decode, features, model), cancelled cooperatively through its
  progress callback;
- a detached subprocess (training: ``python -m loco train ...``), wrapped by ``python -m studio.jobs <job dir>`` which
  records the exit status, so the job's outcome is known even if the app restarted meanwhile. Its own JSONL metrics
  log is tailed by the page.

Each job is a folder ``<data dir>/jobs/<job id>/`` with ``state.json`` (written atomically) and, for subprocesses,
``output.log``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from loco.io import atomic_write
from loco.paths import sub_dir
from loco.progress import Progress

STATUSES = ("running", "done", "failed", "cancelled")
FINISHED = ("done", "failed", "cancelled")
STATE_FILE = "state.json"
OUTPUT_LOG = "output.log"
SAVE_INTERVAL_S = 0.25  # progress is persisted at most this often (the final state always)


class JobError(ValueError):
    """A job that does not exist or cannot be started or cancelled as asked."""


class JobCancelled(Exception):
    """Raised inside a thread job's progress callback once cancel was requested: unwinds the work cleanly."""


@dataclass
class JobState:
    job_id: str
    kind: str
    status: str = "running"
    progress: float = 0.0
    message: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    pid: int | None = None
    runner: str = "thread"  # "thread" | "process"
    cancel_requested: bool = False

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


def jobs_root() -> Path:
    return sub_dir("jobs")


def job_dir(job_id: str, root: Path | None = None) -> Path:
    if not job_id or not all(c.isalnum() or c in "-_" for c in job_id):
        raise JobError(f"malformed job id {job_id[:40]!r}")
    return (root or jobs_root()) / job_id


def save_state(state: JobState, root: Path | None = None) -> None:
    state.updated_at = time.time()
    folder = job_dir(state.job_id, root)
    with atomic_write(folder / STATE_FILE, "w") as handle:
        json.dump(asdict(state), handle)


def load_state(job_id: str, root: Path | None = None) -> JobState:
    path = job_dir(job_id, root) / STATE_FILE
    if not path.is_file():
        raise JobError(f"no job {job_id!r}")
    return JobState(**json.loads(path.read_text(encoding="utf-8")))


def new_job(kind: str, params: dict[str, Any] | None = None, runner: str = "thread",
            root: Path | None = None) -> JobState:
    state = JobState(job_id=f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}", kind=kind,
                     params=dict(params or {}), runner=runner)
    save_state(state, root)
    return state


# ------------------------------------------------------------------------------------------------ thread jobs
_THREADS: dict[str, tuple[threading.Thread, threading.Event]] = {}
_PROCESSES: dict[str, subprocess.Popen] = {}


def start_thread_job(kind: str, work: Callable[[Progress], dict[str, Any]], params: dict[str, Any] | None = None,
                     root: Path | None = None) -> JobState:
    """Run ``work(progress)`` in a daemon thread. ``progress(fraction, message)`` persists the state and raises
    :class:`JobCancelled` once cancel was requested; ``work`` returns the job's result (JSON-serialisable)."""
    state = new_job(kind, params, "thread", root)
    cancel = threading.Event()
    lock = threading.Lock()
    last_saved = [0.0]

    def progress(fraction: float, message: str) -> None:
        if cancel.is_set():
            raise JobCancelled()
        with lock:
            state.progress, state.message = float(min(max(fraction, 0.0), 1.0)), str(message)
            now = time.monotonic()
            if now - last_saved[0] >= SAVE_INTERVAL_S:
                last_saved[0] = now
                save_state(state, root)

    def run() -> None:
        try:
            result = work(progress)
            state.status, state.progress, state.result = "done", 1.0, dict(result or {})
            state.message = "finished"
        except JobCancelled:
            state.status, state.message = "cancelled", "cancelled"
        except ValueError as error:  # the typed errors of media, features, model, store: a clear message
            state.status, state.error = "failed", str(error)
        except Exception as error:  # an unexpected bug: keep the traceback for the log, show its last line
            state.status, state.error = "failed", f"{type(error).__name__}: {error}"
            state.result = {"traceback": traceback.format_exc()}
        finally:
            with lock:
                save_state(state, root)
            _THREADS.pop(state.job_id, None)

    thread = threading.Thread(target=run, name=f"loco-job-{state.job_id}", daemon=True)
    _THREADS[state.job_id] = (thread, cancel)
    thread.start()
    return state


# ------------------------------------------------------------------------------------------------ process jobs
def start_process_job(kind: str, argv: list[str], params: dict[str, Any] | None = None, root: Path | None = None,
                      env: dict[str, str] | None = None) -> JobState:
    """Start ``argv`` detached (own session: it survives the app and can be stopped as a group) under the
    ``studio.jobs`` wrapper, which records its exit status in the job's state."""
    if not argv:
        raise JobError("a process job needs a command")
    state = new_job(kind, {**(params or {}), "argv": list(argv)}, "process", root)
    folder = job_dir(state.job_id, root)
    process = subprocess.Popen(
        [sys.executable, "-m", "studio.jobs", str(folder)], cwd=Path(__file__).resolve().parent.parent,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        env={**os.environ, **(env or {})},
    )
    _PROCESSES[state.job_id] = process
    state.pid = process.pid
    save_state(state, root)
    return state


def _run_wrapped(folder: Path) -> int:
    """The wrapper's body (``python -m studio.jobs <job dir>``): run the command, forward SIGTERM, record the end."""
    state = JobState(**json.loads((folder / STATE_FILE).read_text(encoding="utf-8")))
    root = folder.parent
    with open(folder / OUTPUT_LOG, "ab") as log:
        child = subprocess.Popen(state.params["argv"], stdout=log, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)

        def stop(signum, _frame) -> None:
            state.cancel_requested = True
            child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        state.pid, state.message = os.getpid(), "running"
        save_state(state, root)
        code = child.wait()
    state.result = {**state.result, "returncode": code}
    if state.cancel_requested:
        state.status, state.message = "cancelled", "cancelled"
    elif code == 0:
        state.status, state.progress, state.message = "done", 1.0, "finished"
    else:
        state.status, state.error = "failed", f"exit status {code}; last output: {tail_text(folder / OUTPUT_LOG)}"
    save_state(state, root)
    return code


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ------------------------------------------------------------------------------------------------ queries
def refresh(job_id: str, root: Path | None = None) -> JobState:
    """The job's current state. A running job whose runner is gone (the app restarted under a thread job, or a
    wrapper was killed) is marked failed, so no job shows "running" forever."""
    state = load_state(job_id, root)
    if state.finished:
        _PROCESSES.pop(job_id, None)
        return state
    if state.runner == "thread" and job_id not in _THREADS:
        state = load_state(job_id, root)  # the thread may have finished between the two reads
        if not state.finished:
            state.status, state.error = "failed", "interrupted: the app stopped while this job was running"
            save_state(state, root)
        return state
    if state.runner == "process":
        process = _PROCESSES.get(job_id)
        running = process.poll() is None if process is not None else (state.pid is not None and _alive(state.pid))
        if not running:
            state = load_state(job_id, root)
            if not state.finished:
                state.status, state.error = "failed", "the training process ended without recording its result"
                save_state(state, root)
    return state


def list_jobs(kind: str | None = None, root: Path | None = None) -> list[JobState]:
    """Jobs newest first (``kind`` filters)."""
    folder = root or jobs_root()
    states = []
    for path in sorted(folder.glob(f"*/{STATE_FILE}"), reverse=True):
        state = refresh(path.parent.name, root)
        if kind is None or state.kind == kind:
            states.append(state)
    return states


def cancel(job_id: str, root: Path | None = None) -> JobState:
    """Ask a running job to stop: a thread stops at its next progress report, a process gets SIGTERM."""
    state = refresh(job_id, root)
    if state.finished:
        return state
    # Only the runner writes the outcome (a second writer here could overwrite a state it has just finished).
    if state.runner == "thread":
        entry = _THREADS.get(job_id)
        if entry is not None:
            entry[1].set()
    elif state.pid is not None:
        try:
            os.kill(state.pid, signal.SIGTERM)  # the wrapper forwards it to the command and records "cancelled"
        except ProcessLookupError:
            pass
    state.cancel_requested, state.message = True, "cancelling"
    return state


def wait(job_id: str, timeout: float, root: Path | None = None, poll: float = 0.1) -> JobState:
    """Block until the job finishes or ``timeout`` seconds pass (for the CLI, tests and benchmarks)."""
    deadline = time.monotonic() + timeout
    while True:
        state = refresh(job_id, root)
        if state.finished or time.monotonic() >= deadline:
            return state
        time.sleep(poll)


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Records of a JSONL log that another process may be appending to (a partial last line is skipped)."""
    path = Path(path)
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def tail_text(path: str | Path, chars: int = 2000) -> str:
    path = Path(path)
    if not path.is_file():
        return ""
    with open(path, "rb") as handle:
        handle.seek(max(0, path.stat().st_size - chars))
        return handle.read().decode("utf-8", errors="replace")


if __name__ == "__main__":
    sys.exit(_run_wrapped(Path(sys.argv[1])))
