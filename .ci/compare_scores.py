"""Fail unless policywatch's scores equal the corpus's reference scorer's on the same predictions.

Usage: compare_scores.py OURS.json REFERENCE.json LABEL
"""

import json
import sys


def main(ours_path: str, reference_path: str, label: str) -> None:
    with open(ours_path) as fh:
        ours = json.load(fh)["overall"]
    with open(reference_path) as fh:
        ref = json.load(fh)
    for section in ("clauses", "changes"):
        for key, value in ref[section].items():
            mine = ours[section][key]
            if isinstance(value, list):
                value, mine = len(value), len(mine)
            if mine != value:
                sys.exit(f"{label}: {section}.{key}: policywatch {mine} != reference {value}")
    changes = {k: v for k, v in ref["changes"].items() if not isinstance(v, list)}
    print(
        f"{label}: policywatch's scores match the reference scorer:",
        json.dumps(ref["clauses"]),
        json.dumps(changes),
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
