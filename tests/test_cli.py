"""The `policywatch` command line, run as a user runs it: a real process, real files."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.sites.demo import document
from monitor.sites.localsite import LocalSite
from tests.support.crawling import source, write_registry
from tests.support.waiting import LineReader

ROOT = Path(__file__).resolve().parent.parent


def pw(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or ROOT,
        timeout=300,
    )


COMMANDS = {
    (): {
        *("run", "schedule", "demo", "crawl", "diff", "changes", "report", "publish", "review"),
        *("extract", "reextract", "evaluate", "history", "health", "show", "sources", "db"),
        *("serve", "users", "worker", "cluster"),
    },
    ("sources",): {"list", "validate", "check", "discover", "accept"},
    ("db",): {"upgrade", "check", "backup", "restore"},
    ("users",): {"add", "list", "remove", "token"},
    ("cluster",): {"status"},
}


def _listed_commands(help_text: str) -> set[str]:
    """The names in the "Commands:" section of click's --help."""
    section = help_text.split("Commands:", 1)[1]
    # A name starts a line two spaces in; a help text wrapped onto the next line is deeper.
    names = (line for line in section.splitlines() if line.startswith("  "))
    return {line.split()[0] for line in names if not line.startswith("   ")}


@pytest.mark.parametrize("group", COMMANDS, ids=lambda g: " ".join(g) or "policywatch")
def test_help_lists_exactly_the_commands(group: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*group, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    assert _listed_commands(result.output) == COMMANDS[group]


def test_the_readme_command_table_names_every_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `policywatch ([a-z-]+)", readme, flags=re.M))
    assert documented == COMMANDS[()]


def test_sources_validate_names_file_entry_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[source]]\nid = "acme-policy"\npayer = "Acme"\nplan_type = "commercial"\n'
        'state = "US"\ndocument_type = "medical_policy"\ntitle = "K"\n'
        'url = "ftp://acme.example/k"\n'
    )
    result = pw("sources", "validate", "--sources", str(bad))
    assert result.returncode == 1
    assert str(bad) in result.stderr and "acme-policy" in result.stderr and "'url'" in result.stderr


def test_shipped_registry_validates() -> None:
    result = pw("sources", "validate")
    assert result.returncode == 0, result.stderr
    assert "sources valid" in result.stdout


@pytest.mark.e2e
def test_crawl_history_show_and_exit_status(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    body = document("round1", "evergreen-ketamine.html")
    config = tmp_path / "policywatch.toml"
    config.write_text("[crawl]\ndownload_delay = 0.0\ntimeout = 2.0\nretries = 0\n")
    with LocalSite() as site:
        site.set("/k.html", body)
        good = write_registry(tmp_path / "good.toml", [source("evergreen", site.url("/k.html"))])
        ok = pw(
            "crawl", "--config", str(config), "--db", db, "--sources", str(good), "--per-source"
        )
        assert ok.returncode == 0, ok.stderr
        assert "1 new version" in ok.stdout
        site.set("/gone.html", "gone", status=404)
        mixed = write_registry(
            tmp_path / "mixed.toml",
            [source("evergreen", site.url("/k.html")), source("gone-page", site.url("/gone.html"))],
        )
        failed = pw("crawl", "--config", str(config), "--db", db, "--sources", str(mixed), "--json")
    assert failed.returncode == 1
    summary = json.loads(failed.stdout)["run"]
    assert summary["failed"] == 1 and summary["unchanged"] == 1
    assert summary["failures"][0]["kind"] == "http_4xx"

    history = json.loads(pw("history", "evergreen", "--db", db, "--json").stdout)
    assert len(history["snapshots"]) == 1 and history["source"]["id"] == "evergreen"
    version = history["snapshots"][0]
    assert version["sha256"] == hashlib.sha256(body).hexdigest()
    raw = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor.cli",
            "show",
            str(version["id"]),
            "--db",
            db,
            "--raw",
        ],
        capture_output=True,
        cwd=ROOT,
        check=True,
    )
    assert raw.stdout == body
    shown = json.loads(pw("show", str(version["id"]), "--db", db, "--json").stdout)
    assert shown["snapshot"] == version
    assert shown["extraction"]["outcome"] == "ok"
    assert {c["drug"] for c in shown["extraction"]["clauses"]} == {"ketamine", "esketamine"}

    again = pw("reextract", "--db", db)
    assert again.returncode == 0 and "1 snapshot" in again.stdout


@pytest.mark.e2e
def test_demo_shows_real_changes_and_stays_silent_on_noise(tmp_path: Path) -> None:
    result = pw("demo", "--dir", str(tmp_path / "demo"))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "criteria_change" in out and "stance_change" in out and "unavailable" in out
    db = f"sqlite:///{tmp_path / 'demo' / 'demo.sqlite'}"
    # It ends by saying how to open the review workspace on its database.
    assert f"policywatch serve --db {db}" in out and "users add" in out
    events = json.loads(pw("changes", "--db", db, "--all", "--json").stdout)["events"]
    kinds = {(e["source_id"], e["kind"]) for e in events}
    assert kinds == {
        ("demo-evergreen-ketamine", "criteria_change"),
        ("demo-columbia-pdl", "stance_change"),
        ("demo-ridgeline-ketamine", "unavailable"),
    }
    # The demo publishes its public site too and ends with the path of its index.html.
    index = tmp_path / "demo" / "site" / "index.html"
    assert out.strip().splitlines()[-1] == str(index) and index.is_file()
    assert len(list((tmp_path / "demo" / "site" / "states").glob("*.html"))) == 51


def test_extract_explains_one_document() -> None:
    path = ROOT / "monitor" / "sites" / "demo_data" / "round1" / "columbia-medicaid-pdl.html"
    result = pw("extract", str(path), "--json")
    data = json.loads(result.stdout)
    assert data["outcome"] == "ok"
    assert [(c["drug"], c["stance"]) for c in data["clauses"] if c["type"] == "listing"] == [
        ("esketamine", "non_preferred")
    ]


def _write_case(
    root: Path, name: str, versions: dict[str, bytes], labels: dict[str, object]
) -> None:
    case = root / name
    case.mkdir(parents=True)
    for filename, body in versions.items():
        (case / filename).write_bytes(body)
    (case / "labels.json").write_text(json.dumps(labels))


@pytest.mark.e2e
def test_evaluate_scores_a_labelled_corpus_through_the_real_path(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    url = "https://health.example/policies/ketamine.html"
    fetch = {
        "url": url,
        "final_url": url,
        "http_status": 200,
        "content_type": "text/html; charset=utf-8",
        "fetched_at": "2026-01-01T00:00:00Z",
    }
    criterion_v1 = (
        "The member has a diagnosis of major depressive disorder and has had an "
        "inadequate response to at least three (3) different oral antidepressants, "
        "each taken for at least eight (8) weeks at an adequate dose, in the current "
        "episode"
    )
    _write_case(
        corpus,
        "policy_change",
        {
            "v1.html": document("round1", "evergreen-ketamine.html"),
            "v2.html": document("round2", "evergreen-ketamine.html"),
        },
        {
            "source": {
                "payer": "Evergreen",
                "plan_type": "commercial",
                "state": "US",
                "format": "html",
                "document_type": "medical_policy",
                "url": url,
                "title": "Ketamine",
                "policy_number": "MP-7.14.02",
            },
            "versions": ["v1.html", "v2.html"],
            "fetches": {"v1.html": fetch, "v2.html": fetch},
            "clauses": {
                "v1.html": [
                    {
                        "text": criterion_v1,
                        "drug": "esketamine",
                        "stance": "covered_with_criteria",
                        "type": "criterion",
                    }
                ],
                "v2.html": [],
            },
            "distractors": {
                "v1.html": ["Ketamine is an anesthetic agent approved by the FDA in 1970"],
                "v2.html": [],
            },
            "changes": [
                {
                    "from": "v1.html",
                    "to": "v2.html",
                    "significant": True,
                    "kind": "criteria_change",
                    "drug": "esketamine",
                }
            ],
        },
    )
    _write_case(
        corpus,
        "outage",
        {
            "v1.html": document("round1", "ridgeline-ketamine.html"),
            "v2.html": document("round2", "ridgeline-ketamine.html"),
        },
        {
            "source": {
                "payer": "Ridgeline",
                "plan_type": "commercial",
                "state": "CO",
                "format": "html",
                "document_type": "medical_policy",
                "url": url,
                "title": "K",
                "policy_number": None,
            },
            "versions": ["v1.html", "v2.html"],
            "fetches": {"v1.html": fetch, "v2.html": fetch},
            "clauses": {"v1.html": [], "v2.html": []},
            "distractors": {"v1.html": [], "v2.html": []},
            "changes": [
                {
                    "from": "v1.html",
                    "to": "v2.html",
                    "significant": False,
                    "kind": "unavailable",
                    "drug": None,
                }
            ],
        },
    )
    predictions = tmp_path / "pred.json"
    passing = tmp_path / "passing.toml"
    passing.write_text("clause_recall = 1.0\nmax_false_alarms = 0\nunavailable_recall = 1.0\n")
    result = pw(
        "evaluate",
        str(corpus),
        "--predictions",
        str(predictions),
        "--json",
        "--floor",
        str(passing),
    )
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)["overall"]
    assert scores["clauses"]["recall"] == 1.0
    assert scores["clauses"]["distractor_false_positives"] == 0
    assert scores["changes"]["significance_recall"] == 1.0
    assert scores["changes"]["fp"] == 0
    assert scores["changes"]["unavailable_detected"] == "1/1"
    assert scores["changes"]["unavailable_recall"] == 1.0
    written = json.loads(predictions.read_text())
    assert set(written) == {"policy_change", "outage"}
    assert {
        "from": "v1.html",
        "to": "v2.html",
        "kind": "criteria_change",
        "drug": "esketamine",
        "significant": True,
    }.items() <= written["policy_change"]["changes"][0].items()
    floor = tmp_path / "floor.toml"
    floor.write_text("clause_precision = 1.01\n")
    below = pw("evaluate", str(corpus), "--floor", str(floor))
    assert below.returncode == 1 and "below floor" in below.stdout


@pytest.mark.e2e
def test_schedule_lists_jobs_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    import signal

    db = f"sqlite:///{tmp_path / 'sched.sqlite'}"
    config = tmp_path / "policywatch.toml"
    config.write_text('[schedule]\ncycle = "30 5 * * *"\ndigest = "0 8 * * 1"\n')
    listed = pw("schedule", "--list", "--config", str(config), "--db", db)
    assert listed.returncode == 0, listed.stderr
    assert "policywatch-cycle" in listed.stdout and "policywatch-digest" in listed.stdout
    assert "05:30" in listed.stdout

    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "schedule", "--config", str(config), "--db", db],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    # The readiness line is printed once the signal handlers are installed.
    output = LineReader(proc.stdout)
    output.wait_for("Scheduler running")
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert proc.stderr is not None
    err, out = proc.stderr.read(), output.rest()
    assert proc.returncode == 0, err
    assert "Scheduler stopped" in out
    relisted = pw("schedule", "--list", "--config", str(config), "--db", db)
    assert relisted.stdout.count("policywatch-cycle") == 1  # a restart does not duplicate


def test_bad_cron_expression_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "policywatch.toml"
    config.write_text('[schedule]\ncycle = "every day"\n')
    result = pw(
        "schedule", "--list", "--config", str(config), "--db", f"sqlite:///{tmp_path / 'x.sqlite'}"
    )
    assert result.returncode == 1
    assert "cycle" in result.stderr and "cron" in result.stderr


@pytest.mark.e2e
def test_health_lists_quarantined_and_failing_sources(tmp_path: Path) -> None:
    result = pw("demo", "--dir", str(tmp_path / "demo"))
    assert result.returncode == 0, result.stderr
    db = f"sqlite:///{tmp_path / 'demo' / 'demo.sqlite'}"
    needing = pw("health", "--db", db, "--json")
    assert needing.returncode == 1  # a source needs an operator: a failing health check
    rows = json.loads(needing.stdout)["sources"]
    assert [(r["id"], r["problem"]) for r in rows] == [
        ("demo-ridgeline-ketamine", "quarantined: maintenance")
    ]
    everything = json.loads(pw("health", "--db", db, "--all", "--json").stdout)["sources"]
    assert len(everything) == 5


@pytest.mark.e2e
def test_review_records_the_verdict_and_note(tmp_path: Path) -> None:
    assert pw("demo", "--dir", str(tmp_path / "demo")).returncode == 0
    db = f"sqlite:///{tmp_path / 'demo' / 'demo.sqlite'}"
    first = json.loads(pw("changes", "--db", db, "--json").stdout)["events"][0]
    done = pw("review", str(first["id"]), "dismissed", "--note", "template glitch", "--db", db)
    assert done.returncode == 0, done.stderr
    listed = json.loads(pw("changes", "--db", db, "--json").stdout)["events"]
    after = {e["id"]: e for e in listed}
    assert after[first["id"]]["review_status"] == "dismissed"
    assert after[first["id"]]["review_note"] == "template glitch"
    missing = pw("review", "99999", "confirmed", "--db", db)
    assert missing.returncode == 1 and "no event 99999" in missing.stdout
