"""Atomic writes: all or nothing, with the permissions a plain ``open`` gives."""

from __future__ import annotations

import stat

import pytest

from loco.io import atomic_write, sha256_file


def test_a_failed_block_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "saved.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(target, "w") as handle:
        handle.write("half of the new")
        raise RuntimeError("crash while writing")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["saved.json"]


def test_the_written_file_has_the_permissions_open_would_give(tmp_path):
    plain = tmp_path / "plain.bin"
    plain.write_bytes(b"x")
    with atomic_write(tmp_path / "atomic.bin") as handle:
        handle.write(b"x")
    mode = stat.S_IMODE((tmp_path / "atomic.bin").stat().st_mode)
    assert mode == stat.S_IMODE(plain.stat().st_mode)
    assert sha256_file(tmp_path / "atomic.bin") == sha256_file(plain)
