import io

import pytest

from studio import uploads
from studio.errors import ServiceError, UploadTooLargeError


@pytest.fixture(autouse=True)
def data(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCO_DATA_DIR", str(tmp_path))
    return tmp_path


def test_spool_upload_names_by_content_and_enforces_the_limit(data):
    payload = b"\x00\x00\x00\x18ftypmp42" + b"x" * 5000
    first = uploads.spool_upload(io.BytesIO(payload), max_bytes=10_000)
    again = uploads.spool_upload(io.BytesIO(payload), max_bytes=10_000)
    assert first == again and first.path.name == first.sha256 and first.path.read_bytes() == payload
    with pytest.raises(UploadTooLargeError):
        uploads.spool_upload(io.BytesIO(payload), max_bytes=1000)
    with pytest.raises(ServiceError, match="empty"):
        uploads.spool_upload(io.BytesIO(b""))
    assert sorted(p.name for p in (data / "uploads").iterdir()) == [first.sha256]  # no temporary file left


def test_max_upload_mb_from_the_environment(monkeypatch):
    assert uploads.max_upload_mb() == 200
    monkeypatch.setenv("LOCO_MAX_UPLOAD_MB", "5")
    assert uploads.max_upload_mb() == 5
    monkeypatch.setenv("LOCO_MAX_UPLOAD_MB", "lots")
    with pytest.raises(ServiceError):
        uploads.max_upload_mb()


def test_mime_from_the_container_name():
    assert uploads.video_mime("mov,mp4,m4a,3gp,3g2,mj2") == "video/mp4"
    assert uploads.video_mime("matroska,webm") == "video/webm"
    assert uploads.video_mime(None) == "video/mp4"


def test_the_example_is_recognised_by_content_even_when_uploaded(data):
    with open(uploads.EXAMPLE_VIDEO, "rb") as handle:
        uploaded = uploads.spool_upload(handle)
    assert uploaded.path != uploads.EXAMPLE_VIDEO and uploads.is_example(uploaded)
    assert uploads.is_example(uploads.example_video())
    assert not uploads.is_example(uploads.spool_upload(io.BytesIO(b"not the example")))
