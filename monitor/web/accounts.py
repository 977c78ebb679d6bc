"""Users of the workspace: argon2id password hashes, API tokens stored as sha256 digests."""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import User

ROLES = ("viewer", "analyst", "operator", "admin")
# What each role may do: everyone reads; analysts review; operators manage sources; admins all.
PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "analyst": frozenset({"read", "review"}),
    "operator": frozenset({"read", "operate"}),
    "admin": frozenset({"read", "review", "operate", "admin"}),
}
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,79}$")
MIN_PASSWORD = 10

# argon2-cffi's defaults (RFC 9106 low-memory profile: 64 MiB, 3 passes) are memory-hard.
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so timing does not tell names apart."""
    return _hasher.hash("policywatch-no-such-user")


class AccountError(ValueError):
    """A user cannot be created or changed; the message says why and what to do."""


def can(role: str, permission: str) -> bool:
    return permission in PERMISSIONS.get(role, frozenset())


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(session: Session, name: str, role: str, password: str, *, now: datetime) -> User:
    if not NAME.match(name):
        raise AccountError(
            f"{name!r} is not a valid user name: letters, digits and . _ @ - (at most 80)"
        )
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    if session.get(User, name) is not None:
        raise AccountError(f"user {name!r} exists; remove it first or pick another name")
    user = User(name=name, role=role, password_hash=_hasher.hash(password), created_at=now)
    session.add(user)
    session.flush()
    return user


def remove_user(session: Session, name: str) -> None:
    user = session.get(User, name)
    if user is None:
        raise AccountError(f"no user {name!r}; `policywatch users list` shows them")
    session.delete(user)
    session.flush()


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def issue_token(session: Session, name: str) -> str:
    """A new API token for ``name`` (the old one stops working); shown once, stored hashed."""
    user = session.get(User, name)
    if user is None:
        raise AccountError(f"no user {name!r}; `policywatch users list` shows them")
    token = "pw_" + secrets.token_urlsafe(32)
    user.api_token_hash = token_digest(token)
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    if not token:
        return None
    return session.scalars(select(User).where(User.api_token_hash == token_digest(token))).first()


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The user when ``password`` is right; re-hashes it if the parameters were raised."""
    user = session.get(User, name) if NAME.match(name or "") else None
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def session_stamp(user: User) -> str:
    """Changes when the password does: sessions issued before a password change end."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]
