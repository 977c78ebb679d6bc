"""Scores for a labelled corpus, as its README defines them (clauses and change pairs).

The definitions mirror the corpus's reference scorer so `policywatch evaluate` and that scorer
agree on the same predictions file; CI checks that they do.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

MIN_OVERLAP = 0.5
_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
    }
)
_DASHES = re.compile("[\u2010-\u2015\u2212]")
_SPACE = re.compile(r"\s+")


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = _DASHES.sub("-", text).replace("\u00ad", "")
    return _SPACE.sub("", text.lower())


def clause_match(pred: str, gold: str) -> bool:
    p, g = norm(pred), norm(gold)
    if not p or not g:
        return False
    if g in p:
        return len(g) >= MIN_OVERLAP * len(p)
    if p in g:
        return len(p) >= MIN_OVERLAP * len(g)
    return False


def _div(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None


@dataclass
class CaseScore:
    case_id: str
    gold: int = 0
    gold_stmt: int = 0
    predicted: int = 0
    matched: int = 0
    matched_stmt: int = 0
    stance_ok: int = 0
    distractor_hits: int = 0
    missed_clauses: list[dict[str, Any]] = field(default_factory=list)
    extra_clauses: list[dict[str, Any]] = field(default_factory=list)
    wrong_stance: list[dict[str, Any]] = field(default_factory=list)
    pairs: list[dict[str, Any]] = field(default_factory=list)


def score_case(case_id: str, labels: dict[str, Any], pred: dict[str, Any]) -> CaseScore:
    s = CaseScore(case_id)
    for v in labels["versions"]:
        gold = labels["clauses"].get(v, [])
        predicted = list(pred.get("clauses", {}).get(v, []))
        s.gold += len(gold)
        s.gold_stmt += sum(1 for g in gold if g.get("type") in ("statement", "listing"))
        s.predicted += len(predicted)
        used: set[int] = set()
        for g in gold:
            for i, p in enumerate(predicted):
                if i in used or p.get("drug") != g["drug"]:
                    continue
                if clause_match(p.get("text", ""), g["text"]):
                    used.add(i)
                    s.matched += 1
                    if g.get("type") in ("statement", "listing"):
                        s.matched_stmt += 1
                    if p.get("stance") == g["stance"]:
                        s.stance_ok += 1
                    else:
                        s.wrong_stance.append(
                            {
                                "version": v,
                                "text": g["text"],
                                "gold": g["stance"],
                                "predicted": p.get("stance"),
                            }
                        )
                    break
            else:
                s.missed_clauses.append({"version": v, **g})
        distractors = labels.get("distractors", {}).get(v, [])
        for i, p in enumerate(predicted):
            if i in used:
                continue
            text = p.get("text", "")
            hit = any(clause_match(text, d) or norm(d) in norm(text) for d in distractors)
            s.distractor_hits += hit
            s.extra_clauses.append({"version": v, "distractor": hit, **p})
    by_pair: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for ch in pred.get("changes", []):
        by_pair.setdefault((ch["from"], ch["to"]), []).append(ch)
    gold_pairs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for ch in labels["changes"]:
        gold_pairs.setdefault((ch["from"], ch["to"]), []).append(ch)
    for pair, gl in gold_pairs.items():
        pl = by_pair.get(pair, [])
        g_sig = any(c["significant"] for c in gl)
        p_sig = any(c.get("significant") for c in pl)
        outcome = "tp" if g_sig and p_sig else "fn" if g_sig else "fp" if p_sig else "tn"
        s.pairs.append(
            {
                "from": pair[0],
                "to": pair[1],
                "outcome": outcome,
                "gold": gl,
                "predicted": pl,
                "kinds_ok": [
                    any(p.get("kind") == g["kind"] and p.get("drug") == g["drug"] for p in pl)
                    for g in gl
                    if g["significant"]
                ],
                "unavailable": [
                    (g["kind"] == "unavailable", any(p.get("kind") == "unavailable" for p in pl))
                    for g in gl
                ],
            }
        )
    return s


def totals(cases: list[CaseScore], *, changes_available: bool = True) -> dict[str, Any]:
    g = sum(c.gold for c in cases)
    gs = sum(c.gold_stmt for c in cases)
    p = sum(c.predicted for c in cases)
    m = sum(c.matched for c in cases)
    ms = sum(c.matched_stmt for c in cases)
    ok = sum(c.stance_ok for c in cases)
    result: dict[str, Any] = {
        "clauses": {
            "gold": g,
            "predicted": p,
            "matched": m,
            "precision": _div(m, p),
            "recall": _div(m, g),
            "statement_recall": _div(ms, gs),
            "stance_accuracy_on_matched": _div(ok, m),
            "distractor_false_positives": sum(c.distractor_hits for c in cases),
        },
    }
    if not changes_available:
        result["changes"] = None
        return result
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    kinds = [k for c in cases for pair in c.pairs for k in pair["kinds_ok"]]
    unav = [u for c in cases for pair in c.pairs for u in pair["unavailable"] if u[0]]
    alarms, missed = [], []
    for c in cases:
        for pair in c.pairs:
            counts[pair["outcome"]] += 1
            label = f"{c.case_id} {pair['from']}->{pair['to']}"
            if pair["outcome"] == "fp":
                alarms.append(f"{label} ({pair['gold'][0]['kind']})")
            if pair["outcome"] == "fn":
                missed.append(f"{label} ({'/'.join(x['kind'] for x in pair['gold'])})")
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    result["changes"] = {
        "pairs": sum(counts.values()),
        **counts,
        "significance_precision": _div(tp, tp + fp),
        "significance_recall": _div(tp, tp + fn),
        "significance_f1": _div(2 * tp, 2 * tp + fp + fn),
        "kind_and_drug_accuracy_on_significant": _div(sum(kinds), len(kinds)),
        "unavailable_detected": f"{sum(1 for u in unav if u[1])}/{len(unav)}",
        # The same as a share, so a floor file can require every outage page to be recognised.
        "unavailable_recall": _div(sum(1 for u in unav if u[1]), len(unav)),
        "false_alarms": alarms,
        "missed": missed,
    }
    return result
