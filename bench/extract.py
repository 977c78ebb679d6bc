"""Extraction throughput: HTML MB/s next to bare lxml parse+text, and PDF pages/s.

    python bench/extract.py [--repeat N]

Builds a large realistic policy page (site chrome, inline scripts, criteria lists, code
tables, long background and references; about 300 KB) and a multi-page policy PDF with
reportlab, and a table-heavy preferred drug list PDF (class tables over page breaks, repeated
headers, wrapped cells, a status-code legend), all in memory, then times
``crawler.extract.extract`` on them. The HTML figure is
printed beside lxml's own parse-and-text of the same bytes in the same run, with the ratio
(target >= 25%); PDF target >= 300 pages/s, with and without tables. The two HTML timings
are interleaved and the
best of each is kept. Times are CPU seconds of this thread (``time.thread_time``),
so the figures hold on a busy machine. The script prints a PASS/FAIL verdict per target
and always exits 0.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from pathlib import Path

import lxml.html

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.extract import extract

_TEXT = (
    "patients treatment response trial randomized placebo dose week efficacy safety "
    "outcome depressive symptoms score scale remission relapse study cohort adverse "
    "events infusion nasal spray antidepressant augmentation psychotherapy baseline "
    "follow-up analysis"
)
_WORDS = _TEXT.split(" ")


def _prose(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(n)).capitalize() + "."


def build_html(target_bytes: int = 300_000) -> bytes:
    """A policy page shaped like a large commercial clinical policy bulletin."""
    rng = random.Random(7)
    nav = "".join(
        f'<li class="nav-item"><a href="/p/{i}?utm_source=x">Menu {i}</a></li>' for i in range(150)
    )
    script = (
        "window.__CONFIG__=" + "{" + ",".join(f'"k{i}":"{"x" * 40}"' for i in range(900)) + "};"
    )
    criteria = "".join(
        f"<li>Criterion {i}: documented trial of agent {i} for at least 6 weeks; <em>and</em></li>"
        for i in range(8)
    )
    icd = "".join(
        f"<tr><td>F3{i % 4}.{i % 10}</td><td>Major depressive disorder variant {i}</td></tr>"
        for i in range(300)
    )
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Esketamine (Spravato) | "
        "Plan</title>",
        f"<script>{script}</script><style>{'.c{color:red}' * 800}</style></head><body>",
        '<div id="cookie-consent" class="cookie-banner"><p>We use cookies.</p></div>',
        f'<header class="site-header"><nav><ul>{nav}</ul></nav></header>',
        '<div class="layout"><main id="main-content"><h1>Esketamine (Spravato) Nasal Spray</h1>',
        "<dl><dt>Policy Number</dt><dd>RX-900</dd><dt>Effective</dt><dd>01/01/2026</dd></dl>",
        "<h2>Policy</h2><p>Esketamine nasal spray (Spravato) may be considered medically necessary "
        "when ALL of the following criteria are met:</p>",
        f"<ol>{criteria}</ol><p>Initial approval is for 6 months.</p>",
        "<p>Ketamine for any psychiatric indication is considered "
        "experimental/investigational.</p>",
        f""
        f"<h2>Codes</h2><table><thead><tr><th>Code</th><th>Description</th></tr></thead>{icd}</table>",
        "<h2>Background</h2>",
    ]
    body = "".join(parts)
    tail = (
        '</main><aside class="sidebar"><ul>' + nav + "</ul></aside></div>"
        '<footer class="site-footer"><p>&copy; 2026 Plan</p></footer>'
        f"<script>{script[:20000]}</script></body></html>"
    )
    chunks = [body]
    size = len(body) + len(tail)
    refs: list[str] = []
    while size < target_bytes:
        if len(refs) < 250 and rng.random() < 0.4:
            year, page = rng.randint(10, 25), rng.randint(1, 99)
            ref = f"<li>{_prose(rng, 18)} J Psychiatry. 20{year};{page}.</li>"
            refs.append(ref)
            size += len(ref)
        else:
            para = (
                f"<p>{_prose(rng, 60)} Ketamine was studied in {rng.randint(10, 400)} patients.</p>"
            )
            chunks.append(para)
            size += len(para)
    chunks.append("<h2>References</h2><ol>" + "".join(refs) + "</ol>")
    return ("".join(chunks) + tail).encode("utf-8")


def build_pdf(pages: int = 60) -> bytes:
    """A multi-page drug policy with running header/footer, bullets and wrapped paragraphs."""
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import ListFlowable, Paragraph, SimpleDocTemplate

    rng = random.Random(11)
    styles = getSampleStyleSheet()
    story: list[object] = [Paragraph("Ketamine and Esketamine (Spravato)", styles["Title"])]
    story.append(Paragraph("Policy Number 2026X0001A", styles["Normal"]))
    while len(story) < pages * 9:
        story.append(Paragraph("Coverage Rationale", styles["Heading2"]))
        story.append(
            Paragraph(
                "Spravato is proven and medically necessary for treatment-resistant "
                "depression when "
                "all of the following criteria are met:",
                styles["Normal"],
            )
        )
        story.append(
            ListFlowable(
                [Paragraph(_prose(rng, 30) + "; and", styles["Normal"]) for _ in range(5)],
                bulletType="bullet",
            )
        )
        story.append(
            Paragraph("Initial authorization is for no more than 6 months.", styles["Normal"])
        )
        story.append(Paragraph("Background", styles["Heading2"]))
        for _ in range(3):
            story.append(Paragraph(_prose(rng, 90), styles["Normal"]))

    def frame(canvas: object, doc: object) -> None:
        canvas.saveState()  # type: ignore[attr-defined]
        canvas.setFont("Helvetica", 8)  # type: ignore[attr-defined]
        canvas.drawString(54, 756, "Ketamine and Esketamine (Spravato) Policy Number 2026X0001A")  # type: ignore[attr-defined]
        canvas.drawString(54, 36, f"Proprietary information. Page {doc.page}")  # type: ignore[attr-defined]
        canvas.restoreState()  # type: ignore[attr-defined]

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=letter, invariant=1)
    doc.build(story, onFirstPage=frame, onLaterPages=frame)
    return buf.getvalue()


def build_table_pdf(pages: int = 60) -> bytes:
    """A preferred drug list: a legend, then class tables running over page breaks with a
    repeated header row, wrapped cells and P/NP/PA status codes (the table-heavy case)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    rng = random.Random(13)
    styles = getSampleStyleSheet()
    cell = ParagraphStyle("cell", parent=styles["Normal"], fontSize=8, leading=9.5)
    style = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ]
    )
    story: list[object] = [
        Paragraph("Preferred Drug List", styles["Title"]),
        Paragraph(
            "P = Preferred, NP = Non-preferred, PA = Prior authorization required, "
            "QL = Quantity limit",
            styles["Normal"],
        ),
    ]
    per_page = 30
    classes = max(1, pages // 5)
    for k in range(classes):
        story.append(Paragraph(f"Therapeutic class {k + 1}", styles["Heading2"]))
        rows: list[list[object]] = [["Drug / Dosage Form", "Status", "PA", "Notes"]]
        for i in range(per_page * 5 - 8):
            status = rng.choice(["P", "NP"])
            name = f"{rng.choice(_WORDS)}{i} {rng.choice(['tablet', 'capsule', 'solution'])}"
            if i % 9 == 0:
                rows.append(
                    [
                        Paragraph(f"{name}, extended release, all strengths", cell),
                        status,
                        "PA" if status == "NP" else "",
                        Paragraph(_prose(rng, 14), cell),
                    ]
                )
            else:
                rows.append([name, status, "PA" if status == "NP" else "", ""])
            if i == 40:
                rows.append(["Spravato (esketamine) nasal spray", "NP", "PA", "QL"])
        story.append(Table(rows, colWidths=[190, 50, 40, 200], repeatRows=1, style=style))
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=letter, invariant=1).build(story)
    return buf.getvalue()


def _clock() -> float:
    # CPU seconds of this thread: extraction is single-threaded, and on a shared machine the
    # wall clock mostly measures the other processes (the rates are per CPU-second).
    return time.thread_time()


def _best(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = _clock()
        fn()  # type: ignore[operator]
        times.append(_clock() - start)
    return min(times)


def _best_pair(ref: object, ours: object, repeat: int) -> tuple[float, float]:
    """Best-of-``repeat`` times of two functions, interleaved so both see the same machine.

    Alternating the two (rather than timing one block after the other) keeps a burst of load
    from another process from favouring either side of the ratio.
    """
    t_ref: list[float] = []
    t_ours: list[float] = []
    for _ in range(repeat):
        for fn, sink in ((ref, t_ref), (ours, t_ours)):
            start = _clock()
            fn()  # type: ignore[operator]
            sink.append(_clock() - start)
    return min(t_ref), min(t_ours)


HTML_TARGET = 0.25  # extract() at >= 25% of the bare lxml parse+text rate, same bytes, same run
PDF_TARGET = 300.0  # pages/s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=25)
    args = parser.parse_args(argv)

    page = build_html()
    mb = len(page) / 1e6
    result = extract(page, "text/html; charset=utf-8")
    t_lxml, t_ours = _best_pair(
        lambda: lxml.html.document_fromstring(page).text_content(),
        lambda: extract(page, "text/html; charset=utf-8"),
        args.repeat,
    )
    ratio = t_lxml / t_ours
    html_ok = ratio >= HTML_TARGET
    print(
        f"HTML page: {len(page) / 1000:.0f} KB, {len(result.blocks)} blocks, "
        f"{len(result.clauses)} clauses, outcome {result.outcome}"
    )
    print(f"  bare lxml parse+text : {mb / t_lxml:7.1f} MB/s  ({t_lxml * 1000:.2f} ms)")
    print(f"  extract()            : {mb / t_ours:7.1f} MB/s  ({t_ours * 1000:.2f} ms)")
    print(
        f"  ratio                : {ratio:7.1%}  (target >= {HTML_TARGET:.0%}: "
        f"{'PASS' if html_ok else 'FAIL'})"
    )

    pdf = build_pdf()
    pdf_result = extract(pdf, "application/pdf")
    import pypdfium2

    n_pages = len(pypdfium2.PdfDocument(pdf))
    t_pdf = _best(lambda: extract(pdf, "application/pdf"), max(3, args.repeat // 3))
    rate = n_pages / t_pdf
    pdf_ok = rate >= PDF_TARGET
    print(
        f"PDF: {n_pages} pages, {len(pdf) / 1000:.0f} KB, {len(pdf_result.clauses)} clauses, "
        f"outcome {pdf_result.outcome}"
    )
    print(
        f"  extract()            : {rate:7.0f} pages/s  (target >= {PDF_TARGET:.0f}: "
        f"{'PASS' if pdf_ok else 'FAIL'})"
    )

    tables = build_table_pdf()
    tables_result = extract(tables, "application/pdf")
    t_pages = len(pypdfium2.PdfDocument(tables))
    t_tables = _best(lambda: extract(tables, "application/pdf"), max(3, args.repeat // 3))
    t_rate = t_pages / t_tables
    tables_ok = t_rate >= PDF_TARGET
    n_rows = sum(b.kind == "table_row" for b in tables_result.blocks)
    print(
        f"PDF with tables: {t_pages} pages, {n_rows} table rows, "
        f"{len(tables_result.clauses)} clauses, outcome {tables_result.outcome}"
    )
    print(
        f"  extract()            : {t_rate:7.0f} pages/s  (target >= {PDF_TARGET:.0f}: "
        f"{'PASS' if tables_ok else 'FAIL'})"
    )
    met = html_ok and pdf_ok and tables_ok
    print(f"verdict: {'all targets met' if met else 'TARGET MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
