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

Structure before wording: a list, a run of numbered paragraphs or a table that follows a
statement directly is governed by it whatever the lead-in's punctuation; a list under a
criteria heading ("Criteria", "Initial Authorization", "Reauthorization", …) or after a label
("Criteria:") is governed by the document's drug with the stance the section implies.

Context carries the drug (:mod:`.context`): a sentence that names no drug but refers to one
("The requested product may be approved when …", "It is considered …", "The same criteria
apply …") takes the drug of, in order, the last statement of its section, the nearest
heading that names a drug, the last drug named in the section, or the document title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .context import (
    Why,
    context_drug,
    is_anaphoric,
    is_citation,
    is_criteria_heading,
    is_duration_heading,
    is_label,
    is_section_part,
    same_as_before,
)
from .drugs import (
    ESKETAMINE_RE,
    KETAMINE_RE,
    codes_in,
    drug_for_codes,
    drugs_in,
    first_drug,
    mentions_drug,
)
from .legend import document_legend, is_legend, status_stance
from .model import Block, Clause, Drug
from .sections import CONTEXT, classify_heading, section_kind
from .stance import Match, classify, is_negative, match_rule
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
    r"included)\s+(?:in|under|by)\b(?!\s+this\b)[^.]*\b(?:policy|policies|bulletin|guideline|document|cpb|"
    r"section|manual|article|program|criteria)\b"
    r"|\brefer to\b[^.]*\b(?:policy|bulletin|guideline|cpb)\b",
    re.I,
)
_ANESTHESIA_RE = re.compile(r"\banesthe|\banaesthe|\bsedation\b|\bsedative|\banalgesi", re.I)
# "investigational except when used for anesthesia": the anesthetic use is carved out, the
# clause is about every other (psychiatric) use.
_CARVE_OUT_RE = re.compile(
    r"\b(?:except|other than|excluding|apart from|unless)\b[^.;]{0,60}?"
    r"(?:\banesthe|\banaesthe|\bsedation\b|\bsedative)",
    re.I,
)
# Two drugs in one subject: "ketamine and esketamine", "Spravato or Ketalar", "A, B and …".
_COORDINATION_RE = re.compile(r"^[\s,/&]*(?:(?:and|or|and/or|&)\s+)?(?:[\w()-]+\s+){0,3}$", re.I)
_CONTRAST_RE = re.compile(
    r"\b(?:unlike|whereas|while|but|than|not|except|instead|versus|vs)\b", re.I
)
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
    r"^\W*(?:the\s+)?(?:(?:prior authori[sz]ation|PA)\s+(?:requests?|approvals?)|"
    r"first|initial|continu\w*|renewal|re-?authori[sz]\w*|authori[sz]\w*|approv\w*|"
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
# A billing instruction ("Clinics bill Spravato with code S0013, one unit per mg") says how to
# claim, not when the drug is approved: never a criterion.
_BILLING_RE = re.compile(
    r"\bbill(?:s|ed|ing)?\b[^.]*\b(?:codes?|units?|NDC|National Drug Code|modifiers?|HCPCS|CPT)\b",
    re.I,
)
_AMOUNT_RE = re.compile(
    r"\b(?:\d+|one|two|three|four|six|eight|twelve)\s*(?:-\s*)?(?:days?|weeks?|months?|years?)\b",
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
    block: int = -1  # index of the block it was read from (lists right after it are its)
    label: bool = False  # set by a heading, caption or label ("Criteria:"), not a sentence
    why: Why | None = None  # how its drug and stance were decided


@dataclass
class _State:
    title: str | None = None  # the document title: the last resort for the drug
    gov: _Statement | None = None  # statement that governs the following list
    ctx: _Statement | None = None  # last statement in the section (for limitations)
    # The last statement that approves (not experimental / not covered): what an approval
    # duration or quantity limit limits, even after "investigational for all other uses".
    approval: _Statement | None = None
    named: tuple[Drug, str] | None = None  # last drug named in the section, and where
    index: int = -1  # the block being read
    form_line: int = -2  # the last label or line of a criteria form
    # Drug-less paragraphs since the last heading that may state a list/table preamble's
    # stance; classified only when a listing needs it (most paragraphs are never asked).
    preamble_texts: list[str] = field(default_factory=list)
    footnotes: dict[str, _Statement] = field(default_factory=dict)
    # The document's status-code legend ("P = Preferred"), read on the first table row.
    legend: dict[str, str] | None = None
    out: list[Clause] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)
    why: list[Why] | None = None  # explanations parallel to ``out``, when asked for


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
    """Ketamine as an anesthetic or sedative, with no psychiatric or pain indication.

    An anesthetic use named as an exception ("investigational except for anesthesia") is
    carved out of the clause, which is then about the other uses.
    """
    if not _ANESTHESIA_RE.search(text) or _PSYCH_RE.search(text):
        return False
    return not _CARVE_OUT_RE.search(text)


def subject_drugs(sentence: str) -> tuple[list[Drug], str]:
    """The drugs a sentence is about, and the part of it that states their stance.

    Two drugs joined in one subject ("ketamine and esketamine are …") share the sentence;
    otherwise the first named is the subject, and when the other drug's part of the sentence
    contrasts ("…, whereas ketamine is investigational") only the first part speaks for it.
    """
    if not mentions_drug(sentence):
        return [], sentence
    es = ESKETAMINE_RE.search(sentence)
    ke = KETAMINE_RE.search(ESKETAMINE_RE.sub(lambda m: " " * len(m.group(0)), sentence))
    if es is None or ke is None:
        return (["esketamine"] if es else ["ketamine"] if ke else []), sentence
    first, second = (es, ke) if es.start() < ke.start() else (ke, es)
    first_drug_: Drug = "esketamine" if first is es else "ketamine"
    between = sentence[first.end() : second.start()]
    if _COORDINATION_RE.match(between) and not _CONTRAST_RE.search(between):
        other: Drug = "ketamine" if first_drug_ == "esketamine" else "esketamine"
        return [first_drug_, other], sentence
    head = sentence[: second.start()]
    return [first_drug_], head if classify(head) else sentence


def select_clauses(
    blocks: list[Block], title: str | None = None, why: list[Why] | None = None
) -> list[Clause]:
    """The coverage clauses of a document, in document order, each (drug, text) once.

    ``title`` (the document's) is the last source of a clause's drug; pass a list as ``why``
    to receive, parallel to the clauses, how each one's drug and stance were decided.
    """
    st = _State(title=title, why=why)
    last_path: list[str] | None = None
    in_context = False
    joined = -1
    for index, block in enumerate(blocks):
        if index == joined:
            continue
        st.index = index
        if _is_split_label(blocks, index):
            # "Approval length:" and "3 months" on separate lines of a form: one line.
            value = blocks[index + 1]
            block = Block("paragraph", f"{block.text} {value.text}", block.heading_path)
            joined = st.index = index + 1
        if block.kind == "heading":
            _on_heading(st, block)
            continue
        # Blocks under one heading share one path list: classify each distinct path once.
        path = block.heading_path
        if path is not last_path:
            last_path = path
            in_context = section_kind(path, title) == CONTEXT
        if in_context:
            continue
        # A reference list under a heading nobody listed ("Works Cited") is known by its shape.
        if (st.gov is not None or mentions_drug(block.text)) and is_citation(block.text):
            continue
        if block.kind == "list_item":
            _on_list_item(st, blocks, index)
        elif block.kind == "table_row":
            _on_row(st, blocks, index)
        else:
            _on_paragraph(st, block)
    return st.out


def _is_split_label(blocks: list[Block], index: int) -> bool:
    """A short label paragraph ("Approval length:") whose value is the next short line."""
    block = blocks[index]
    text = block.text
    if block.kind != "paragraph" or len(text) > 40 or not text.endswith(":"):
        return False
    if index + 1 >= len(blocks) or is_label(text) or _INTRODUCES_RE.search(text[:-1]):
        return False
    value = blocks[index + 1]
    return (
        value.kind == "paragraph"
        and value.heading_path == block.heading_path
        and len(value.text) <= 60
        and not value.text.endswith(":")
        and not mentions_drug(text)
    )


def _add(
    st: _State,
    block: Block,
    text: str,
    drug: Drug,
    stance: str,
    ctype: str,
    path: list[str],
    why: Why,
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
    if st.why is not None:
        why.path = path
        st.why.append(why)


def _governed(gov: _Statement) -> Why:
    """The explanation of a clause that inherits drug and stance from its governing text."""
    if gov.label:
        # A heading, caption or label governs: the drug came from the context it names.
        source = gov.why.drug_from if gov.why else "heading"
        origin = gov.why.context if gov.why else gov.text
        return Why(f"inherited from the criteria heading or label '{gov.text}'", "", source, origin)
    return Why("inherited from the governing statement", "", "governing statement", gov.text)


def _on_heading(st: _State, block: Block) -> None:
    depth = len(block.heading_path)
    st.named = None
    named = drugs_in(block.text)
    if classify_heading(block.text) == CONTEXT and block.text != st.title:
        st.gov = st.ctx = st.approval = None
    else:
        part = is_section_part(block.text)
        for attr in ("gov", "ctx", "approval"):
            stmt: _Statement | None = getattr(st, attr)
            if stmt is None:
                continue
            # Sibling sub-headings ("Initial Therapy", "Continuation of Therapy") stay under the
            # statement, and so does one naming the statement's own drug ("Continuation of
            # Spravato therapy"); a heading naming another drug, a label's section ending, or
            # leaving the section that holds the statement ends its reach.
            # A sibling of the statement's section heading that is not a part of it
            # ("Approval Duration") opens a new topic (the next alert on an alerts page).
            if (
                (named and named != [stmt.drug])
                or (stmt.label and attr == "gov")
                or depth < stmt.depth - 1
                or (depth == stmt.depth - 1 and not named and not part)
            ):
                setattr(st, attr, None)
    st.preamble_texts = []


def _statement(
    st: _State, block: Block, sentence: str, stance_of: str | None = None
) -> _Statement | None:
    """Record ``sentence`` as a statement when it names a drug and states a stance."""
    if is_pointer(sentence) or is_anesthesia_use(sentence):
        return None
    drugs, stance_text = subject_drugs(sentence)
    if not drugs:
        return None
    match = match_rule(stance_of or stance_text)
    ctx = st.ctx
    if match is None and ctx is not None and same_as_before(sentence):
        # "The same determination applies to oral ketamine": the previous statement's stance.
        match = Match(ctx.stance, "same as the previous statement", "", False)
    if match is None:
        st.named = (drugs[0], sentence)
        return None
    stance = match.stance
    if stance == "covered" and _INTRODUCES_RE.search(sentence):
        # "Spravato is covered for members who:" — coverage that introduces conditions.
        stance = "covered_with_criteria"
    first: _Statement | None = None
    for drug in drugs:
        why = Why(match.rule, match.cue, "text", "")
        stmt = _Statement(
            drug,
            stance,
            sentence,
            indication_of(sentence),
            len(block.heading_path),
            st.index,
            why=why,
        )
        _add(st, block, sentence, drug, stance, "statement", [], why, stmt.indication)
        first = first or stmt
    assert first is not None
    _set_statement(st, first)
    return first


def _set_statement(st: _State, stmt: _Statement) -> None:
    st.ctx = stmt
    if not is_negative(stmt.stance):
        st.approval = stmt
    st.named = (stmt.drug, stmt.text)
    st.gov = stmt if _INTRODUCES_RE.search(stmt.text) else None


def _limited(st: _State, block: Block) -> _Statement | None:
    """The statement an approval duration or quantity limit limits: the last statement, or
    the last approving one when the last was a negative ("investigational for other uses").
    In a criteria sub-section opened after the statement ("Prior Authorization (Initial)"
    under a "requires prior authorization" statement) the limit is the criteria's."""
    ctx = st.ctx
    if (
        ctx is not None
        and len(block.heading_path) > ctx.depth
        and block.heading_path
        and is_criteria_heading(block.heading_path[-1])
    ):
        section = _heading_statement(st, block)
        if section is not None and section.drug == ctx.drug:
            return section
    if ctx is not None and is_negative(ctx.stance) and st.approval is not None:
        return st.approval if st.approval.drug == ctx.drug else ctx
    return ctx


def _previous(st: _State) -> tuple[Drug, str] | None:
    return (st.ctx.drug, st.ctx.text) if st.ctx is not None else None


def _drugless_type(sentence: str) -> str:
    """A sentence that carries a stance without naming the drug is, by the corpus format, a
    criterion (or a limitation): ``statement`` is kept for sentences that name the drug. It
    still governs what follows it like a statement."""
    return "limitation" if is_limitation_item(sentence) else "criterion"


def _context_statement(st: _State, block: Block, sentence: str) -> bool:
    """A sentence naming no drug that refers to one ("It is considered …", "The requested
    product may be approved when …", "The same criteria apply …") is a statement about the
    context's drug (see :mod:`.context` for where the drug comes from and when it resets)."""
    ctx = st.ctx
    if ctx is not None and same_as_before(sentence) and classify(sentence) is None:
        why = Why("same as the previous statement", "", "previous statement", ctx.text)
        stmt = _Statement(
            ctx.drug,
            ctx.stance,
            sentence,
            ctx.indication,
            len(block.heading_path),
            st.index,
            why=why,
        )
        _add(
            st,
            block,
            sentence,
            ctx.drug,
            ctx.stance,
            _drugless_type(sentence),
            [ctx.text],
            why,
            ctx.indication,
        )
        _set_statement(st, stmt)
        return True
    if not is_anaphoric(sentence) or is_pointer(sentence) or is_anesthesia_use(sentence):
        return False
    if ctx is not None and _LIMITATION_RE.search(sentence):
        return False  # "It may be approved for six months": a limitation of the statement
    match = match_rule(sentence)
    if match is None:
        return False
    found = context_drug(block.heading_path, st.title, _previous(st), st.named)
    if found is None:
        return False
    drug, source, origin = found
    why = Why(match.rule, match.cue, source, origin)
    indication = indication_of(sentence) or (ctx.indication if ctx and ctx.drug == drug else None)
    stmt = _Statement(
        drug, match.stance, sentence, indication, len(block.heading_path), st.index, why=why
    )
    _add(st, block, sentence, drug, match.stance, _drugless_type(sentence), [], why, indication)
    if ctx is not None and ctx.drug == drug:
        # A drug-less sentence conditions the section's statement ("This benefit requires prior
        # approval"); it does not replace it as what later limitations limit.
        if _INTRODUCES_RE.search(sentence):
            st.gov = stmt
    else:
        _set_statement(st, stmt)
    return True


def _section_statement(
    st: _State, block: Block, text: str, named_ok: bool = True
) -> _Statement | None:
    """The implied statement of a criteria heading, caption or label ("Criteria:"): the
    context's drug, with the heading's own negative stance ("Conditions Not Covered"), else
    the section's statement's stance, else covered with criteria. ``named_ok`` lets the last
    drug named in the section decide (not for list items: a list may mix services)."""
    named = drugs_in(text)
    if len(named) == 1:
        drug: Drug = named[0]
        source, origin = "heading", text
    elif named:
        return None
    else:
        found = context_drug(
            block.heading_path, st.title, _previous(st), st.named if named_ok else None
        )
        if found is None:
            return None
        drug, source, origin = found
    own = match_rule(text)
    ctx = st.ctx
    if own is not None and is_negative(own.stance):
        stance, why = own.stance, Why(own.rule, own.cue, source, origin)
    elif ctx is not None and ctx.drug == drug and is_negative(ctx.stance):
        stance, why = ctx.stance, Why("stance of the section's statement", "", source, ctx.text)
    else:
        # Criteria are conditions of approval, whatever process ("prior authorization") the
        # document named before them.
        stance, why = "covered_with_criteria", Why("criteria section", text, source, origin)
    indication = ctx.indication if ctx is not None and ctx.drug == drug else None
    return _Statement(
        drug, stance, text, indication, len(block.heading_path), st.index, label=True, why=why
    )


def _heading_statement(st: _State, block: Block, named_ok: bool = True) -> _Statement | None:
    """The implied statement of the nearest criteria heading above a block, if any.

    The document title counts only through a heading naming the drug below it ("PDL
    Criteria" > "Spravato"): a title alone ("Investigational Services") governs nothing.
    """
    path = block.heading_path
    for depth in range(len(path) - 1, -1, -1):
        heading = path[depth]
        if heading == st.title:
            break
        if classify_heading(heading) == CONTEXT:
            return None
        if is_criteria_heading(heading):
            return _section_statement(st, block, heading, named_ok)
        if len(drugs_in(heading)) == 1 and any(is_criteria_heading(h) for h in path[:depth]):
            return _section_statement(st, block, heading, named_ok)
    return None


def _adopt(st: _State, index: int) -> None:
    """A list, numbered paragraph or table right after a statement is governed by it,
    whatever the lead-in's punctuation ("… when the following criteria are met." or none)."""
    ctx = st.ctx
    if st.gov is None and ctx is not None and not ctx.label and ctx.block == index - 1:
        st.gov = ctx


def _on_paragraph(st: _State, block: Block) -> None:
    if is_legend(block.text):
        return  # a key of status codes ("PA = prior authorization, see Spravato criteria")
    marker = footnote_marker(block.text[:4]) if block.text[:1] in "*†‡§¶" else None
    owner = st.footnotes.get(marker) if marker else None
    if owner is None and not mentions_drug(block.text):
        _drugless_paragraph(st, block, block.text)
        return
    if owner is None and block.group >= 0 and _CRITERIA_WORDS_RE.search(block.text):
        # A table caption naming the drug ("Spravato initial approval criteria").
        label = _section_statement(st, block, block.text)
        if label is not None:
            st.gov = label
            return
    if owner is None and block.group >= 0 and not block.text.endswith("."):
        # A table caption naming the drug ("Diagnosis codes accepted for esketamine") titles
        # the table; it states nothing on its own.
        caption_drug = first_drug(block.text)
        if caption_drug is not None:
            st.named = (caption_drug, block.text)
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
                rule = match_rule(sentence)
                _add(
                    st,
                    block,
                    sentence,
                    owner.drug,
                    classify(sentence) or para_stance or owner.stance,
                    "limitation" if drug is None else "criterion",
                    [owner.text],
                    Why(rule.rule, rule.cue, "footnote", owner.text)
                    if rule
                    else Why("footnote of", "", "footnote", owner.text),
                )
            continue
        if drug is not None and _statement(st, block, sentence):
            continue
        if drug is None and _context_statement(st, block, sentence):
            continue
        if is_pointer(sentence) or is_anesthesia_use(sentence) or _BILLING_RE.search(sentence):
            continue
        ctx = st.ctx
        if (
            drug is not None
            and ctx is not None
            and ctx.drug == drug
            and _CRITERION_RE.search(sentence)
        ):
            _add(
                st,
                block,
                sentence,
                drug,
                ctx.stance,
                "criterion",
                [ctx.text],
                _governed(ctx),
                ctx.indication,
            )
        elif ctx is not None and ctx.drug == (drug or para_drug):
            # A sentence without a stance of its own, about the drug of the statement before
            # it ("Spravato may be reauthorized for 6 months when one of the following is
            # met:"), conditions or limits that statement.
            introduces = bool(_INTRODUCES_RE.search(sentence)) and sentence.rstrip().endswith(":")
            if introduces or _LIMITATION_RE.search(sentence):
                role = "limitation"
            elif _CRITERION_RE.search(sentence):
                role = "criterion"
            else:
                continue
            _add(st, block, sentence, ctx.drug, ctx.stance, role, [ctx.text], _governed(ctx))
            if introduces:
                # "Approve for 6 months if the patient meets ALL of the following:" governs
                # the list below on behalf of the drug statement before it.
                st.gov = ctx


# "A)", "1.", "(b)", "ii." or a bullet at the start of a paragraph.
_ENUMERATED_RE = re.compile(r"^\s*(?:\(?(?:[A-Za-z]|\d{1,2}|[ivx]{1,4})[.)]|[•·▪◦●○■□➢►–-])\s+\S")
# A lead-in that announces conditions ("The following conditions must be met:").
_CONDITIONS_RE = re.compile(
    r"\b(?:criteria|conditions|requirements)\b|\bmust (?:all |also )?(?:be met|apply)\b", re.I
)
# A caption or label that announces criteria (not a PA list: "Drugs requiring PA").
_CRITERIA_WORDS_RE = re.compile(r"\bcriteria\b|\brequirements\b|\bconditions for\b", re.I)


def _is_enumerated_criterion(text: str) -> bool:
    """A paragraph that is one item of a lettered/numbered criteria list."""
    return bool(_ENUMERATED_RE.match(text)) or trailing_connector(text) is not None


def _is_form_line(st: _State, text: str) -> bool:
    """A line of a criteria form ("Diagnosis of treatment-resistant depression"): a short
    fragment (no closing full stop) right after the form's label or its previous line."""
    tail = text.rstrip()[-1:]
    return st.form_line == st.index - 1 and len(text) <= 250 and tail not in (":", ".")


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
    """A paragraph naming no drug: a criterion written as a lettered paragraph or a form
    line, a label opening criteria, a statement about the context's drug, a limitation of
    the current statement, or a preamble."""
    introduces = text.rstrip().endswith(":")
    enumerated = _is_enumerated_criterion(text)
    if enumerated:
        _adopt(st, st.index)
    gov = st.gov
    if (
        gov is not None
        and not introduces
        and (enumerated or (gov.label and _is_form_line(st, text)))
    ):
        st.form_line = st.index
        # "A) Patient is >= 18 years of age; AND" typeset as a paragraph, not a list item.
        if not is_pointer(text):
            ctype = _item_type(gov, strip_marker(text))
            _add(
                st,
                block,
                text,
                gov.drug,
                gov.stance,
                ctype,
                [gov.text],
                _governed(gov),
                gov.indication,
            )
        return
    if is_label(text) or (block.group >= 0 and _CRITERIA_WORDS_RE.search(text)):
        # "Criteria:" on a form, or a table caption "Criteria for approval".
        label = _section_statement(st, block, text.rstrip(" :"))
        if label is not None:
            st.gov = label
            st.form_line = st.index
            return
    # Every drug-less sentence may refer to the context's drug.
    sents = sentences(text)
    made = False
    for sentence in sents:
        made = _context_statement(st, block, sentence) or made
    if made:
        return
    ctx = _limited(st, block)
    # The whole-paragraph search is a superset of the per-sentence one: most paragraphs
    # fail it and are never split into sentences.
    if _LIMITATION_RE.search(text) or (
        _AMOUNT_RE.search(text) and any(map(is_duration_heading, block.heading_path[-1:]))
    ):
        if (
            ctx is None
            and is_limitation_item(text)
            and not is_duration_heading(block.heading_path[-1] if block.heading_path else "")
        ):
            # "Approval length: 3 months" on a form whose drug is the title's.
            implied = _heading_statement(st, block) or _section_statement(st, block, "")
            if implied is not None and not is_pointer(text):
                _add(
                    st,
                    block,
                    text,
                    implied.drug,
                    implied.stance,
                    "limitation",
                    [implied.text] if implied.text else [],
                    _governed(implied),
                )
                return
        duration = any(map(is_duration_heading, block.heading_path[-1:]))
        if ctx is None and duration:
            ctx = _heading_statement(st, block) or _section_statement(st, block, "")
        if ctx is not None:
            sents = sents or sentences(text)
            for sentence in sents:
                amount = _LIMITATION_RE.search(sentence) or (
                    duration and _AMOUNT_RE.search(sentence)
                )
                if amount and not is_pointer(sentence):
                    _add(
                        st,
                        block,
                        sentence,
                        ctx.drug,
                        ctx.stance,
                        "limitation",
                        [ctx.text],
                        _governed(ctx),
                    )
                    if introduces and sentence is sents[-1]:
                        # "Approve for 6 months if the patient meets ALL of the following:"
                        st.gov = ctx
                        return
    st.preamble_texts.append(text)
    if introduces:
        # "The following conditions must be met:" after a statement lists that statement's
        # conditions; a lead-in with a stance of its own ("The following are not covered:")
        # introduces a list of its own.
        ctx = st.ctx
        conditions = ctx is not None and _CONDITIONS_RE.search(text) and classify(text) is None
        st.gov = ctx if conditions else None


def _on_list_item(st: _State, blocks: list[Block], index: int) -> None:
    block = blocks[index]
    text = block.text
    if is_connector(text):
        return
    _adopt(st, index)
    gov = _governing(st, blocks, index)
    drug = first_drug(text)
    if gov is None and drug is None:
        gov = _heading_statement(st, block, named_ok=False)
    if gov is not None:
        if gov.label:
            st.form_line = index
        if _GROUP_RE.match(text):
            return
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
            _governed(gov),
            gov.indication,
        )
        return
    if drug is None:
        return
    if _statement(st, block, text):
        st.gov = st.gov if _INTRODUCES_RE.search(text) else None
        return
    if is_pointer(text) or is_anesthesia_use(text):
        return
    preamble = _preamble(st)
    if preamble is not None:
        _add(st, block, text, drug, preamble, "listing", [], Why("list preamble", "", "text"))
        return
    # A drug listed under a heading that states the stance ("Non-Preferred Agents").
    for heading in reversed(block.heading_path):
        if heading == st.title:
            break
        match = match_rule(heading)
        if match is not None:
            _add(
                st,
                block,
                text,
                drug,
                match.stance,
                "listing",
                [heading],
                Why(match.rule, match.cue, "text", heading),
            )
            return
    implied = _heading_statement(st, block, named_ok=False)
    if implied is not None and implied.drug == drug:
        _add(
            st,
            block,
            text,
            drug,
            implied.stance,
            _item_type(implied, text),
            [implied.text],
            _governed(implied),
            implied.indication,
        )


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
            _criteria_row(st, blocks, index)
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
    decided = (
        (flagged, Why("flag column", "", "text", header))
        if flagged
        else _row_stance(st, blocks, index, cells, col, header)
    )
    if decided is None or decided[0] is None:
        return
    stance, why = decided
    # The row's codes are the clause's, even in another cell: a description cell describes them.
    row_codes = codes_in(block.text)
    _add(st, block, cell, drug, stance, "listing", [header] if header else [], why, None, row_codes)
    marker = footnote_marker(cell)
    if marker:
        st.footnotes[marker] = _Statement(
            drug, stance, strip_footnote(cell), None, len(block.heading_path)
        )


def _criteria_row(st: _State, blocks: list[Block], index: int) -> None:
    """A row naming no drug in a table of criteria: under a criteria caption, or right after
    a statement that announces the table ("… the criteria in the table below are met.")."""
    block = blocks[index]
    gov = st.gov
    if gov is None:
        ctx = st.ctx
        if (
            ctx is None
            or ctx.block != index - 1
            or not (_INTRODUCES_RE.search(ctx.text) or "table" in ctx.text.lower())
        ):
            return
        st.gov = gov = ctx
    previous = blocks[index - 1] if index else None
    adjacent = previous is not None and (previous.group == block.group or (gov.block == index - 1))
    if not adjacent or is_pointer(block.text):
        return
    _add(
        st,
        block,
        block.text,
        gov.drug,
        gov.stance,
        _item_type(gov, block.text),
        [gov.text],
        _governed(gov),
        gov.indication,
    )


_YES_RE = re.compile(r"^\s*(?:yes|y|x|required|✓|✔)\s*$", re.I)
_NO_RE = re.compile(r"^\s*(?:no|n|not required|none)\s*$", re.I)


def _flag_stance(cells: list[str], columns: list[str], col: int) -> str | None:
    """Stance of a yes/no flag cell, read from its column header ("Prior Authorization
    Required: Yes"). "No" under a PA or step-therapy column means no such requirement, and
    under a "Preferred" column a non-preferred drug."""
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
            if stance == "preferred":
                return "non_preferred"
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


# A lone status letter under a status column: "P" is preferred (NP / NF are rules of stance.py).
_STATUS_COL_RE = re.compile(r"status|\bpdl\b|preferred|formulary|tier", re.I)


def _row_stance(
    st: _State, blocks: list[Block], index: int, cells: list[str], col: int, header: str
) -> tuple[str, Why] | None:
    """Status cell (read through the document's legend), then the drug cell, then its column
    header, then the table preamble."""
    columns = blocks[index].columns
    if st.legend is None:
        st.legend = document_legend(blocks)
    for i, cell in enumerate(cells):
        if i != col and cell and len(cell) <= 60 and not drugs_in(cell):
            status = status_stance(cell, st.legend)
            if status:
                match = match_rule(cell)
                if match is not None and match.stance == status:
                    return status, Why(match.rule, match.cue, "text", cell)
                return status, Why("status cell read through the legend", cell, "text", cell)
            if (
                cell.strip().upper() == "P"
                and i < len(columns)
                and _STATUS_COL_RE.search(columns[i])
            ):
                return "preferred", Why("status letter", cell.strip(), "text", columns[i])
    for text in (cells[col], header):
        match = match_rule(text) if text else None
        if match:
            return match.stance, Why(match.rule, match.cue, "text", text)
    preamble = _preamble(st)
    if preamble is not None:
        return preamble, Why("table preamble", "", "text")
    for heading in reversed(blocks[index].heading_path):
        match = match_rule(heading)
        if match:
            return match.stance, Why(match.rule, match.cue, "text", heading)
    return None
