"""How the editor's ``<video>`` reaches a stored video: one route of the app's own server, ``/api/video/<video id>``.

The component runs in an iframe and cannot read the server's files. Streamlit's media file manager (what
``st.video`` uses) reads the whole file into memory per session, and its static folder serves only files under the
app's ``static/`` directory, so neither fits a 200 MB upload. Instead ``app.py`` defines the server as ``st.App``
with ``MEDIA_ROUTES`` (``streamlit run app.py`` finds and serves it): Starlette's ``FileResponse`` streams the file
from disk and answers HTTP range requests, which the browser's seeking needs. Only videos a page has drawn are
served (``video_url`` registers them), by their content hash, so the route exposes no other file. Same origin as the
app, nothing from a CDN or another port.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from storage import VideoView
from studio.uploads import video_mime

ROUTE = "/api/video/{video_id}"
_SERVED: dict[str, tuple[Path, str]] = {}


def video_url(video: VideoView) -> str | None:
    """The URL the editor plays ``video`` from (None when its file is not on this server)."""
    path = Path(video.stored_path) if video.stored_path else None
    if path is None or not path.is_file():
        return None
    _SERVED[video.video_id] = (path, video_mime(video.container))
    return ROUTE.format(video_id=video.video_id)


async def _serve(request: Request) -> Response:
    served = _SERVED.get(request.path_params["video_id"])
    if served is None or not served[0].is_file():
        return PlainTextResponse("no such video on this server", status_code=404)
    path, mime = served
    return FileResponse(path, media_type=mime)


MEDIA_ROUTES = [Route(ROUTE, _serve, methods=["GET", "HEAD"])]
