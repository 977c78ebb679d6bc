"""`health` as a health check, and listings that stay one record per line in a pipe."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from crawler.registry import load_sources, shipped_registry_files
from storage.db import Database
from storage.models import Source
from tests.cli.helpers import pw

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def _source(source_id: str, **state: object) -> Source:
    return Source(
        id=source_id,
        payer="Acme Health",
        plan_type="commercial",
        state="US",
        document_type="medical_policy",
        title="Ketamine",
        url=f"https://acme.example/{source_id}.html",
        **state,
    )


def test_health_exits_0_when_all_is_well_and_1_when_a_source_needs_an_operator(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'pw.sqlite'}"
    db = Database(url)
    with db.session() as s:
        s.add(_source("acme-fine", last_checked_at=NOW, last_success_at=NOW, health="ok"))
    healthy = pw("health", "--db", url)
    assert healthy.returncode == 0, healthy.stderr
    assert "All sources healthy" in healthy.stdout

    with db.session() as s:
        s.add(
            _source(
                "acme-broken",
                last_checked_at=NOW,
                consecutive_failures=4,
                last_error_kind="http_5xx",
                last_error="HTTP 503",
            )
        )
    db.dispose()
    failing = pw("health", "--db", url)
    assert failing.returncode == 1
    lines = failing.stdout.splitlines()  # a pipe: a header and one line per source
    assert lines[0].split("\t")[:2] == ["source", "problem"]
    assert [line.split("\t")[:2] for line in lines[1:]] == [["acme-broken", "4× http_5xx"]]
    as_json = pw("health", "--db", url, "--all", "--json")
    assert as_json.returncode == 1  # --all and --json change what is printed, not the verdict
    assert [(r["id"], r["problem"]) for r in json.loads(as_json.stdout)["sources"]] == [
        ("acme-broken", "4× http_5xx"),
        ("acme-fine", None),
    ]


def test_sources_list_in_a_pipe_is_one_line_per_source_and_a_header() -> None:
    shipped = load_sources([str(p) for p in shipped_registry_files()])
    result = pw("sources", "list", env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(shipped) + 1
    assert lines[0].split("\t") == ["id", "payer", "plan", "state", "type", "url", "status"]
    rows = [line.split("\t") for line in lines[1:]]
    assert all(len(r) == 7 for r in rows)
    assert [(r[0], r[5]) for r in rows] == [(s.id, s.url) for s in shipped]  # whole, in order
    assert "\x1b[" not in result.stdout and "…" not in result.stdout


def test_changes_in_a_pipe_is_tab_separated_with_whole_values(tmp_path: Path) -> None:
    demo = pw("demo", "--dir", str(tmp_path / "demo"))
    assert demo.returncode == 0, demo.stderr
    url = f"sqlite:///{tmp_path / 'demo' / 'demo.sqlite'}"
    result = pw("changes", "--db", url, "--all", env={"COLUMNS": "60"})
    lines = result.stdout.splitlines()
    header = lines[0].split("\t")
    assert header == ["id", "detected", "source", "kind", "drug", "summary", "status"]
    events = json.loads(pw("changes", "--db", url, "--all", "--json").stdout)["events"]
    assert len(lines) == len(events) + 1
    for line, event in zip(lines[1:], events, strict=True):
        cells = dict(zip(header, line.split("\t"), strict=True))
        assert cells["id"] == str(event["id"]) and cells["source"] == event["source_id"]
        assert cells["detected"] == event["detected_at"][:10] and cells["kind"] == event["kind"]
        assert cells["summary"] == " ".join(event["summary"].split())


def test_a_terminal_table_never_folds_an_id_or_a_url() -> None:
    import io

    from rich.console import Console

    from monitor.cli.common import table

    shipped = load_sources([str(p) for p in shipped_registry_files()])[:40]
    rows = [(s.id, s.payer, s.plan_type, s.state, s.document_type, s.url) for s in shipped]
    out = io.StringIO()
    Console(file=out, width=100, color_system=None).print(
        table("sources", ["id", "payer", "plan", "state", "type", "url"], rows)
    )
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in out.getvalue().splitlines()]
    ids = [r[0] for r in cells if r and r[0]]
    urls = [r[5] for r in cells if len(r) == 6 and r[5]]
    # One line per id: whole, or cut short with "…" (never continued on the next line).
    assert len(ids) == len(shipped)
    for shown, src in zip(ids, shipped, strict=True):
        assert shown == src.id or (shown.endswith("…") and src.id.startswith(shown[:-1]))
    for shown, src in zip(urls, shipped, strict=True):
        assert shown == src.url or (shown.endswith("…") and src.url.startswith(shown[:-1]))
