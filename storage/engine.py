"""Database engines and schema migration.

SQLite (the default, ``<data dir>/loco.sqlite``) runs in WAL mode with foreign keys on, a busy timeout and full
synchronous commits (``LOCO_SQLITE_SYNCHRONOUS=NORMAL`` trades power-loss durability for speed); write transactions start with ``BEGIN IMMEDIATE`` so two writers queue on the busy timeout instead
of failing half-way. Any other SQLAlchemy URL (``LOCO_DATABASE_URL``, e.g. ``postgresql+psycopg://...``) works too.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text

from loco.paths import data_dir

URL_ENV = "LOCO_DATABASE_URL"
SYNCHRONOUS_ENV = "LOCO_SQLITE_SYNCHRONOUS"  # FULL (default): a commit survives power loss; NORMAL: faster commits,
# still atomic and consistent after any crash, but the last commits may roll back after a power loss
BUSY_TIMEOUT_MS = 30_000
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
READ_ONLY = "loco_read_only"  # execution option: a plain deferred BEGIN on SQLite (readers never block)


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else ``LOCO_DATABASE_URL``, else the SQLite file in the data directory."""
    return url or os.environ.get(URL_ENV) or f"sqlite:///{data_dir() / 'loco.sqlite'}"


def _synchronous() -> str:
    level = os.environ.get(SYNCHRONOUS_ENV, "FULL").upper()
    if level not in ("FULL", "NORMAL"):
        raise ValueError(f"{SYNCHRONOUS_ENV} must be FULL or NORMAL, got {level!r}")
    return level


def _configure_sqlite(engine: Engine) -> None:
    synchronous = _synchronous()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (pysqlite's own is deferred and late)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_engine(url: str | None = None) -> Engine:
    url = database_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _alembic_config() -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine, target: str = "head") -> None:
    """Create or upgrade the schema in one transaction (concurrent starters wait for each other)."""
    config = _alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(7011)"))  # one migrator at a time
        config.attributes["connection"] = connection
        command.upgrade(config, target)
