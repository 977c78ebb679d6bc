"""The benchmarks measure what they claim: real policies in, every process's CPU counted."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import measure  # noqa: E402
from policy_pages import build_html, document  # noqa: E402

from crawler.extract import extract  # noqa: E402


def _stances(body: bytes, ctype: str) -> set[tuple[str, str]]:
    ext = extract(body, ctype)
    assert ext.outcome == "ok", ext.message
    return {(c.drug, c.stance) for c in ext.clauses}


def test_synthetic_policies_are_distinct_sized_policies_with_esketamine_criteria() -> None:
    docs = [document(i) for i in range(20)]
    assert len({body for body, _ in docs}) == 20  # storage must not fold them together
    html = [body for body, ctype in docs if ctype.startswith("text/html")]
    assert len(html) == 18 and all(50_000 <= len(b) <= 310_000 for b in html)
    for body, ctype in (docs[0], docs[9]):  # one HTML page, one PDF
        found = _stances(body, ctype)
        assert ("esketamine", "covered_with_criteria") in found
        assert any(drug == "ketamine" for drug, _ in found)


def test_variants_change_what_an_analyst_cares_about() -> None:
    base = _stances(build_html(3, 60_000, 0), "text/html")
    stance = _stances(build_html(3, 60_000, 2), "text/html")
    assert ("esketamine", "covered_with_criteria") in base
    assert ("esketamine", "covered_with_criteria") not in stance
    criteria = extract(build_html(3, 60_000, 1), "text/html")
    assert any("three oral antidepressants" in c.text for c in criteria.clauses)


def test_cpu_of_a_pool_nobody_waits_for_is_counted(tmp_path: Path) -> None:
    script = tmp_path / "pool.py"
    script.write_text(
        "import multiprocessing as mp\n"
        "def burn(n):\n"
        "    return sum(range(n))\n"
        "if __name__ == '__main__':\n"
        "    pool = mp.get_context('forkserver').Pool(2)\n"
        "    print(sum(pool.map(burn, [6_000_000] * 4)))\n"
        "    pool.close()\n"  # no join: the fork server and workers are left to whoever reaps
    )
    usage = measure.run([sys.executable, str(script)])
    assert usage.returncode == 0, usage.stderr
    alone = measure.run([sys.executable, "-c", "print(sum(range(6_000_000)))"])
    # Four times the work of one burn ran in the workers; their CPU is in the figure.
    assert usage.cpu > alone.cpu * 2
    assert usage.max_rss_mib > 0 and usage.tree_rss_mib > 0


@pytest.mark.parametrize("code", [0, 3])
def test_measured_command_keeps_its_exit_status_and_output(code: int) -> None:
    usage = measure.run([sys.executable, "-c", f"print('hi'); raise SystemExit({code})"])
    assert (usage.returncode, usage.stdout.strip()) == (code, "hi")
