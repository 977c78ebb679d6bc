"""Score the change classifier alone, on extractions built from the corpus's gold clauses.

    python bench/score_diff_gold.py CORPUS [--out predictions.json] [--verbose]

Each version's gold clauses become an :class:`Extraction`; every gold ``(from, to)`` pair is
diffed the way the monitor would (the previous *good* version as ``before``), predictions are
written in the corpus README's format and the corpus's own ``score.py`` scores them. This
isolates the diff from extraction errors; the end-to-end figure comes from ``policywatch
evaluate``.

Gold labels do not say which version is an outage page (its clause list is simply empty), so
this script — and only this script — reads that from the ``unavailable`` entries of ``changes``:
an empty version at either end of an ``unavailable`` pair is treated as a maintenance page.
The library itself never sees labels.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.extract.model import Clause, Extraction
from monitor.diff import diff_versions


def gold_clauses(items: list[dict[str, Any]]) -> list[Clause]:
    """Gold clause dicts → Clause objects, criteria hung under the statement before them."""
    out: list[Clause] = []
    parent: dict[str, str] = {}
    for it in items:
        drug = it["drug"]
        path: list[str] = []
        if it["type"] == "statement":
            parent[drug] = it["text"]
        elif it["type"] in ("criterion", "limitation") and drug in parent:
            path = [parent[drug]]
        out.append(
            Clause(
                text=it["text"],
                drug=drug,
                stance=it["stance"],
                type=it["type"],
                path=path,
                indication=it.get("indication"),
            )
        )
    return out


def outage_versions(labels: dict[str, Any]) -> set[str]:
    """Versions that are outage pages: empty, and an end of an ``unavailable`` gold pair."""
    out: set[str] = set()
    for ch in labels["changes"]:
        if ch["kind"] != "unavailable":
            continue
        for v in (ch["from"], ch["to"]):
            if not labels["clauses"].get(v):
                out.add(v)
    return out


def build(labels: dict[str, Any]) -> dict[str, Extraction]:
    bad = outage_versions(labels)
    src = labels["source"]
    exts: dict[str, Extraction] = {}
    for v in labels["versions"]:
        clauses = gold_clauses(labels["clauses"].get(v, []))
        outcome = "maintenance" if v in bad else "ok" if clauses else "no_drug_content"
        exts[v] = Extraction(
            outcome=outcome,
            format=src.get("format", "html"),
            title=None if v in bad else src.get("title"),
            policy_number=None if v in bad else src.get("policy_number"),
            clauses=clauses,
        )
    return exts


def url_of(labels: dict[str, Any], v: str) -> str | None:
    f = labels.get("fetches", {}).get(v, {})
    return f.get("final_url") or f.get("url")


def predict_case(labels: dict[str, Any], verbose: bool = False) -> list[dict[str, Any]]:
    exts = build(labels)
    order = labels["versions"]
    payer = labels["source"].get("payer")

    def last_good(upto: str) -> str | None:
        # The newest good version at or before ``upto`` in fetch order.
        for v in reversed(order[: order.index(upto) + 1]):
            if exts[v].good:
                return v
        return None

    preds: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for ch in labels["changes"]:
        pair = (ch["from"], ch["to"])
        if pair in seen:
            continue
        seen.add(pair)
        frm, to = pair
        base = last_good(frm)
        outage = not exts[frm].good and exts[to].good
        events = diff_versions(
            exts[base] if base else None,
            exts[to],
            url_before=url_of(labels, base) if base else None,
            url_after=url_of(labels, to),
            payer=payer,
            after_outage=outage,
        )
        if verbose:
            gold = ", ".join(
                f"{c['kind']}/{c['drug']}"
                for c in labels["changes"]
                if (c["from"], c["to"]) == pair
            )
            print(f"  {frm}->{to} (base {base}) gold: {gold}")
            for ev in events:
                print(f"      {ev.kind:16} {ev.drug!s:11} {ev.summary}")
                for cc in ev.clause_changes[:6]:
                    print(f"          {cc.op}: {cc.redline[:160]}")
        if not events:
            preds.append(
                {"from": frm, "to": to, "significant": False, "kind": "noise", "drug": None}
            )
        for ev in events:
            preds.append(
                {
                    "from": frm,
                    "to": to,
                    "significant": ev.significant,
                    "kind": ev.kind,
                    "drug": ev.drug,
                }
            )
    return preds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument(
        "--out", type=Path, default=None, help="where to write predictions (default: temp file)"
    )
    ap.add_argument("--verbose", "-v", action="store_true", help="print events per pair")
    args = ap.parse_args(argv)
    preds: dict[str, Any] = {}
    for lab_path in sorted(args.corpus.glob("*/labels.json")):
        labels = json.loads(lab_path.read_text(encoding="utf-8"))
        if args.verbose:
            print(lab_path.parent.name)
        preds[lab_path.parent.name] = {"clauses": {}, "changes": predict_case(labels, args.verbose)}
    out = args.out or Path(tempfile.mkstemp(prefix="diff_gold_", suffix=".json")[1])
    out.write_text(json.dumps(preds, indent=1), encoding="utf-8")
    print(f"predictions: {out}")
    scorer = args.corpus / "_generator" / "score.py"
    return subprocess.call([sys.executable, str(scorer), str(args.corpus), str(out)])


if __name__ == "__main__":
    sys.exit(main())
