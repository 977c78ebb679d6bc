"""`policywatch sources check`: one polite fetch per source, a verdict each, `verified` dates."""

from __future__ import annotations

import difflib
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from monitor.sites.localsite import LocalSite
from tests.discovery.helpers import cli, cli_json, config_file
from tests.support.samples import SAMPLE_HTML

MAINTENANCE = (
    "<html><head><title>Maintenance</title></head><body><h1>We'll be back soon</h1>"
    "<p>This site is down for scheduled maintenance.</p></body></html>"
)
REGISTRY = """\
# Hand-written registry: this comment and the blank lines must survive --update.

[[source]]
id = "doc-ok"  # the good one
payer = "Example Health"
plan_type = "commercial"
state = "US"
document_type = "medical_policy"
title = "Ketamine policy"
url = "{ok}"
drugs = ["ketamine"]
verified = ""

[[source]]
id = "doc-moved"
payer = "Example Health"
plan_type = "commercial"
state = "US"
document_type = "medical_policy"
title = "Ketamine policy (old address)"
url = "{moved}"
drugs = ["ketamine"]

[[source]]
id = "doc-gone"
payer = "Example Health"
plan_type = "commercial"
state = "US"
document_type = "medical_policy"
title = "Removed"
url = "{gone}"
verified = "2024-01-01"

[[source]]
id = "doc-private"
payer = "Example Health"
plan_type = "commercial"
state = "US"
document_type = "medical_policy"
title = "Disallowed by robots.txt"
url = "{private}"

[[source]]
id = "doc-maintenance"
payer = "Example Health"
plan_type = "commercial"
state = "US"
document_type = "medical_policy"
title = "Maintenance page"
url = "{maint}"
drugs = ["esketamine"]
"""


def _setup(site: LocalSite, tmp_path: Path) -> Path:
    site.set("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    site.set("/policy.html", SAMPLE_HTML)
    site.redirect("/old/policy.html", "/policy.html")
    site.set("/private/policy.html", SAMPLE_HTML)
    site.set("/maintenance.html", MAINTENANCE)
    path = tmp_path / "registry.toml"
    path.write_text(
        REGISTRY.format(
            ok=site.url("/policy.html"),
            moved=site.url("/old/policy.html"),
            gone=site.url("/gone.html"),
            private=site.url("/private/policy.html"),
            maint=site.url("/maintenance.html"),
        )
    )
    return path


def test_check_reports_each_source_and_update_dates_only_passing_entries(
    site: LocalSite, tmp_path: Path, sqlite_url: str
) -> None:
    registry = _setup(site, tmp_path)
    common = ("--config", str(config_file(tmp_path, sqlite_url)), "--sources", str(registry))
    before = registry.read_text()

    out = cli_json("sources", "check", "--json", "--update", *common)
    results = {r["source_id"]: r for r in out["results"]}
    ok, moved = results["doc-ok"], results["doc-moved"]
    assert (ok["http_status"], ok["passed"], ok["robots_allowed"]) == (200, True, True)
    assert ok["content_type"].startswith("text/html") and ok["outcome"] == "ok"
    assert "ketamine" in ok["found_drugs"] and ok["drugs_ok"] is True
    assert moved["passed"] and moved["final_url"] == site.url("/policy.html")
    assert moved["redirects"] == [
        {"status": 301, "from": site.url("/old/policy.html"), "to": site.url("/policy.html")}
    ]
    assert (results["doc-gone"]["http_status"], results["doc-gone"]["passed"]) == (404, False)
    private = results["doc-private"]
    assert (private["robots_allowed"], private["error_kind"], private["passed"]) == (
        False,
        "robots",
        False,
    )
    maint = results["doc-maintenance"]
    assert (maint["outcome"], maint["passed"], maint["drugs_ok"]) == ("maintenance", False, False)
    assert site.hits("/private/policy.html") == []  # robots.txt obeyed

    today = datetime.now(UTC).date().isoformat()
    after = registry.read_text()
    verified = {e["id"]: e.get("verified") for e in tomllib.loads(after)["source"]}
    assert verified == {
        "doc-ok": today,
        "doc-moved": today,
        "doc-gone": "2024-01-01",  # a failing entry keeps its last good date
        "doc-private": None,
        "doc-maintenance": None,
    }
    # Only the verified values changed: comments, blank lines and key order are kept.
    diff = [
        line
        for line in difflib.ndiff(before.splitlines(), after.splitlines())
        if line[:2] in ("- ", "+ ")
    ]
    assert sorted(diff) == sorted(
        ['- verified = ""', f'+ verified = "{today}"', f'+ verified = "{today}"']
    )
    assert "# the good one" in after and after.startswith("# Hand-written registry")


def test_check_one_source_exit_status_and_table(
    site: LocalSite, tmp_path: Path, sqlite_url: str
) -> None:
    registry = _setup(site, tmp_path)
    common = ("--config", str(config_file(tmp_path, sqlite_url)), "--sources", str(registry))
    good = cli("sources", "check", "--source", "doc-ok", *common)
    assert good.exit_code == 0 and "doc-ok" in good.output
    bad = cli("sources", "check", "doc-gone", *common)  # as the registry README writes it
    assert bad.exit_code == 1 and "404" in bad.output
    assert registry.read_text().count('verified = ""') == 1  # no --update: file untouched
