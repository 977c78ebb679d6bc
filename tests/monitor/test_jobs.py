"""The job functions the scheduler runs, called as the scheduler calls them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomli_w
from sqlalchemy import select

from crawler.config import Config
from crawler.registry import RegistryError, configured_sources, load_sources
from monitor.jobs import cycle_job
from monitor.sites.localsite import LocalSite
from storage.db import Database
from storage.models import Snapshot
from tests.support.crawling import FAST, source, write_registry
from tests.support.samples import SAMPLE_HTML

REPO = Path(__file__).resolve().parents[2]


def test_a_scheduled_cycle_crawls_sources_accepted_into_extra_sources(
    site: LocalSite, tmp_path: Path
) -> None:
    site.set("/base.html", SAMPLE_HTML)
    site.set("/accepted.html", SAMPLE_HTML)
    base = write_registry(tmp_path / "mine.toml", [source("base-policy", site.url("/base.html"))])
    # What `sources accept` or the operators' page writes: a file named in extra_sources.
    accepted = write_registry(
        tmp_path / "accepted.toml", [source("accepted-policy", site.url("/accepted.html"))]
    )
    db_url = f"sqlite:///{tmp_path / 'pw.sqlite'}"
    config = tmp_path / "policywatch.toml"
    config.write_text(
        tomli_w.dumps(
            {
                "database": db_url,
                "sources": [str(base)],
                "extra_sources": [str(accepted)],
                "crawl": {"download_delay": 0.0, "timeout": 5.0, "retries": 1},
                "report": {"out_dir": str(tmp_path / "reports")},
            }
        )
    )
    # The options `policywatch schedule` stores with the job (no --sources given).
    out = cycle_job(
        {"config": str(config), "database": None, "sources": [], "crawl_overrides": FAST}
    )

    assert out["new_versions"] == 2
    assert _crawled(db_url) == {"base-policy", "accepted-policy"}


def test_configured_sources_puts_extra_files_on_top_of_the_registry_in_use(
    tmp_path: Path,
) -> None:
    mine = write_registry(tmp_path / "mine.toml", [source("mine", "https://a.example/1")])
    extra = write_registry(tmp_path / "extra.toml", [source("extra", "https://a.example/2")])
    cfg = Config(extra_sources=[str(extra)])
    shipped = {s.id for s in load_sources()}
    assert {s.id for s in configured_sources(cfg)} == shipped | {"extra"}
    cfg.sources = [str(mine)]  # replaces the shipped registry, extras stay
    assert [s.id for s in configured_sources(cfg)] == ["mine", "extra"]
    # The accept target before anything was accepted into it: nothing to add, not an error.
    cfg.extra_sources = [str(tmp_path / "not-yet.toml")]
    assert [s.id for s in configured_sources(cfg)] == ["mine"]
    cfg.sources = [str(tmp_path / "typo.toml")]
    with pytest.raises(RegistryError, match=r"typo\.toml: no such sources file"):
        configured_sources(cfg)


def test_an_id_in_both_the_registry_and_an_extra_file_names_both_files(tmp_path: Path) -> None:
    mine = write_registry(tmp_path / "mine.toml", [source("same", "https://a.example/1")])
    extra = write_registry(tmp_path / "extra.toml", [source("same", "https://a.example/2")])
    cfg = Config(sources=[str(mine)], extra_sources=[str(extra)])
    with pytest.raises(RegistryError, match=r"extra\.toml: duplicate id 'same'.*mine\.toml"):
        configured_sources(cfg)


@pytest.mark.e2e  # a whole `scrapy crawl` process
def test_scrapy_crawl_policies_run_directly_takes_the_extra_sources_too(
    site: LocalSite, tmp_path: Path
) -> None:
    site.set("/base.html", SAMPLE_HTML)
    site.set("/accepted.html", SAMPLE_HTML)
    base = write_registry(tmp_path / "mine.toml", [source("base-policy", site.url("/base.html"))])
    accepted = write_registry(
        tmp_path / "accepted.toml", [source("accepted-policy", site.url("/accepted.html"))]
    )
    config = tmp_path / "policywatch.toml"
    config.write_text(tomli_w.dumps({"sources": [str(base)], "extra_sources": [str(accepted)]}))
    db_url = f"sqlite:///{tmp_path / 'pw.sqlite'}"
    env = {**os.environ, "POLICYWATCH_CONFIG": str(config), "PYTHONPATH": str(REPO)}
    settings = {"POLICYWATCH_DB_URL": db_url, "DOWNLOAD_DELAY": "0", "LOG_LEVEL": "WARNING"}
    settings |= {k: str(v) for k, v in FAST.items()}
    args = [a for k, v in settings.items() for a in ("-s", f"{k}={v}")]
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "policies", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert _crawled(db_url) == {"base-policy", "accepted-policy"}


def _crawled(db_url: str) -> set[str]:
    db = Database(db_url)
    try:
        with db.session() as s:
            return set(s.scalars(select(Snapshot.source_id)))
    finally:
        db.dispose()
