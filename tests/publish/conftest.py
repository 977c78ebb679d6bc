"""A real database for the publishing tests: the demo's two rounds plus Medicaid documents of
other states, crawled through the real cycle from pages served on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.sites.localsite import LocalSite
from storage.db import Database
from storage.models import ChangeEventRecord
from tests.conftest import FIXTURES
from tests.support.databases import crawl_demo, private_copy

BASE_URL = "https://blog.example.org/coverage/"
PAGES = FIXTURES / "publish"

# Medicaid documents beside the demo's: a state program (TX), a managed-care plan in a state
# with no program document (KS) and one in a state whose program has its own (OR).
EXTRA = """
[[source]]
id = "test-tx-medicaid-esketamine"
payer = "Lone Star Medicaid (sample)"
plan_type = "medicaid"
state = "TX"
document_type = "pa_criteria"
title = "Esketamine (Spravato) prior authorization criteria"
url = "{base}/tx/esketamine.html"

[[source]]
id = "test-ks-mco-spravato"
payer = "Prairie Health Plan (sample)"
plan_type = "medicaid_mco"
state = "KS"
document_type = "drug_policy"
title = "Spravato pharmacy coverage policy"
url = "{base}/ks/spravato.html"

[[source]]
id = "test-or-mco-spravato"
payer = "Cascade Community Plan (sample)"
plan_type = "medicaid_mco"
state = "OR"
document_type = "drug_policy"
title = "Spravato pharmacy coverage policy"
url = "{base}/or-mco/spravato.html"
"""


def _medicaid_pages(site: LocalSite, workdir: Path) -> list[Path]:
    extra = workdir / "extra.toml"
    extra.write_text(EXTRA.replace("{base}", site.url("").rstrip("/")), encoding="utf-8")
    site.set("/tx/esketamine.html", (PAGES / "lonestar-medicaid-esketamine.html").read_bytes())
    mco = (PAGES / "prairie-mco-spravato.html").read_bytes()
    site.set("/ks/spravato.html", mco)
    site.set("/or-mco/spravato.html", mco)
    return [extra]


@pytest.fixture(scope="session")
def publish_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return crawl_demo(tmp_path_factory.mktemp("publish-db"), extra=_medicaid_pages)


@pytest.fixture
def pdb(publish_db: Path, tmp_path: Path) -> Iterator[Database]:
    with private_copy(publish_db, tmp_path / "copy.sqlite") as database:
        yield database


def review(database: Database, source_id: str, status: str) -> int:
    """Record an analyst's verdict on a source's significant change; its event id."""
    with database.session() as s:
        ev = s.scalars(
            select(ChangeEventRecord).where(
                ChangeEventRecord.source_id == source_id, ChangeEventRecord.significant.is_(True)
            )
        ).first()
        assert ev is not None, f"no significant change for {source_id}"
        ev.review_status = status
        return ev.id
