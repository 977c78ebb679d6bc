"""Review statuses, once: plain data, so the CLI can offer them without loading SQLAlchemy."""

# Every review status a change event can have, once: what it means for publication.
REVIEW_STATUSES: dict[str, str] = {
    "new": "awaiting an analyst",
    "confirmed": "an analyst confirmed it: published",
    "dismissed": "an analyst dismissed it: kept as evidence, never published or announced",
    "flapping": "set by the diff: content that flipped back within 14 days; never announced again",
}
VERDICTS = ("new", "confirmed", "dismissed")  # what an analyst may set
UNPUBLISHED_STATUSES = frozenset({"dismissed", "flapping"})
