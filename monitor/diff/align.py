"""Align the clauses of two versions: by place first, then by similarity.

Passes, each working only on what the previous ones left over, so the common case (a large
policy where ~1% of clauses changed) costs little more than hashing every clause once:

1. exact raw identity of (drug, stance, type, section, path, text) — byte-identical clauses,
   no normalisation paid;
2. the same place and the same normalised text (:func:`compare_key`) — Unicode, whitespace,
   list-marker and connector variants;
3. the same drug and normalised text at another place — reordered lists, a heading renamed,
   a criteria group regrouped: the clause *moved*, its meaning did not change;
4. similarity among the leftovers of one drug (word-level ratio, a small bonus for the same
   place) — rewording and edits become *modified* pairs with a redline; what still has no
   partner is *added* or *removed*.
"""

from __future__ import annotations

import difflib
from collections import defaultdict, deque
from collections.abc import Hashable, Mapping, Sequence
from typing import Literal, NamedTuple

from crawler.extract.model import Clause
from monitor.diff.normalize import compare_key, words

AlignOp = Literal["equal", "moved", "modified", "added", "removed"]

# Below this word-level similarity two clauses are an unrelated removal and addition, not an edit.
MIN_SIMILARITY = 0.5
# Clauses at the same place are paired first, above this bar.
SAME_PLACE_SIMILARITY = 0.6
# A clause at the same section/path is a likelier partner than an equally similar one elsewhere.
PLACE_BONUS = 0.05
# Above this many leftover pairs per drug, compare only within the same place: a rewritten
# document must not turn the diff quadratic.
MAX_PAIRS = 40_000


class AlignedPair(NamedTuple):
    """One alignment result; ``before``/``after`` indices point into the input lists."""

    # A NamedTuple, not a dataclass: a large policy yields one pair per clause, and tuples are
    # several times cheaper to build.
    op: AlignOp
    before: int | None
    after: int | None
    similarity: float = 1.0


def _place_key(c: Clause) -> tuple[str, str, tuple[str, ...]]:
    return (c.drug, compare_key(c.section), tuple(compare_key(p) for p in c.path))


def _identity(c: Clause) -> tuple[str, str]:
    # Part of the exact-match keys so that duplicate texts under different stances (a drug in
    # two PDL columns) pair with their own kind; a stance change is found by pass 3.
    return (c.stance, c.type)


def _match_by(
    keys_b: Sequence[tuple[int, Hashable]], keys_a: Sequence[tuple[int, Hashable]]
) -> list[tuple[int, int]]:
    """Pair indices whose keys are equal, in order of appearance (duplicates pair up in turn)."""
    first: dict[Hashable, int] = {}
    more: dict[Hashable, deque[int]] = {}
    for i, k in keys_b:
        if k in first:
            more.setdefault(k, deque()).append(i)
        else:
            first[k] = i
    out: list[tuple[int, int]] = []
    for j, k in keys_a:
        hit = first.pop(k, None)
        if hit is None:
            q = more.get(k)
            if not q:
                continue
            hit = q.popleft()
        out.append((hit, j))
    return out


def align(before: Sequence[Clause], after: Sequence[Clause]) -> list[AlignedPair]:
    """Align two clause lists; every input index appears in exactly one returned pair.

    Pairs come grouped by pass (equal, moved, modified, removed, added), not in document order;
    sort the few changed ones for display.
    """
    pairs: list[AlignedPair] = []
    left_b = set(range(len(before)))
    left_a = set(range(len(after)))

    def take(matches: list[tuple[int, int]], op: AlignOp) -> None:
        left_b.difference_update(i for i, _ in matches)
        left_a.difference_update(j for _, j in matches)
        pairs.extend([AlignedPair(op, i, j) for i, j in matches])

    # Pass 1: raw identity. Plain tuples of str hash fast; no normalisation is paid here.
    take(
        _match_by(
            [
                (i, (c.drug, c.stance, c.type, c.section, *c.path, "\x00", c.text))
                for i, c in enumerate(before)
            ],
            [
                (j, (c.drug, c.stance, c.type, c.section, *c.path, "\x00", c.text))
                for j, c in enumerate(after)
            ],
        ),
        "equal",
    )
    if not left_b and not left_a:
        return pairs

    text_b = {i: compare_key(before[i].text) for i in left_b}
    text_a = {j: compare_key(after[j].text) for j in left_a}
    place_b = {i: _place_key(before[i]) for i in left_b}
    place_a = {j: _place_key(after[j]) for j in left_a}

    # Pass 2: same place, same normalised text.
    take(
        _match_by(
            [(i, (_identity(before[i]), place_b[i], text_b[i])) for i in sorted(left_b)],
            [(j, (_identity(after[j]), place_a[j], text_a[j])) for j in sorted(left_a)],
        ),
        "equal",
    )
    # Pass 3: same drug and normalised text anywhere (reordering, regrouping).
    take(
        _match_by(
            [(i, (before[i].drug, text_b[i])) for i in sorted(left_b)],
            [(j, (after[j].drug, text_a[j])) for j in sorted(left_a)],
        ),
        "moved",
    )
    # Pass 4: similarity on the leftovers of each drug. Edits usually stay in place, so clauses
    # at the same place are paired first (a stricter bar); only what is left is compared across
    # places. That keeps the quadratic part small when a few clauses of a large policy changed.
    by_drug_b: dict[str, list[int]] = defaultdict(list)
    by_drug_a: dict[str, list[int]] = defaultdict(list)
    for i in sorted(left_b):
        by_drug_b[before[i].drug].append(i)
    for j in sorted(left_a):
        by_drug_a[after[j].drug].append(j)
    for drug, bs in by_drug_b.items():
        as_ = by_drug_a.get(drug, [])
        if not as_:
            continue
        words_b = {i: words(before[i].text) for i in bs}
        words_a = {j: words(after[j].text) for j in as_}
        for same_place_only, threshold in ((True, SAME_PLACE_SIMILARITY), (False, MIN_SIMILARITY)):
            bs_left = [i for i in bs if i in left_b]
            as_left = [j for j in as_ if j in left_a]
            if not bs_left or not as_left:
                break
            if len(bs_left) * len(as_left) > MAX_PAIRS:
                same_place_only = True
            for score, i, j in _similar(
                bs_left, as_left, words_b, words_a, place_b, place_a, same_place_only, threshold
            ):
                if i in left_b and j in left_a:
                    left_b.discard(i)
                    left_a.discard(j)
                    pairs.append(AlignedPair("modified", i, j, min(score, 1.0)))
    pairs.extend(AlignedPair("removed", i, None, 0.0) for i in sorted(left_b))
    pairs.extend(AlignedPair("added", None, j, 0.0) for j in sorted(left_a))
    return pairs


def _similar(
    bs: list[int],
    as_: list[int],
    words_b: dict[int, list[str]],
    words_a: dict[int, list[str]],
    place_b: Mapping[int, Hashable],
    place_a: Mapping[int, Hashable],
    same_place_only: bool,
    threshold: float,
) -> list[tuple[float, int, int]]:
    """Candidate pairs at or above ``threshold``, best first."""
    candidates: list[tuple[float, int, int]] = []
    matcher = difflib.SequenceMatcher(autojunk=False)
    for j in as_:
        matcher.set_seq2(words_a[j])  # seq2 is the side SequenceMatcher indexes: set it once
        for i in bs:
            same_place = place_b[i] == place_a[j]
            if same_place_only and not same_place:
                continue
            bonus = PLACE_BONUS if same_place else 0.0
            matcher.set_seq1(words_b[i])
            # Cheap upper bounds first: most leftover pairs are obviously unrelated.
            if matcher.real_quick_ratio() + bonus < threshold:
                continue
            if matcher.quick_ratio() + bonus < threshold:
                continue
            score = matcher.ratio() + bonus
            if score >= threshold:
                candidates.append((score, i, j))
    candidates.sort(key=lambda t: (-t[0], t[1], t[2]))
    return candidates
