"""Annotation-store benchmark, SQLite and PostgreSQL side by side in one run.

    python -m bench.bench_storage [--postgres-url URL]   (default: $LOCO_TEST_POSTGRES_URL)

Measures: import of the full UnAV-100 annotations (10,790 videos, 30,059 events); 1,000 single edits (each one
transaction, based on the revision it read); the current view of a 60-event video; export of all events (UnAV JSON
and CSV). Goals: import <= 10 s, edit <= 10 ms median, current view <= 20 ms median.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from storage import open_store

ANNOTATIONS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "unav100" / "unav100_annotations.json"
GOALS = {"import_s": 10.0, "edit_median_ms": 10.0, "view_median_ms": 20.0}


def _timed(function) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def run_backend(url: str) -> dict[str, float]:
    store = open_store(url)
    results: dict[str, float] = {}
    results["import_s"], count = _timed(lambda: store.import_file("unav_json", ANNOTATIONS))
    assert count == 30_059

    rng = random.Random(0)
    events = rng.sample(store.current_events(), 1000)
    edit_times = []
    for index, event in enumerate(events):
        if index % 2:
            seconds, _ = _timed(lambda: store.accept(event.event_id, event.rev_no, author="bench"))
        else:
            middle = (event.start + event.end) / 2
            start = max(0.0, min(event.start + 0.1, middle - 0.2))
            seconds, _ = _timed(lambda: store.move(event.event_id, event.rev_no, start=start, author="bench"))
        edit_times.append(seconds * 1000)
    results["edit_median_ms"] = statistics.median(edit_times)
    results["edit_p95_ms"] = statistics.quantiles(edit_times, n=20)[-1]

    store.record_video("bench_60", duration=60.0)
    store.record_inference_run("bench_60", [{"label": "dog barking", "start": k, "end": k + 0.9, "score": 0.5}
                                            for k in range(60)])
    view_times = []
    for _ in range(200):
        seconds, view = _timed(lambda: store.current_events("bench_60"))
        view_times.append(seconds * 1000)
    assert len(view) == 60
    results["view_median_ms"] = statistics.median(view_times)
    results["view_df_median_ms"] = statistics.median(
        _timed(lambda: store.current_events_df("bench_60"))[0] * 1000 for _ in range(50))
    results["export_unav_json_s"], _ = _timed(lambda: store.export_annotations("unav_json"))
    results["export_csv_s"], _ = _timed(lambda: store.export_annotations("csv"))
    store.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres-url", default=os.environ.get("LOCO_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    table: dict[str, dict[str, float]] = {}
    for level in ("FULL", "NORMAL"):  # FULL (default) fsyncs every commit; NORMAL is crash-safe but not power-safe
        os.environ["LOCO_SQLITE_SYNCHRONOUS"] = level
        with tempfile.TemporaryDirectory() as folder:
            table[f"sqlite/{level.lower()}"] = run_backend(f"sqlite:///{folder}/bench.sqlite")
    if args.postgres_url:
        engine = create_engine(args.postgres_url)
        with engine.begin() as connection:  # a fresh schema: the benchmark owns this throwaway database
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
        table["postgres"] = run_backend(args.postgres_url)
    else:
        print("postgres: skipped (no --postgres-url and no LOCO_TEST_POSTGRES_URL; see scripts/postgres.sh)")
    backends = list(table)
    with_postgres = "postgres" in table
    print(f"{'measure':22}" + "".join(f"{b:>14}" for b in backends) + f"{'goal':>8}"
          + ("   postgres/sqlite-full" if with_postgres else ""))
    missed = []
    for key in table["sqlite/full"]:
        goal = GOALS.get(key)
        row = f"{key:22}" + "".join(f"{table[b][key]:14.3f}" for b in backends) + (f"{goal:8.1f}" if goal else " " * 8)
        if with_postgres:
            row += f"   {table['postgres'][key] / table['sqlite/full'][key]:8.2f}x"
        missed += [f"{key} on {b}" for b in backends if goal is not None and table[b][key] > goal]
        print(row)
    print("goals:", "missed: " + ", ".join(missed) if missed else "all met")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
