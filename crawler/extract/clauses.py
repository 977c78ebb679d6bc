"""Select the clauses that state or condition coverage of ketamine / esketamine.

Walks the ordered blocks once, keeping two pieces of context:

* the *governing statement*: a sentence that names a drug, states a stance and introduces
  criteria ("Spravato is medically necessary when all of the following are met:"). The list
  items after it are its criteria: they inherit its drug and stance even when they never name
  the drug. Connector items ("and", "OR") and group headers ("ONE (1) of the following:")
  shape the tree but are not clauses.
* the *drug context*: the last statement in the section, to which approval-duration and
  quantity sentences ("Initial approval is for 6 months.") attach as limitations.

Table rows that name a drug are listings whose stance comes from a status cell, the column
header (PDL "Non-Preferred Agents") or the table's preamble. Mentions under context headings
(Background, Codes, References), pointers to other policies and anesthesia uses are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .drugs import codes_in, drug_for_codes, drugs_in, first_drug, mentions_drug
from .legend import document_legend, is_legend, status_stance
from .model import Block, Clause, Drug
from .sections import CONTEXT, classify_heading, section_kind
from .stance import classify, is_negative
from .text import (
    footnote_marker,
    is_connector,
    norm,
    sentences,
    strip_connector,
    strip_footnote,
    strip_marker,
    trailing_connector,
)

# "… the following criteria are met:", "(must meet all)", "criteria below".
_INTRODUCES_RE = re.compile(
    r":\s*$|\bthe following\b|\bcriteria below\b|\bmust meet (?:all|one|both)\b|\bbelow\b[^.]*:?$",
    re.I,
)
# Structural nodes of a criteria tree: "ONE (1) of the following:", "BOTH of the following".
_GROUP_RE = re.compile(
    r"^\s*(?:all|any|one|both|either|two|at least (?:one|two|\d+))\b[^.]{0,30}\bof the following\b"
    r"[^.]*:?\s*$|^\s*(?:must meet|meets?) (?:all|one|both|any)\b[^.]*:?\s*$",
    re.I,
)
_POINTER_RE = re.compile(
    r"\b(?:is|are)\s+(?:now\s+)?(?:addressed|reviewed|discussed|described|found|covered|managed|"
    r"included)\s+(?:in|under|by)\b[^.]*\b(?:policy|policies|bulletin|guideline|document|cpb|"
    r"section|manual|article|program|criteria)\b"
    r"|\brefer to\b[^.]*\b(?:policy|bulletin|guideline|cpb)\b",
    re.I,
)
_ANESTHESIA_RE = re.compile(r"\banesthe|\banaesthe|\bsedation\b|\bsedative|\banalgesi", re.I)
_PSYCH_RE = re.compile(
    r"depress|psychiatr|mental|suicid|\bptsd\b|stress disorder|anxiety|obsessive|bipolar|\btrd\b|"
    r"\bmdd\b|\bmood\b|substance|\bpain\b",
    re.I,
)
_LIMITATION_RE = re.compile(
    r"\b(?:initial|continu\w*|renewal|re-?authori[sz]\w*|authori[sz]\w*|approv\w*|"
    r"length of approval|duration)\b[^.]*?\b(?:\d+|one|two|three|four|six|eight|twelve)\s*"
    r"(?:\(\d+\)\s*)?(?:-\s*)?(?:calendar\s+)?(?:months?|weeks?|days?|years?)\b"
    r"|\b(?:up to|no more than|maximum of|limited to|not to exceed|not exceed)\s+\d+\s*"
    r"(?:\w+\s+)?(?:infusions?|devices?|kits?|units?|mg|doses?|treatments?|sessions?|sprays?)\b"
    r"|\bquantity limits?\b",
    re.I,
)
# A list item that limits the approval rather than conditioning it: it opens with the approval
# or quantity it limits ("Initial authorization is for no more than 6 months", "Quantity
# limit: 8 devices per week") and states an amount (:data:`_LIMITATION_RE`).
_LIMITATION_LEAD_RE = re.compile(
    r"^\W*(?:the\s+)?(?:initial|continu\w*|renewal|re-?authori[sz]\w*|authori[sz]\w*|approv\w*|"
    r"length of (?:approval|authori[sz]ation|therapy)|duration of (?:approval|authori[sz]ation)|"
    r"approval (?:duration|period)|quantity limits?|dosing limits?)\b",
    re.I,
)
_CRITERION_RE = re.compile(
    r"\b(?:must|required|requires|only (?:if|when)|should|certified|enrolled|monitored|"
    r"at least|no more than|documented|documentation|prescribed by|in consultation with|"
    r"monotherapy|concomitant\w*|concurrent(?:ly)? with|in combination with|in conjunction with|"
    r"together with|alongside|along with|with or without)\b",
    re.I,
)
_TRD_RE = re.compile(r"treatment[- ]resistant|\bTRD\b", re.I)
_MDSI_RE = re.compile(r"suicidal ideation or behavio|\bMDSI\b", re.I)


@dataclass
class _Statement:
    drug: Drug
    stance: str
    text: str
    indication: str | None
    depth: int  # heading depth when the statement was made


@dataclass
class _State:
    gov: _Statement | None = None  # statement that governs the following list
    ctx: _Statement | None = None  # last statement in the section (for limitations)
    # Drug-less paragraphs since the last heading that may state a list/table preamble's
    # stance; classified only when a listing needs it (most paragraphs are never asked).
    preamble_texts: list[str] = field(default_factory=list)
    footnotes: dict[str, _Statement] = field(default_factory=dict)
    # The document's status-code legend ("P = Preferred"), read on the first table row.
    legend: dict[str, str] | None = None
    out: list[Clause] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)


def indication_of(text: str) -> str | None:
    """TRD or MDSI when a statement names one of the two esketamine indications."""
    trd, mdsi = _TRD_RE.search(text), _MDSI_RE.search(text)
    if trd and (not mdsi or trd.start() < mdsi.start()):
        return "TRD"
    return "MDSI" if mdsi else None


def is_limitation_item(text: str) -> bool:
    """A criteria-list item that states the approval's length or a quantity limit."""
    return bool(_LIMITATION_LEAD_RE.match(text)) and bool(_LIMITATION_RE.search(text))


def _item_type(gov: _Statement, text: str) -> str:
    """Type of an item under a governing statement: a negative statement lists exclusions."""
    if is_negative(gov.stance):
        return "listing"
    return "limitation" if is_limitation_item(text) else "criterion"


def is_pointer(text: str) -> bool:
    """A cross-reference to another policy ("… is addressed in pharmacy policy RX-77")."""
    return bool(_POINTER_RE.search(text))


def is_anesthesia_use(text: str) -> bool:
    """Ketamine as an anesthetic or sedative, with no psychiatric or pain indication."""
    return bool(_ANESTHESIA_RE.search(text)) and not _PSYCH_RE.search(text)


def select_clauses(blocks: list[Block]) -> list[Clause]:
    """The coverage clauses of a document, in document order, each (drug, text) once."""
    st = _State()
    last_path: list[str] | None = None
    in_context = False
    for index, block in enumerate(blocks):
        if block.kind == "heading":
            _on_heading(st, block)
            continue
        # Blocks under one heading share one path list: classify each distinct path once.
        path = block.heading_path
        if path is not last_path:
            last_path = path
            in_context = section_kind(path) == CONTEXT
        if in_context:
            continue
        if block.kind == "list_item":
            _on_list_item(st, blocks, index)
        elif block.kind == "table_row":
            _on_row(st, blocks, index)
        else:
            _on_paragraph(st, block)
    return st.out


def _add(
    st: _State,
    block: Block,
    text: str,
    drug: Drug,
    stance: str,
    ctype: str,
    path: list[str],
    indication: str | None = None,
    row_codes: list[str] | None = None,
) -> None:
    text = strip_connector(strip_footnote(strip_marker(text.strip())))
    key = (drug, norm(text))
    if not key[1] or key in st.seen:
        return
    st.seen.add(key)
    st.out.append(
        Clause(
            text=text,
            drug=drug,
            stance=stance,
            type=ctype,  # type: ignore[arg-type]
            section=" > ".join(block.heading_path),
            path=path,
            indication=indication,
            codes=codes_in(text) if row_codes is None else row_codes,
        )
    )


def _on_heading(st: _State, block: Block) -> None:
    depth = len(block.heading_path)
    if classify_heading(block.text) == CONTEXT or drugs_in(block.text):
        st.gov = st.ctx = None
    else:
        for attr in ("gov", "ctx"):
            stmt: _Statement | None = getattr(st, attr)
            # Sibling sub-headings ("Initial Therapy", "Continuation of Therapy") stay under the
            # statement; leaving the section that holds it ends its reach.
            if stmt is not None and depth < stmt.depth - 1:
                setattr(st, attr, None)
    st.preamble_texts = []


def _statement(st: _State, block: Block, sentence: str) -> _Statement | None:
    """Record ``sentence`` as a statement when it names a drug and states a stance."""
    if is_pointer(sentence) or is_anesthesia_use(sentence):
        return None
    drug = first_drug(sentence)
    stance = classify(sentence)
    if drug is None or stance is None:
        return None
    stmt = _Statement(drug, stance, sentence, indication_of(sentence), len(block.heading_path))
    _add(st, block, sentence, drug, stance, "statement", [], stmt.indication)
    st.ctx = stmt
    st.gov = stmt if _INTRODUCES_RE.search(sentence) else None
    return stmt


def _on_paragraph(st: _State, block: Block) -> None:
    if is_legend(block.text):
        return  # a key of status codes ("PA = prior authorization, see Spravato criteria")
    marker = footnote_marker(block.text[:4]) if block.text[:1] in "*†‡§¶" else None
    owner = st.footnotes.get(marker) if marker else None
    if owner is None and not mentions_drug(block.text):
        _drugless_paragraph(st, block, block.text)
        return
    sents = sentences(strip_footnote(block.text) if owner else block.text)
    # Sentences of a paragraph share a subject: a drug named in one sentence is the subject of
    # condition sentences around it ("Prior authorization is required for X. It may be
    # approved for up to six months.").
    named = [first_drug(s) for s in sents]
    para_drug = owner.drug if owner else next((d for d in named if d), None)
    # The paragraph's own wording wins over the row it annotates: a footnote saying "PA
    # criteria apply regardless of PDL status" is a PA statement, not a PDL status.
    para_stance: str | None = None
    if owner is not None:
        for sentence in sents:
            stance = classify(sentence)
            if stance and not is_pointer(sentence):
                para_stance = stance
                break
    if para_drug is None:
        _drugless_paragraph(st, block, block.text)
        return
    for sentence, drug in zip(sents, named, strict=True):
        if owner is not None:
            if not is_pointer(sentence) or classify(sentence):
                _add(
                    st,
                    block,
                    sentence,
                    owner.drug,
                    classify(sentence) or para_stance or owner.stance,
                    "limitation" if drug is None else "criterion",
                    [owner.text],
                )
            continue
        if drug is not None and _statement(st, block, sentence):
            continue
        if is_pointer(sentence) or is_anesthesia_use(sentence):
            continue
        ctx = st.ctx
        if (
            drug is not None
            and ctx is not None
            and ctx.drug == drug
            and _CRITERION_RE.search(sentence)
        ):
            _add(st, block, sentence, drug, ctx.stance, "criterion", [ctx.text], ctx.indication)
        elif ctx is not None and ctx.drug == (drug or para_drug):
            # A sentence without a stance of its own, about the drug of the statement before
            # it ("Spravato may be reauthorized for 6 months when one of the following is
            # met:"), conditions or limits that statement.
            if _INTRODUCES_RE.search(sentence) and sentence.rstrip().endswith(":"):
                # "Approve for 6 months if the patient meets ALL of the following:" governs
                # the list below on behalf of the drug statement before it.
                _add(st, block, sentence, ctx.drug, ctx.stance, "limitation", [ctx.text])
                st.gov = ctx
            elif _LIMITATION_RE.search(sentence):
                _add(st, block, sentence, ctx.drug, ctx.stance, "limitation", [ctx.text])
            elif _CRITERION_RE.search(sentence):
                _add(st, block, sentence, ctx.drug, ctx.stance, "criterion", [ctx.text])


# "A)", "1.", "(b)", "ii." or a bullet at the start of a paragraph.
_ENUMERATED_RE = re.compile(r"^\s*(?:\(?(?:[A-Za-z]|\d{1,2}|[ivx]{1,4})[.)]|[•·▪◦●○■□➢►–-])\s+\S")


def _is_enumerated_criterion(text: str) -> bool:
    """A paragraph that is one item of a lettered/numbered criteria list."""
    return bool(_ENUMERATED_RE.match(text)) or trailing_connector(text) is not None


def _preamble(st: _State) -> str | None:
    """The stance of the latest drug-less paragraph (since the heading) that states one."""
    texts = st.preamble_texts
    while texts:
        stance = classify(texts[-1])
        if stance is not None:
            del texts[:-1]  # earlier candidates can no longer win
            return stance
        texts.pop()
    return None


def _drugless_paragraph(st: _State, block: Block, text: str) -> None:
    """A paragraph naming no drug: a limitation of the current statement, a criterion
    written as a lettered paragraph, or a preamble."""
    ctx = st.ctx
    introduces = text.rstrip().endswith(":")
    gov = st.gov
    if gov is not None and not introduces and _is_enumerated_criterion(text):
        # "A) Patient is >= 18 years of age; AND" typeset as a paragraph, not a list item.
        if not is_pointer(text):
            ctype = _item_type(gov, strip_marker(text))
            _add(st, block, text, gov.drug, gov.stance, ctype, [gov.text], gov.indication)
        return
    # The whole-paragraph search is a superset of the per-sentence one: most paragraphs
    # fail it and are never split into sentences.
    if ctx is not None and _LIMITATION_RE.search(text):
        sents = sentences(text)
        for sentence in sents:
            if _LIMITATION_RE.search(sentence) and not is_pointer(sentence):
                _add(st, block, sentence, ctx.drug, ctx.stance, "limitation", [ctx.text])
                if introduces and sentence is sents[-1]:
                    # "Approve for 6 months if the patient meets ALL of the following:"
                    st.gov = ctx
                    return
    st.preamble_texts.append(text)
    if introduces:
        st.gov = None  # it introduces a list of its own


def _on_list_item(st: _State, blocks: list[Block], index: int) -> None:
    block = blocks[index]
    text = block.text
    if is_connector(text):
        return
    gov = _governing(st, blocks, index)
    if gov is not None:
        if _GROUP_RE.match(text):
            return
        drug = first_drug(text)
        stance = classify(text) if drug is not None else None
        if (
            drug is not None
            and stance is not None
            and _INTRODUCES_RE.search(text)
            and not gov_is_parent(blocks, index)
        ):
            _statement(st, block, text)
            return
        _add(
            st,
            block,
            text,
            gov.drug,
            gov.stance,
            _item_type(gov, text),
            _tree_path(blocks, index, gov),
            gov.indication,
        )
        return
    drug = first_drug(text)
    if drug is None:
        return
    if _statement(st, block, text):
        st.gov = st.gov if _INTRODUCES_RE.search(text) else None
        return
    preamble = _preamble(st)
    if preamble is not None and not is_pointer(text) and not is_anesthesia_use(text):
        _add(st, block, text, drug, preamble, "listing", [])


def gov_is_parent(blocks: list[Block], index: int) -> bool:
    """True when the item is nested under another item (a criterion, not a new statement)."""
    return blocks[index].parent >= 0


def _governing(st: _State, blocks: list[Block], index: int) -> _Statement | None:
    """The statement governing this list item: a parent item's, or the one before the list."""
    if st.gov is None:
        return None
    block = blocks[index]
    # A list that starts after a new, unrelated paragraph is not governed (that paragraph
    # would have replaced st.gov if it were a statement).
    return st.gov if block.kind == "list_item" else None


def _tree_path(blocks: list[Block], index: int, gov: _Statement) -> list[str]:
    """Governing statement, then the group headers above the item, then its connector."""
    path: list[str] = []
    parent = blocks[index].parent
    guard = 0
    while parent >= 0 and guard < 20:
        path.append(strip_connector(blocks[parent].text))
        parent = blocks[parent].parent
        guard += 1
    path.append(gov.text)
    path.reverse()
    connector = trailing_connector(blocks[index].text) or _group_connector(blocks, index)
    if connector:
        path.append(f"[{connector}]")
    return path


def _group_connector(blocks: list[Block], index: int) -> str | None:
    """The connector of the item's list when it is written as separate items."""
    group = blocks[index].group
    if group < 0:
        return None
    for other in (index + 1, index - 1):
        if (
            0 <= other < len(blocks)
            and blocks[other].group == group
            and is_connector(blocks[other].text)
        ):
            return blocks[other].text.strip().strip(".;:,()[]").lower()
    return None


_DESCRIPTION_COL_RE = re.compile(r"^\s*(?:code\s+)?descri", re.I)


def _on_row(st: _State, blocks: list[Block], index: int) -> None:
    block = blocks[index]
    cells = block.cells or [block.text]
    col = next((i for i, c in enumerate(cells) if drugs_in(c)), None)
    if col is None:
        code_drug = drug_for_codes(block.text)
        if code_drug is None:
            return
        # A PA-list row may name the drug only by code; the description cell is the clause.
        col = max(range(len(cells)), key=lambda i: len(cells[i]))
        drug: Drug | None = code_drug
    else:
        drug = first_drug(cells[col])
    if drug is None:
        return
    cell = cells[col]
    header = block.columns[col] if col < len(block.columns) else ""
    if is_pointer(cell) or is_anesthesia_use(cell):
        return
    flagged = _flag_stance(cells, block.columns, col)
    # A code table's description column names the drug without saying anything about its
    # coverage, unless another column of the row flags a requirement ("PA required: Yes").
    if flagged is None and _DESCRIPTION_COL_RE.match(header):
        return
    if flagged is not None:
        # On a drug list the formulary status is the row's stance; a PA/ST flag beside it
        # would hide a move between preferred and non-preferred.
        flagged = _formulary_status(st, blocks, cells, col) or flagged
    stance = flagged or _row_stance(st, blocks, index, cells, col, header)
    if stance is None:
        return
    # The row's codes are the clause's, even in another cell: a description cell describes them.
    row_codes = codes_in(block.text)
    _add(st, block, cell, drug, stance, "listing", [header] if header else [], None, row_codes)
    marker = footnote_marker(cell)
    if marker:
        st.footnotes[marker] = _Statement(
            drug, stance, strip_footnote(cell), None, len(block.heading_path)
        )


_YES_RE = re.compile(r"^\s*(?:yes|y|x|required|✓|✔)\s*$", re.I)
_NO_RE = re.compile(r"^\s*(?:no|n|not required|none)\s*$", re.I)


def _flag_stance(cells: list[str], columns: list[str], col: int) -> str | None:
    """Stance of a yes/no flag cell, read from its column header ("Prior Authorization
    Required: Yes"). "No" under a PA or step-therapy column means no such requirement."""
    for i, cell in enumerate(cells):
        if i == col or i >= len(columns) or not cell:
            continue
        if _YES_RE.match(cell):
            stance = classify(columns[i]) or _requirement_column(columns[i])
            if stance:
                return stance
        elif _NO_RE.match(cell):
            stance = classify(columns[i]) or _requirement_column(columns[i])
            if stance in ("prior_authorization", "step_therapy"):
                return "covered"
    return None


def _requirement_column(header: str) -> str | None:
    """A bare requirement column ("PA", "Prior Authorization", "Step Therapy")."""
    low = header.strip().lower()
    if re.fullmatch(r"(?:pa|prior auth(?:ori[sz]ation)?|precert(?:ification)?)\??", low):
        return "prior_authorization"
    if re.fullmatch(r"(?:st|step therapy)\??", low):
        return "step_therapy"
    return None


def _formulary_status(st: _State, blocks: list[Block], cells: list[str], col: int) -> str | None:
    """Preferred or non-preferred, when a status cell of the row says so (legend read)."""
    if st.legend is None:
        st.legend = document_legend(blocks)
    for i, cell in enumerate(cells):
        if i != col and cell and len(cell) <= 60 and not drugs_in(cell):
            stance = status_stance(cell, st.legend)
            if stance in ("preferred", "non_preferred"):
                return stance
    return None


def _row_stance(
    st: _State, blocks: list[Block], index: int, cells: list[str], col: int, header: str
) -> str | None:
    """Status cell (read through the document's legend), then the drug cell, then its column
    header, then the table preamble."""
    if st.legend is None:
        st.legend = document_legend(blocks)
    for i, cell in enumerate(cells):
        if i != col and cell and len(cell) <= 60 and not drugs_in(cell):
            stance = status_stance(cell, st.legend)
            if stance:
                return stance
    for text in (cells[col], header):
        stance = classify(text) if text else None
        if stance:
            return stance
    preamble = _preamble(st)
    if preamble is not None:
        return preamble
    for heading in reversed(blocks[index].heading_path):
        stance = classify(heading)
        if stance:
            return stance
    return None
