from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from storage import open_store
from storage.engine import _alembic_config, current_revision, head_revision, make_engine, migrate
from storage.models import Base


def test_sqlite_runs_in_wal_with_foreign_keys_and_busy_timeout(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'x.sqlite'}")
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_default_database_lives_in_the_data_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("LOCO_DATABASE_URL", raising=False)
    monkeypatch.setenv("LOCO_DATA_DIR", str(tmp_path))
    store = open_store()
    assert store.engine.url.database == str(tmp_path / "loco.sqlite")
    assert (tmp_path / "loco.sqlite").is_file()


def test_url_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCO_DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite'}")
    assert open_store().engine.url.database == str(tmp_path / "env.sqlite")


def test_new_database_is_created_by_migrating_to_head(store):
    assert current_revision(store.engine) == head_revision()
    tables = set(inspect(store.engine).get_table_names())
    assert {"video", "feature_set", "model", "inference_run", "event", "event_revision", "review", "snapshot",
            "snapshot_item", "author", "class_label"} <= tables
    assert len(store.classes()) == 100


def test_an_older_database_is_upgraded_on_open(store_url):
    engine = make_engine(store_url)
    migrate(engine, "0001")  # the schema before the default taxonomy existed
    assert current_revision(engine) == "0001"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM class_label")).scalar() == 0
    engine.dispose()
    store = open_store(store_url)
    assert current_revision(store.engine) == head_revision()
    assert store.classes()[0].name == "man speaking"



def _trigger_names(engine) -> set[str]:
    query = ("SELECT name FROM sqlite_master WHERE type = 'trigger'" if engine.dialect.name == "sqlite"
             else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
    with engine.connect() as connection:
        return {name for (name,) in connection.execute(text(query))}


def test_the_append_only_triggers_come_off_on_downgrade(store_url):
    engine = make_engine(store_url)
    migrate(engine)
    assert {"event_revision_no_update", "snapshot_no_delete", "snapshot_item_no_update"} <= _trigger_names(engine)
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    assert current_revision(engine) == "0002"
    assert _trigger_names(engine) == set()
    engine.dispose()


def test_the_migrations_build_exactly_the_schema_the_models_declare(store):
    """A column or table added to ``storage/models.py`` without a migration (or the reverse) fails here."""
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_gestures_upgrade_an_existing_history_and_downgrade_keeps_the_revision_triggers(store_url):
    engine = make_engine(store_url)
    migrate(engine, "0004")
    engine.dispose()
    store = open_store(store_url)  # upgrades to head
    store.record_video("v", duration=10.0)
    event = store.add_event("v", 1.0, 3.0, "dog barking")
    assert store.gesture(event.gesture_id).action == "add"
    store.close()
    engine = make_engine(store_url)
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    assert "gesture" not in set(inspect(engine).get_table_names())
    assert {"event_revision_no_update", "event_revision_no_delete"} <= _trigger_names(engine)
    assert "gesture_id" not in {c["name"] for c in inspect(engine).get_columns("event_revision")}
    engine.dispose()
    store = open_store(store_url)  # and up again, with the revision written while gestures existed
    assert [h.action for h in store.history(event.event_id)] == ["add"]
    store.close()
