"""Account rules: registration, authentication and passwords."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from ..extensions import db
from ..libraries import LibraryDetails
from ..libraries import find_or_create_library
from ..models import ROLES
from ..models import User


class AccountError(ValueError):
    """A rule about accounts refused the input (e.g. a username already taken)."""


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def _dummy_hash() -> str:
    # Verified when the username is unknown, so a failed login costs the same
    # whether or not the account exists (no user enumeration by timing).
    cache = current_app.extensions.setdefault("serambi_dummy_hash", {})
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in cache:
        cache[method] = generate_password_hash(secrets.token_hex(16), method=method)
    return cache[method]


def find_user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username.strip().lower()))


def username_taken(username: str) -> bool:
    return find_user(username) is not None


def email_taken(email: str, *, except_user: User | None = None) -> bool:
    query = sa.select(User.id).where(User.email == email.strip().lower())
    if except_user is not None:
        query = query.where(User.id != except_user.id)
    return db.session.scalar(query) is not None


def authenticate(username: str, password: str) -> User | None:
    """The member with these credentials, or ``None`` (same work either way)."""
    user = find_user(username or "")
    if user is None:
        check_password_hash(_dummy_hash(), password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    return user


def create_user(
    username: str,
    email: str,
    password: str,
    *,
    display_name: str | None = None,
    role: str = "librarian",
    library: LibraryDetails | None = None,
) -> User:
    """Create a member (registration form, CLI and demo alike). The caller commits."""
    username = username.strip().lower()
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}")
    if username_taken(username):
        raise AccountError("username taken")
    if email_taken(email):
        raise AccountError("email taken")
    user = User(
        username=username,
        display_name=(display_name or username).strip(),
        email=email.strip().lower(),
        password_hash=hash_password(password),
        role=role,
    )
    if library is not None and library.name:
        user.library = find_or_create_library(library)
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Change a password and end every other session of this member."""
    user.password_hash = hash_password(password)
    user.rotate_session_token()
