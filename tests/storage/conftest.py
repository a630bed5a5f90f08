"""Every storage test runs on SQLite, and on PostgreSQL when LOCO_TEST_POSTGRES_URL names a server (``.ci/run`` starts
one with scripts/postgres.sh); without it the PostgreSQL cases skip and say why."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from storage import Store, open_store

POSTGRES_ENV = "LOCO_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _fresh_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path) -> str:
    """The URL of an empty database of each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'loco.sqlite'}"
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"PostgreSQL case skipped: set {POSTGRES_ENV} (eval \"$(scripts/postgres.sh start)\") to run it")
    _fresh_postgres(url)
    return url


@pytest.fixture
def store(store_url) -> Store:
    opened = open_store(store_url)
    yield opened
    opened.close()


@pytest.fixture
def video(store) -> str:
    """A 30-second video with no events."""
    return store.record_video("vid_a", duration=30.0, original_name="a.mp4", fps=25.0, author="tester")


def full_url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)
