"""Score the extractor's clauses on a labelled corpus with the corpus's reference scorer.

    python bench/score_extract.py CORPUS_DIR [--out predictions.json] [--misses]

Runs ``extract`` on every version file (content type from labels.json ``fetches``), writes a
predictions file (clauses only) and runs ``CORPUS_DIR/_generator/score.py`` on it. With
``--misses`` it also lists gold clauses not found and predictions that match nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.extract import extract
from crawler.extract.text import norm


def _match(a: str, b: str) -> bool:
    p, g = norm(a), norm(b)
    if not p or not g:
        return False
    short, long_ = sorted((p, g), key=len)
    return short in long_ and len(short) >= 0.5 * len(long_)


def predict(corpus: Path) -> tuple[dict[str, dict[str, object]], list[str]]:
    preds: dict[str, dict[str, object]] = {}
    report: list[str] = []
    for labels_path in sorted(corpus.glob("*/labels.json")):
        case = labels_path.parent
        labels = json.loads(labels_path.read_text(encoding="utf-8"))
        clauses: dict[str, list[dict[str, str]]] = {}
        for version in labels["versions"]:
            fetch = labels.get("fetches", {}).get(version, {})
            result = extract((case / version).read_bytes(), fetch.get("content_type"))
            clauses[version] = [
                {"text": c.text, "drug": c.drug, "stance": c.stance, "type": c.type}
                for c in result.clauses
            ]
            report.append(
                f"{case.name}/{version}: {result.outcome} ({len(result.clauses)} clauses)"
            )
            gold = labels["clauses"].get(version, [])
            for g in gold:
                hit = [
                    p
                    for p in clauses[version]
                    if p["drug"] == g["drug"] and _match(p["text"], g["text"])
                ]
                if not hit:
                    report.append(f"  MISS [{g['drug']}/{g['stance']}] {g['text']}")
                elif hit[0]["stance"] != g["stance"]:
                    report.append(f"  STANCE {hit[0]['stance']} != {g['stance']}: {g['text']}")
            for p in clauses[version]:
                if not any(p["drug"] == g["drug"] and _match(p["text"], g["text"]) for g in gold):
                    report.append(f"  EXTRA [{p['drug']}/{p['stance']}] {p['text']}")
        preds[case.name] = {"clauses": clauses, "changes": []}
    return preds, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--out", type=Path, default=Path("predictions.json"))
    parser.add_argument("--misses", action="store_true", help="list misses and extra clauses")
    args = parser.parse_args(argv)
    preds, report = predict(args.corpus)
    args.out.write_text(json.dumps(preds, indent=1, ensure_ascii=False), encoding="utf-8")
    if args.misses:
        print(unicodedata.normalize("NFC", "\n".join(report)))
    scorer = args.corpus / "_generator" / "score.py"
    return subprocess.call([sys.executable, str(scorer), str(args.corpus), str(args.out)])


if __name__ == "__main__":
    sys.exit(main())
