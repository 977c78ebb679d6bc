"""Structure and context across blocks: what one-sentence catalogue cases cannot show."""

from __future__ import annotations

from crawler.extract import Extraction, extract


def _page(body: str, title: str = "Spravato (esketamine) Nasal Spray") -> Extraction:
    html = (
        f"<html><head><title>{title}</title></head><body><main><h1>{title}</h1>"
        f"{body}</main></body></html>"
    )
    return extract(html.encode(), "text/html; charset=utf-8")


def _read(ext: Extraction) -> list[tuple[str, str, str, str]]:
    return [(c.drug, c.stance, c.type, c.text) for c in ext.clauses]


def test_label_and_value_on_separate_lines_are_one_limitation() -> None:
    ext = _page("<h2>Prior Authorization (Initial)</h2><p>Approval length:</p><p>3 months</p>")
    assert _read(ext) == [
        ("esketamine", "covered_with_criteria", "limitation", "Approval length: 3 months")
    ]


def test_a_sibling_section_on_another_topic_ends_the_statement() -> None:
    ext = _page(
        "<h2>Spravato added to prior authorization</h2>"
        "<p>Spravato will be added to the prior authorization program on May 1.</p>"
        "<h2>Quantity limits updated for other pens</h2>"
        "<p>Initial fills are limited to 28 days of supply.</p>",
        title="Pharmacy Alerts",
    )
    assert [c.text for c in ext.clauses] == [
        "Spravato will be added to the prior authorization program on May 1."
    ]


def test_a_criteria_sub_heading_keeps_the_statement() -> None:
    ext = _page(
        "<h2>Coverage</h2><p>Spravato is medically necessary when all of the following are"
        " met:</p><ul><li>Age 18 or older</li></ul>"
        "<h3>Continuation of Spravato therapy</h3><ul><li>Documented response</li></ul>"
        "<h3>Approval Duration</h3><p>Renewal: 12 months.</p>"
    )
    assert ("esketamine", "covered_with_criteria", "criterion", "Documented response") in _read(ext)
    assert ("esketamine", "covered_with_criteria", "limitation", "Renewal: 12 months.") in _read(
        ext
    )


def test_limitations_limit_the_approving_statement_not_a_later_exclusion() -> None:
    ext = _page(
        "<h2>Policy</h2><p>Spravato may be considered medically necessary for TRD.</p>"
        "<p>Spravato is considered investigational for all other uses.</p>"
        "<h2>Approval Duration</h2><p>TRD: 6 months, renewal 12 months.</p>"
    )
    assert ("esketamine", "covered_with_criteria", "limitation") in [
        (d, s, t) for d, s, t, _ in _read(ext)
    ]


def test_a_heading_naming_another_drug_resets_the_context() -> None:
    ext = _page(
        "<h2>Coverage</h2><p>Spravato is medically necessary when criteria are met.</p>"
        "<h2>Intravenous ketamine</h2><p>It is considered investigational for depression.</p>"
        "<h2>References</h2><p>It is considered medically necessary by several reviews.</p>"
    )
    assert [(c.drug, c.stance) for c in ext.clauses] == [
        ("esketamine", "covered_with_criteria"),
        ("ketamine", "experimental"),
    ]


def test_a_citation_list_under_an_unknown_heading_is_context() -> None:
    ext = _page(
        "<h2>Coverage</h2><p>Spravato is medically necessary when criteria are met.</p>"
        "<h2>Notes and Readings</h2><ol>"
        "<li>Roe A, Poe B. Esketamine is covered by most plans. J Examples. 2020;3(1):1-9.</li>"
        "<li>Lee C, et al. Ketamine infusion is not medically necessary. 2019.</li></ol>"
    )
    assert [c.text for c in ext.clauses] == [
        "Spravato is medically necessary when criteria are met."
    ]


def test_undeclared_utf8_is_read_as_utf8() -> None:
    html = (
        "<html><body><main><h1>SPRAVATO\u00ae Policy</h1>"
        "<p>SPRAVATO\u00ae is covered when the member\u2019s criteria are met.</p>"
        "</main></body></html>"
    ).encode()
    ext = extract(html, "text/html")
    assert (
        ext.clauses[0].text == "SPRAVATO\u00ae is covered when the member\u2019s criteria are met."
    )
