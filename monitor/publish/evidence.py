"""Evidence: absolute links to archived versions, and the archive exported so it cannot run.

Crawled pages are hostile. An archived HTML page is exported with a Content-Security-Policy
meta element as its very first element (no script, no plugin, no network, no form) and its
scripts, event handlers, frames and ``javascript:`` links removed, so opening the evidence on
the blog's own domain runs nothing. PDFs and JSON are served as themselves (browsers render
them inert); anything else is exported as plain text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Set
from dataclasses import dataclass
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from sqlalchemy.orm import Session

from monitor.reports.archive import base_name, extension
from monitor.reports.model import VersionRef
from storage.blobs import BlobIntegrityError, read_blobs, sha256_hex

ARCHIVE = "archive"
CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'none'; "
    "base-uri 'none'; sandbox"
)
CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
_DROP_TAGS = ("script", "noscript", "iframe", "frame", "frameset", "object", "embed", "applet",
              "base", "link", "form", "portal", "template")  # fmt: skip
_URL_ATTRS = ("href", "src", "action", "formaction", "xlink:href", "poster", "background",
              "srcset", "data")  # fmt: skip


class BaseUrlError(ValueError):
    """The site's base URL is missing or not an absolute http(s) or file URL."""


def check_base_url(base_url: str | None) -> str:
    """The base URL with one trailing slash; a clear error when it cannot make absolute links."""
    if not base_url or not base_url.strip():
        raise BaseUrlError(
            "no base URL: pass --base-url https://example.org/coverage/ (or set [publish] "
            "base_url), the address where the published folder will be served"
        )
    url = base_url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "file") or (
        parts.scheme != "file" and not parts.netloc
    ):
        raise BaseUrlError(
            f"base URL {url!r} is not absolute: use https://host/path/ (or file:///path/)"
        )
    if parts.query or parts.fragment:
        raise BaseUrlError(f"base URL {url!r} must not carry a query or fragment")
    return url.rstrip("/") + "/"


def export_name(ref: VersionRef) -> str:
    """The exported file name: HTML stays .html (made inert), unknown types become .txt."""
    name = base_name(ref)  # the site makes HTML inert itself (inert_html), so no .txt suffix
    if extension(ref) in ("bin", "xml"):
        return name.rsplit(".", 1)[0] + ".txt"
    return name


@dataclass(frozen=True)
class Links:
    """Absolute URLs of the site's pages and of archived evidence."""

    base: str

    def page(self, path: str) -> str:
        return self.base + path

    def evidence(self, ref: VersionRef) -> str:
        return f"{self.base}{ARCHIVE}/{export_name(ref)}"


def _neutral_url(value: str) -> bool:
    scheme = value.strip().split(":", 1)[0].lower() if ":" in value else ""
    return scheme in ("javascript", "vbscript", "data", "file")


def inert_html(body: bytes) -> bytes:
    """An archived HTML page that cannot run anything, whatever it contains."""
    soup = BeautifulSoup(body, "lxml")
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for meta in soup.find_all("meta"):
        if str(meta.get("http-equiv", "")).lower() in ("refresh", "content-security-policy",
                                                      "set-cookie"):  # fmt: skip
            meta.decompose()
    for tag in soup.find_all(True):
        for attr in list(tag.attrs):
            low = attr.lower()
            value = tag.attrs[attr]
            text = " ".join(value) if isinstance(value, list) else str(value)
            if (
                low.startswith("on")
                or (low == "style" and "url(" in text.lower())
                or (low in _URL_ATTRS and _neutral_url(text))
            ):
                del tag.attrs[attr]
    # The policy must come first: a meta CSP governs only what follows it.
    head = f'{CSP_META}\n<meta charset="utf-8">\n'
    return head.encode("utf-8") + soup.decode(formatter="minimal").encode("utf-8", "replace")


def exported_bytes(ref: VersionRef, body: bytes) -> bytes:
    if sha256_hex(body) != ref.sha256:  # a corrupt blob must not become evidence
        raise ValueError(f"snapshot {ref.snapshot_id}: stored bytes do not match sha256")
    if extension(ref) in ("html", "htm"):
        return inert_html(body)
    if export_name(ref).endswith(".txt"):
        return body.decode("utf-8", "replace").encode("utf-8")
    return body


def evidence_files(
    session: Session, refs: Iterable[VersionRef], known: Set[str]
) -> Iterator[tuple[str, bytes | None]]:
    """(relative path, bytes) for every cited snapshot (None: already exported, keep it).

    Names are the content's sha256, so identical bytes are exported once and an exported file
    never needs rewriting: those the site already owns (``known``, from its manifest) are kept
    without a stat or a blob read. The others are read a batch of blobs at a time and yielded
    one by one, so a site citing every source's newest version is never held in memory.
    A version whose stored bytes fail their check raises ValueError.
    """
    todo: dict[str, list[tuple[str, VersionRef]]] = {}  # sha256 → (path, ref) still to export
    seen: set[str] = set()
    for ref in sorted({r.snapshot_id: r for r in refs}.values(), key=lambda r: r.snapshot_id):
        rel = f"{ARCHIVE}/{export_name(ref)}"
        if rel in seen:
            continue
        seen.add(rel)
        if rel in known:
            yield rel, None
        else:
            todo.setdefault(ref.sha256, []).append((rel, ref))
    for sha, body in read_blobs(session, todo):
        for rel, ref in todo[sha]:
            if isinstance(body, BlobIntegrityError):
                raise ValueError(f"snapshot {ref.snapshot_id}: {body}")
            yield rel, exported_bytes(ref, body)
