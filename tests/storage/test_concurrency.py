"""Two writers on one event: exactly one wins, the other gets ConflictError; no update is lost."""

from __future__ import annotations

import multiprocessing
import threading

from storage import ConflictError, open_store
from tests.storage.conftest import full_url


def _try_move(url: str, event_id: int, base_rev: int, end: float, author: str, barrier) -> str:
    store = open_store(url)
    try:
        barrier.wait()
        store.move(event_id, base_rev, end=end, author=author)
        return "ok"
    except ConflictError:
        return "conflict"
    finally:
        store.close()


def _process_main(url, event_id, base_rev, end, author, barrier, results) -> None:
    results.put((author, _try_move(url, event_id, base_rev, end, author, barrier)))


def _check_one_winner(store, event_id: int, outcomes: dict[str, str], ends: dict[str, float]) -> None:
    assert sorted(outcomes.values()) == ["conflict", "ok"]
    winner = next(name for name, outcome in outcomes.items() if outcome == "ok")
    history = store.history(event_id)
    assert [h.rev_no for h in history] == [1, 2]
    assert (history[-1].author, history[-1].end) == (winner, ends[winner])


def test_two_threads_editing_one_event(store, video):
    event = store.add_event(video, 1.0, 3.0, "dog barking")
    barrier, outcomes = threading.Barrier(2), {}
    ends = {"thread_a": 4.0, "thread_b": 5.0}
    url = full_url(store)

    def work(name: str) -> None:
        outcomes[name] = _try_move(url, event.event_id, event.rev_no, ends[name], name, barrier)

    threads = [threading.Thread(target=work, args=(name,)) for name in ends]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    _check_one_winner(store, event.event_id, outcomes, ends)


def test_two_processes_editing_one_event(store, video):
    event = store.add_event(video, 1.0, 3.0, "dog barking")
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    ends = {"process_a": 4.0, "process_b": 5.0}
    processes = [context.Process(target=_process_main, args=(full_url(store), event.event_id, event.rev_no,
                                                             ends[name], name, barrier, results)) for name in ends]
    for process in processes:
        process.start()
    outcomes = dict(results.get(timeout=120) for _ in processes)
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    _check_one_winner(store, event.event_id, outcomes, ends)


def test_undoing_a_merge_while_another_session_restores_its_absorbed_event(store, video):
    """All or nothing across events: the undo of the merge and the restore race; one wins, and a losing undo leaves
    the kept event merged too."""
    kept = store.add_event(video, 1.0, 3.0, "dog barking")
    other = store.add_event(video, 4.0, 6.0, "dog barking")
    merged = store.merge(kept.event_id, kept.rev_no, other.event_id, other.rev_no)
    absorbed = store.event(other.event_id)
    barrier, outcomes, url = threading.Barrier(2), {}, full_url(store)

    def work(name: str, action) -> None:
        session = open_store(url)
        try:
            barrier.wait()
            action(session)
            outcomes[name] = "ok"
        except ConflictError:
            outcomes[name] = "conflict"
        finally:
            session.close()

    threads = [threading.Thread(target=work, args=("undo", lambda s: s.revert_gesture(merged.gesture_id))),
               threading.Thread(target=work, args=("restore", lambda s: s.restore(absorbed.event_id, absorbed.rev_no)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == ["conflict", "ok"]
    now = store.event(kept.event_id)
    if outcomes["undo"] == "ok":
        assert (now.start, now.end) == (1.0, 3.0) and store.event(other.event_id).action == "undo"
    else:
        assert (now.start, now.end) == (1.0, 6.0) and store.event(other.event_id).action == "restore"
