"""The committed component bundles fetch nothing at run time: no CDN address in them, and their pages load only
their own files."""

import re
from pathlib import Path

import pytest

DIST = Path(__file__).resolve().parents[2] / "ui" / "frontend" / "dist"
BUNDLES = sorted(p for p in DIST.rglob("*") if p.suffix in {".js", ".html", ".css"})


def test_every_component_is_built():
    assert {p.parent.name for p in BUNDLES} == {"editor", "chart"}


@pytest.mark.parametrize("path", BUNDLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_bundle_names_no_server_to_fetch_from(path):
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"cdn\.|cloud\.plotly", text)
    if path.suffix == ".html":
        assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", text)
