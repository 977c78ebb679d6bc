"""Synthetic ketamine / esketamine policy documents for the cycle and scale benchmarks.

Each page is shaped like a commercial clinical policy bulletin (site chrome, inline script,
criteria lists, code tables, long background and references) and is different from every other
page (payer, numbers, sentence choice), so content-addressed storage cannot fold them together.
``variant`` changes what an analyst cares about: 0 is the base policy, 1 a criteria change
(three antidepressant trials instead of two, 12-month approvals), 2 a stance change (esketamine
no longer covered). ``build`` is deterministic for (index, size, variant).
"""

from __future__ import annotations

import io
import random

_TEXT = (
    "patients treatment response trial randomized placebo dose week efficacy safety outcome "
    "depressive symptoms score scale remission relapse study cohort adverse events infusion "
    "nasal spray antidepressant augmentation psychotherapy baseline follow-up analysis "
    "dissociation blood pressure monitoring sedation suicidal ideation episode"
)
_WORDS = _TEXT.split(" ")
_PAYERS = (
    "Harborview Health",
    "Lakeshore Blue",
    "Summit Care",
    "Prairie Health Plan",
    "Coastal Mutual",
    "Granite State Health",
    "Redwood Health",
    "Keystone Benefits",
    "Mesa Health",
    "Pioneer Plan",
)
_DIAGNOSES = (
    ("F32.2", "Major depressive disorder, single episode, severe without psychotic features"),
    ("F33.1", "Major depressive disorder, recurrent, moderate"),
    ("F33.2", "Major depressive disorder, recurrent severe without psychotic features"),
    ("F33.9", "Major depressive disorder, recurrent, unspecified"),
)


def _sentences(rng: random.Random, count: int) -> list[str]:
    out = []
    for _ in range(count):
        words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(14, 30)))
        out.append(words.capitalize() + ".")
    return out


# A shared pool keeps building 300 pages of 50-300 KB fast; pages differ by choice and order.
_POOL = _sentences(random.Random(3), 3000)


def payer_of(index: int) -> str:
    return _PAYERS[index % len(_PAYERS)]


def _policy_html(index: int, variant: int) -> str:
    payer = payer_of(index)
    trials = "three" if variant == 1 else "two"
    months = 12 if variant == 1 else 6
    if variant == 2:
        esk = (
            f"<p>{payer} considers esketamine nasal spray (Spravato) not medically necessary "
            "and it is not covered for any indication.</p>"
        )
    else:
        esk = (
            f"<p>{payer} considers esketamine nasal spray (Spravato) medically necessary for "
            "adults with treatment-resistant depression when all of the following criteria are "
            "met:</p><ol type='A'>"
            "<li>The member has a confirmed diagnosis of major depressive disorder without "
            "psychotic features; <em>and</em></li>"
            f"<li>The member has had an inadequate response to at least {trials} oral "
            "antidepressants from different classes, each at an adequate dose for at least "
            "8 weeks in the current episode; <em>and</em></li>"
            "<li>Spravato will be administered in a certified healthcare setting under the "
            "Spravato REMS; <em>and</em></li>"
            "<li>The member will be monitored for at least 2 hours after each dose.</li></ol>"
            f"<p>Initial approval is for {months} months; continuation for 12 months when the "
            "member has demonstrated a clinically meaningful response.</p>"
        )
    return (
        f"<h1>Ketamine and Esketamine</h1><table class='cpb-header'><tr><td>Number: "
        f"{1000 + index}</td><td>Effective: 01/01/2026</td></tr></table><h2>Policy</h2>"
        "<p>Scope of Policy: This policy addresses ketamine and esketamine for psychiatric "
        "and pain indications.</p><h3>I. Medically Necessary</h3>"
        f"{esk}<h3>II. Experimental and Investigational</h3>"
        f"<p>{payer} considers ketamine (intravenous, intramuscular, intranasal, oral and "
        "sublingual) experimental and investigational for the following indications:</p>"
        "<ul><li>Bipolar depression</li><li>Chronic neuropathic pain</li>"
        "<li>Post-traumatic stress disorder</li><li>Treatment-resistant depression</li></ul>"
        "<h2>Applicable CPT / HCPCS / ICD-10 Codes</h2><table><caption>HCPCS codes covered if "
        "selection criteria are met:</caption><tbody><tr><td>S0013</td><td>Esketamine, nasal "
        "spray, 1 mg</td></tr><tr><td>G2082</td><td>Esketamine, up to 56 mg</td></tr>"
        "<tr><td>G2083</td><td>Esketamine, greater than 56 mg</td></tr></tbody></table>"
        "<table><caption>ICD-10 codes covered if selection criteria are met:</caption><tbody>"
        + "".join(f"<tr><td>{c}</td><td>{d}</td></tr>" for c, d in _DIAGNOSES)
        + "</tbody></table>"
    )


def build_html(index: int, size: int, variant: int = 0) -> bytes:
    """A policy page of about ``size`` bytes."""
    rng = random.Random(index * 7919 + size)
    payer = payer_of(index)
    nav = "".join(f"<li><a href='/members/{i}'>Menu item {i}</a></li>" for i in range(60))
    head = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Ketamine and "
        f"Esketamine - Clinical Policy Bulletins | {payer}</title><script>window.__CFG__="
        + "{"
        + ",".join(f'"k{i}":"{rng.getrandbits(64):x}"' for i in range(200))
        + "};"
        + "</script></head><body><div id='onetrust-consent-sdk'><p>This site uses cookies.</p>"
        f"</div><nav class='global-nav'><ul>{nav}</ul></nav><div id='content'>"
    )
    tail = (
        f"</div><footer class='site-footer'><p>&copy; 2026 {payer}. All rights reserved.</p>"
        "</footer></body></html>"
    )
    parts = [head, _policy_html(index, variant), "<h2>Background</h2>"]
    total = sum(len(p) for p in parts) + len(tail)
    refs: list[str] = []
    while total < size:
        if rng.random() < 0.25:
            ref = (
                f"<li>{rng.choice(_POOL)} J Psychiatry. 20{rng.randint(10, 25)};"
                f"{rng.randint(1, 99)}.</li>"
            )
            refs.append(ref)
            total += len(ref)
        else:
            para = (
                "<p>"
                + " ".join(rng.choice(_POOL) for _ in range(rng.randint(1, 3)))
                + f" Ketamine was studied in {rng.randint(10, 400)} patients.</p>"
            )
            parts.append(para)
            total += len(para)
    parts.append("<h2>References</h2><ol>" + "".join(refs) + "</ol>" + tail)
    return "".join(parts).encode("utf-8")


def build_pdf(index: int, pages: int, variant: int = 0) -> bytes:
    """A multi-page drug policy PDF (reportlab) with the same clauses as the HTML pages."""
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import ListFlowable, Paragraph, SimpleDocTemplate

    rng = random.Random(index * 104729 + pages)
    styles = getSampleStyleSheet()
    payer = payer_of(index)
    trials = "three" if variant == 1 else "two"
    story: list[object] = [
        Paragraph("Ketamine and Esketamine (Spravato)", styles["Title"]),
        Paragraph(f"{payer} Drug Policy Number 2026D{index:04d}", styles["Normal"]),
        Paragraph("Coverage Rationale", styles["Heading2"]),
    ]
    if variant == 2:
        story.append(
            Paragraph("Spravato (esketamine) is not medically necessary.", styles["Normal"])
        )
    else:
        story += [
            Paragraph(
                "Spravato (esketamine) is proven and medically necessary for treatment-resistant "
                "depression when all of the following criteria are met:",
                styles["Normal"],
            ),
            ListFlowable(
                [
                    Paragraph("Diagnosis of major depressive disorder; and", styles["Normal"]),
                    Paragraph(
                        f"Failure of at least {trials} antidepressants of adequate dose and "
                        "duration in the current episode; and",
                        styles["Normal"],
                    ),
                    Paragraph("Administered under the Spravato REMS.", styles["Normal"]),
                ],
                bulletType="bullet",
            ),
        ]
    story.append(
        Paragraph(
            "Ketamine is unproven and not medically necessary for depression.", styles["Normal"]
        )
    )
    story.append(Paragraph("Background", styles["Heading2"]))
    while len(story) < pages * 6:
        story.append(Paragraph(" ".join(rng.choice(_POOL) for _ in range(5)), styles["Normal"]))
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=letter, invariant=1).build(story)
    return buf.getvalue()


def document(index: int, variant: int = 0, *, pdf_every: int = 10) -> tuple[bytes, str]:
    """Source ``index``'s document and content type: every ``pdf_every``-th one a PDF."""
    if pdf_every and index % pdf_every == pdf_every - 1:
        pages = 4 + (index * 7) % 17  # 4-20 pages
        return build_pdf(index, pages, variant), "application/pdf"
    size = 50_000 + (index * 7_717) % 250_001  # 50-300 KB, spread evenly
    return build_html(index, size, variant), "text/html; charset=utf-8"
