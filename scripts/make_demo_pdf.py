"""Regenerate the demo's sample PDF drug policy (two versions: a re-layout with new dates).

Run: python scripts/make_demo_pdf.py   (needs reportlab, from the `test` extra)
"""

from __future__ import annotations

from pathlib import Path

from reportlab import rl_config
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate, Spacer

rl_config.invariant = 1  # deterministic bytes

DEMO = Path(__file__).resolve().parent.parent / "monitor" / "sites" / "demo_data"
TITLE = "Spravato (esketamine) nasal spray - Pharmacy Coverage Policy"
NUMBER = "BBC-RX-2204"

CRITERIA = [
    "Diagnosis of treatment-resistant depression; and",
    "Documented failure of at least two antidepressants from different classes, each for at least "
    "six weeks at an adequate dose; and",
    "Prescribed by or in consultation with a psychiatrist; and",
    "Administered in a REMS-certified healthcare setting with patient monitoring for at least two "
    "hours after each dose.",
]


def build(path: Path, reviewed: str, font_size: int) -> None:
    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    body.fontSize = font_size
    body.leading = font_size + 3

    def frame(canvas, doc):  # type: ignore[no-untyped-def]
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(72, 760, f"{TITLE}   Policy {NUMBER}")
        canvas.drawString(
            72, 30, f"Page {doc.page} - Bayside Blue Cross (sample). Reviewed {reviewed}."
        )
        canvas.restoreState()

    story = [
        Paragraph(TITLE, styles["Title"]),
        Paragraph(f"Policy Number: {NUMBER}", body),
        Paragraph("Effective Date: 05/01/2026", body),
        Paragraph(f"Last Reviewed: {reviewed}", body),
        Paragraph("Coverage Criteria", styles["Heading2"]),
        Paragraph(
            "Spravato (esketamine) is considered medically necessary and requires prior "
            "authorization when all of the following criteria are met:",
            body,
        ),
        ListFlowable([ListItem(Paragraph(c, body)) for c in CRITERIA], bulletType="1"),
        Paragraph(
            "Approval duration: initial approval for 6 months; reauthorization for 12 "
            "months with documented response.",
            body,
        ),
        Paragraph("Quantity limit: 56 mg or 84 mg per treatment session.", body),
        Paragraph("Exclusions", styles["Heading2"]),
        Paragraph(
            "Intravenous or oral ketamine for depression is considered experimental and "
            "investigational and is not covered under the pharmacy benefit.",
            body,
        ),
        Paragraph("Background", styles["Heading2"]),
    ]
    story += [
        Paragraph(
            "Esketamine is the S-enantiomer of racemic ketamine. Clinical trials evaluated "
            "esketamine "
            "with a newly started oral antidepressant in adults with depression that had not "
            "responded to prior treatment. " * 3,
            body,
        ),
        Spacer(1, 12),
    ] * 6
    SimpleDocTemplate(str(path), pagesize=letter, title=TITLE).build(
        story, onFirstPage=frame, onLaterPages=frame
    )


if __name__ == "__main__":
    build(DEMO / "round1" / "bayside-spravato.pdf", "04/20/2026", 10)
    build(DEMO / "round2" / "bayside-spravato.pdf", "10/28/2026", 11)
    print(
        "wrote", DEMO / "round1" / "bayside-spravato.pdf", DEMO / "round2" / "bayside-spravato.pdf"
    )
