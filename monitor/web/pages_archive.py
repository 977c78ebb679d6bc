"""Archived versions inside the app: text for every format, the original bytes made inert.

Archived HTML is shown in a sandboxed frame whose response carries ``Content-Security-Policy:
sandbox`` too, so neither the frame attribute nor the header alone keeps crawled scripts from
running, and nothing it references is fetched. PDFs and JSON are offered as a download.
"""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crawler.extract import sniff_format
from monitor.web.app import workspace
from monitor.web.auth import guard
from monitor.web.change_page import extraction_of
from storage.blobs import read_blob
from storage.models import Quarantine, Snapshot, Source

# Inline styles may draw the page; nothing runs, nothing loads, no form posts anywhere.
INERT_CSP = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'self'; form-action 'none'; base-uri 'none'"
)
_CHARSET = re.compile(r"charset=([\w.-]+)", re.I)


def _snapshot(request: Request) -> tuple[Snapshot, Source, bytes, bool]:
    ws = workspace(request)
    snap_id = request.path_params["snapshot_id"]
    with ws.db.session() as s:
        snap = s.get(Snapshot, snap_id)
        if snap is None:
            raise HTTPException(404, f"No archived version {snap_id}.")
        src = s.get(Source, snap.source_id)
        assert src is not None
        body = read_blob(s, snap.sha256)
        quarantined = s.get(Quarantine, snap.id) is not None
    return snap, src, body, quarantined


@guard("read")
def snapshot_page(request: Request) -> Response:
    ws = workspace(request)
    snap, src, body, quarantined = _snapshot(request)
    fmt = sniff_format(body, snap.content_type)
    with ws.db.session() as s:
        ext = extraction_of(s, snap)
    return ws.render(
        request,
        "snapshot.html",
        snap=snap,
        src=src,
        fmt=fmt,
        ext=ext,
        quarantined=quarantined,
    )


@guard("read")
def snapshot_raw(request: Request) -> Response:
    """Archived HTML for the sandboxed frame; other formats are not rendered, only downloaded."""
    snap, _src, body, _q = _snapshot(request)
    if sniff_format(body, snap.content_type) != "html":
        raise HTTPException(404, "Only HTML versions are shown inline; download the original.")
    found = _CHARSET.search(snap.content_type or "")
    charset = found.group(1) if found else "utf-8"
    return Response(
        body,
        media_type=f"text/html; charset={charset}",
        headers={
            "Content-Security-Policy": INERT_CSP,
            "X-Frame-Options": "SAMEORIGIN",
            "Cache-Control": "no-store",
        },
    )


@guard("read")
def snapshot_original(request: Request) -> Response:
    """The archived bytes as a file to save (never rendered by the app's origin)."""
    snap, src, body, _q = _snapshot(request)
    fmt = sniff_format(body, snap.content_type)
    media = {"pdf": "application/pdf", "json": "application/json"}.get(fmt, "text/html")
    name = f"{src.id}-{snap.id}.{fmt if fmt in ('pdf', 'json', 'html') else 'bin'}"
    return Response(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Security-Policy": INERT_CSP,
            "X-Content-Type-Options": "nosniff",
        },
    )


routes = [
    Route("/snapshots/{snapshot_id:int}", snapshot_page, methods=["GET"]),
    Route("/snapshots/{snapshot_id:int}/raw", snapshot_raw, methods=["GET"]),
    Route("/snapshots/{snapshot_id:int}/original", snapshot_original, methods=["GET"]),
]
