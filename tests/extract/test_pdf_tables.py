"""PDF tables rebuilt from text positions, legends, and the changes they make visible.

Fixtures are built by tests/fixtures/extract/make_pdf_tables.py (reportlab): a PDL over three
pages with a repeated header and a legend above the table, a PA code list over four pages with
no repeated header, and a list whose legend comes after the table.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from crawler.extract import Extraction, extract
from crawler.extract.legend import document_legend, legend_pairs, status_stance
from crawler.extract.model import Block
from monitor.diff import diff_versions

from .conftest import FIXTURES, load_cases

PDL_HEADER = ["Drug / Dosage Form", "Status", "PA", "Notes"]
PA_HEADER = ["HCPCS", "Drug Name", "PA Required", "Review"]


@cache
def read(name: str) -> Extraction:
    ext = extract((FIXTURES / name).read_bytes(), "application/pdf")
    assert ext.outcome == "ok", ext.message
    return ext


def rows(ext: Extraction) -> list[Block]:
    return [b for b in ext.blocks if b.kind == "table_row"]


def row_naming(ext: Extraction, word: str) -> Block:
    found = [b for b in rows(ext) if word.lower() in b.text.lower()]
    assert len(found) == 1, [b.text for b in found]
    return found[0]


def stances(ext: Extraction) -> dict[tuple[str, str], str]:
    return {(c.drug, c.text): c.stance for c in ext.clauses}


def test_pdl_rows_span_three_pages_with_one_header() -> None:
    ext = read("pdl_table_v1.pdf")
    table = rows(ext)
    # 75 generic rows and two drug rows: none merged, none lost at the two page breaks.
    assert len(table) == 77
    assert {b.group for b in table} == {table[0].group}
    assert all(b.columns == PDL_HEADER for b in table)
    # The header row repeated at the top of pages 2 and 3 is not a row.
    assert not any(b.cells == PDL_HEADER for b in table)
    assert table[0].cells == ["amitriptyline tablet", "NP", "PA", "QL"]
    assert table[-1].cells == ["vortioxetine extended-release tablet", "P", "", ""]


def test_pdl_wrapped_cells_stay_in_their_row() -> None:
    row = row_naming(read("pdl_table_v1.pdf"), "spravato")
    assert row.cells == [
        "Spravato (esketamine) nasal spray, 28 mg and 56 mg kits",
        "NP",
        "PA",
        "Given in a certified healthcare setting; clinical criteria in section 7 apply to "
        "every request",
    ]
    assert row.text == " | ".join(row.cells)


def test_pdl_legend_is_a_paragraph_not_a_row_or_clause() -> None:
    ext = read("pdl_table_v1.pdf")
    legend = [b for b in ext.blocks if b.text.startswith("P = Preferred")]
    assert [b.kind for b in legend] == ["paragraph"]
    assert not any("Quantity limit" in c.text for c in ext.clauses)


def test_pdl_status_codes_read_through_the_legend() -> None:
    v1, v2 = read("pdl_table_v1.pdf"), read("pdl_table_v2.pdf")
    esk = "Spravato (esketamine) nasal spray, 28 mg and 56 mg kits"
    ket = "ketamine hydrochloride injection, for psychiatric use"
    assert stances(v1)[("esketamine", esk)] == "non_preferred"
    assert stances(v2)[("esketamine", esk)] == "preferred"
    assert stances(v1)[("ketamine", ket)] == stances(v2)[("ketamine", ket)] == "non_preferred"
    assert all(c.type == "listing" for c in v1.clauses)


def test_move_to_preferred_is_a_stance_change_not_a_removal() -> None:
    events = diff_versions(read("pdl_table_v1.pdf"), read("pdl_table_v2.pdf"))
    assert [(e.kind, e.drug) for e in events] == [("stance_change", "esketamine")]
    assert (events[0].stance_before, events[0].stance_after) == ("non_preferred", "preferred")


def test_pa_list_rows_over_pages_without_repeated_header() -> None:
    ext = read("pa_list_v1.pdf")
    table = rows(ext)
    assert len(table) == 112
    assert all(b.columns == PA_HEADER for b in table)
    # Later pages have no Review band at all: their cells still line up with the header.
    assert all(len(b.cells) == 4 for b in table)
    assert row_naming(ext, "esketamine").cells == [
        "S0013",
        "Esketamine nasal spray, 1 mg",
        "Yes",
        "",
    ]
    assert table[0].cells[3] == "Site of care"
    assert stances(ext)[("esketamine", "Esketamine nasal spray, 1 mg")] == "prior_authorization"
    # The key line under the table is not a row.
    assert not any(b.text.startswith("Y = ") for b in table)


def test_continued_caption_does_not_break_the_table() -> None:
    ext = read("pa_list_continued.pdf")
    table = rows(ext)
    assert len(table) == 112
    assert {b.group for b in table} == {table[0].group}
    assert all(b.columns == PA_HEADER for b in table)
    assert stances(ext) == stances(read("pa_list_v1.pdf"))


def test_facts_above_a_table_stay_apart() -> None:
    """Little prose around a big table: two short label lines are not one wrapped line."""
    ext = read("pa_list_v1.pdf")
    assert (ext.policy_number, ext.effective_date) == ("MB-PA-044", "2026-09-01")


def test_row_removed_from_pa_list_is_reported_removed() -> None:
    before, after = read("pa_list_v1.pdf"), read("pa_list_v2.pdf")
    assert "esketamine" not in {c.drug for c in after.clauses}
    events = diff_versions(before, after)
    assert [(e.kind, e.drug) for e in events] == [("removed", "esketamine")]


def test_legend_after_table_and_spanning_group_rows() -> None:
    ext = read("pdl_legend_after.pdf")
    assert stances(ext) == {
        ("esketamine", "Spravato nasal spray"): "prior_authorization",
        ("ketamine", "Ketamine infusion for mood disorders"): "not_covered",
    }
    key = [b for b in ext.blocks if b.text.startswith("Key:")]
    assert [b.kind for b in key] == ["paragraph"]
    group_rows = [b for b in rows(ext) if b.cells[0].isupper()]
    assert [b.cells for b in group_rows] == [
        ["ANTIDEPRESSANTS, OTHER", "", ""],
        ["ANESTHETICS AND OTHER AGENTS", "", ""],
    ]


def test_html_status_codes_read_through_the_legend() -> None:
    body = (FIXTURES / "pdl_status_codes_legend.html").read_bytes()
    ext = extract(body, "text/html")
    assert stances(ext) == {
        ("esketamine", "Spravato (esketamine) nasal spray device"): "non_preferred",
        ("ketamine", "ketamine HCl vial for at-home psychiatric use"): "not_covered",
    }


def test_status_move_beside_a_pa_flag_is_a_stance_change() -> None:
    """A "PA Req.: Y" flag that stays must not hide NP -> P in the status column."""
    body = (FIXTURES / "pdl_status_codes_legend.html").read_bytes()
    row = b"<td>Spravato (esketamine) nasal spray device</td><td>NP</td>"
    assert row in body
    before = extract(body, "text/html")
    after = extract(body.replace(row, row.replace(b">NP<", b">P<")), "text/html")
    events = diff_versions(before, after)
    assert [(e.kind, e.drug, e.stance_after) for e in events] == [
        ("stance_change", "esketamine", "preferred")
    ]


def test_pdfs_without_tables_keep_their_blocks() -> None:
    """Criteria lists with markers set apart from their text are not tables."""
    for name in ("bare_numbered_list.pdf", "uhc_style_drug_policy.pdf"):
        ext = extract((FIXTURES / name).read_bytes(), "application/pdf")
        assert all(any(ch.isdigit() for ch in b.cells[0]) for b in rows(ext)), (
            "only code-table rows are rows"
        )
        assert any(b.kind == "list_item" for b in ext.blocks)


def test_legend_in_a_column_header_and_a_drug_naming_key_line() -> None:
    columns = ["Product", "Status (P = preferred; NP = non-preferred)"]
    blocks = [
        Block("paragraph", "PA = Prior authorization required for Spravato and ketamine"),
        Block("table_row", "Spravato nasal spray | NP", columns=columns, cells=["x", "NP"]),
        Block("table_row", "sertraline tablet | P", columns=columns, cells=["y", "P"]),
    ]
    assert document_legend(blocks) == {
        "PA": "Prior authorization required for Spravato and ketamine",
        "P": "preferred",
        "NP": "non-preferred",
    }


def test_key_table_is_a_legend_but_a_drug_table_is_not() -> None:
    key = ["Code", "Meaning"]
    drugs = ["Drug", "Status"]
    blocks = [
        Block("table_row", "P | Preferred", columns=key, cells=["P", "Preferred"], group=1),
        Block(
            "table_row", "NP | Non-preferred", columns=key, cells=["NP", "Non-preferred"], group=1
        ),
        # Two-cell rows of another table: one row is not a code, so none of them is a key.
        Block("table_row", "ST | Step", columns=drugs, cells=["ST", "Step therapy"], group=2),
        Block("table_row", "x | NP", columns=drugs, cells=["sertraline tablet", "NP"], group=2),
    ]
    assert document_legend(blocks) == {"P": "Preferred", "NP": "Non-preferred"}


def test_key_line_naming_a_drug_is_not_a_clause() -> None:
    body = (FIXTURES / "pdl_status_codes_legend.html").read_bytes()
    body = body.replace(
        b"PA = Prior authorization required", b"PA = Prior authorization required for Spravato"
    )
    texts = [c.text for c in extract(body, "text/html").clauses]
    assert not any("PA = " in t for t in texts)


CASES: dict[str, list[dict[str, Any]]] = load_cases("legend_cases.toml")


@pytest.mark.parametrize("case", CASES["legend"], ids=lambda c: c["id"])
def test_legend_lines(case: dict[str, Any]) -> None:
    assert legend_pairs(case["text"]) == case.get("pairs")


@pytest.mark.parametrize("case", CASES["status"], ids=lambda c: c["id"])
def test_status_cells(case: dict[str, Any]) -> None:
    legend = legend_pairs(case["legend"]) or {}
    assert status_stance(case["cell"], legend) == case.get("stance")
