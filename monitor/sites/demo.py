"""The demo's sample site: bundled documents served on 127.0.0.1 in two rounds."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from monitor.sites.localsite import LocalSite

DEMO_DIR = Path(str(resources.files("monitor.sites") / "demo_data"))

# URL path on the local site → bundled file name, and its content type.
PAGES = {
    "/providers/policies/ketamine-esketamine.html": (
        "evergreen-ketamine.html",
        "text/html; charset=utf-8",
    ),
    "/rx/policies/spravato.pdf": ("bayside-spravato.pdf", "application/pdf"),
    "/pharmacy/pdl.html": ("columbia-medicaid-pdl.html", "text/html; charset=utf-8"),
    "/v1/data/article": ("sample-mac-esketamine.json", "application/json"),
    "/policies/ketamine-infusion.html": ("ridgeline-ketamine.html", "text/html; charset=utf-8"),
}
ROUNDS = ("round1", "round2")


def document(round_name: str, filename: str) -> bytes:
    return (DEMO_DIR / round_name / filename).read_bytes()


def serve_round(site: LocalSite, round_name: str) -> None:
    """Put one round's documents on the site (the second round has changes and noise)."""
    for path, (filename, ctype) in PAGES.items():
        site.set(path, document(round_name, filename), content_type=ctype)


def write_registry(site: LocalSite, target: Path) -> Path:
    template = (DEMO_DIR / "sources.toml").read_text(encoding="utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(template.replace("{base}", f"http://127.0.0.1:{site.port}"), encoding="utf-8")
    return target
