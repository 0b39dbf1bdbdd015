"""Account rules: registration, authentication, failed-login slowdown and passwords."""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from ..extensions import db
from ..libraries import LibraryDetails
from ..libraries import find_or_create_library
from ..libraries import join_library
from ..models import ROLES
from ..models import FacilitatorScope
from ..models import User
from ..models import utcnow
from ..moderation.models import LoginFailure
from ..moderation.models import PasswordResetToken
from ..regions import NATIONAL


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


def find_user(username: str, *, include_deleted: bool = False) -> User | None:
    """The member with this username; deleted accounts are nobody (they never log in again)."""
    query = sa.select(User).where(User.username == username.strip().lower())
    if not include_deleted:
        query = query.where(User.deleted_at.is_(None))
    return db.session.scalar(query)


def username_taken(username: str) -> bool:
    return find_user(username) is not None


# Words the site's addresses use, and a few more that would read as the site itself:
# registering as one of them is refused (``/users/pending``, ``@suggest``, ``/me`` would
# be ambiguous). Every literal part of the app's own URL rules is reserved with them, so
# a new route reserves its words without anyone remembering this list.
RESERVED_USERNAMES = frozenset(
    {
        "suggest", "pending", "new", "me", "admin", "api", "offline", "settings",
        "edit", "delete", "login", "logout", "register", "auth", "account", "profile",
        "users", "threads", "posts", "search", "mentions", "notifications", "bookmarks",
        "drafts", "meetings", "dashboard", "static", "assets", "help", "about", "root",
        "system", "serambi", "moderator", "moderation", "facilitator", "fasilitator",
        "everyone", "semua", "all", "here", "null", "none", "undefined", "anonymous",
        "unread", "feed", "rss", "www", "mail", "support", "security",
    }
)  # fmt: skip


def _route_words() -> frozenset[str]:
    """Every literal part of the app's URL rules (``threads``, ``needs-help`` ...)."""
    cache = current_app.extensions.setdefault("serambi_route_words", {})
    if "words" not in cache:
        cache["words"] = frozenset(
            part
            for rule in current_app.url_map.iter_rules()
            for part in rule.rule.split("/")
            if part and "<" not in part
        )
    return cache["words"]


def username_reserved(username: str) -> bool:
    """A word the site uses itself: refused at registration (existing accounts keep theirs)."""
    name = username.strip().lower()
    return name in RESERVED_USERNAMES or name in _route_words()


def email_taken(email: str, *, except_user: User | None = None) -> bool:
    query = sa.select(User.id).where(User.email == email.strip().lower())
    if except_user is not None:
        query = query.where(User.id != except_user.id)
    return db.session.scalar(query) is not None


def _password_matches(user: User | None, password: str) -> bool:
    """Check a password; an unknown member costs the same work as a known one."""
    if user is None:
        check_password_hash(_dummy_hash(), password or "")
        return False
    return check_password_hash(user.password_hash, password or "")


def authenticate(username: str, password: str) -> User | None:
    """The member with these credentials, or ``None`` (same work either way)."""
    user = find_user(username or "")
    return user if _password_matches(user, password) else None


def create_user(
    username: str,
    email: str,
    password: str,
    *,
    display_name: str | None = None,
    role: str = "librarian",
    library: LibraryDetails | None = None,
    waiting: bool = False,
    ask_to_join: bool = False,
) -> User:
    """Create a member (registration form, CLI and demo alike). The caller commits.

    ``waiting``: their posts wait for a facilitator's approval (REGISTRATION_APPROVAL).
    ``ask_to_join``: a library that has members is joined by a request they confirm
    (the registration form); otherwise (CLI, demo) the member belongs to it at once.
    """
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
        approval="waiting" if waiting else None,
    )
    if library is not None and library.name and not ask_to_join:
        user.library = find_or_create_library(library)
    if role == "facilitator":  # as every facilitator had before regions: narrow it later
        user.scopes = [FacilitatorScope(region=NATIONAL)]
    db.session.add(user)
    db.session.flush()
    if library is not None and ask_to_join:
        join_library(user, library)
    return user


def set_password(user: User, password: str) -> None:
    """Change a password and end every other session of this member."""
    if user.is_deleted:  # deleting an account is for good
        raise AccountError("this account was deleted")
    user.password_hash = hash_password(password)
    user.rotate_session_token()


class LoginSlowedDown(Exception):
    """Too many failed logins for this account from this address: wait ``seconds``."""

    def __init__(self, seconds: int):
        super().__init__(seconds)
        self.seconds = seconds


def _failure_row(user: User, client: str) -> LoginFailure | None:
    return db.session.get(LoginFailure, (user.id, client[:64]))


def login_wait(user: User, client: str, *, now=None) -> int:
    """Seconds this address must wait before trying this account again (0: go ahead)."""
    row = _failure_row(user, client)
    if row is None:
        return 0
    config = current_app.config
    now = now or utcnow()
    since = (now - row.last_failed_at).total_seconds()
    if row.failures < config["LOGIN_SLOWDOWN_AFTER"] or since >= config["LOGIN_SLOWDOWN_SECONDS"]:
        return 0
    return max(1, int(config["LOGIN_SLOWDOWN_SECONDS"] - since))


def record_login_failure(user: User, client: str, *, now=None) -> None:
    """Count a failed login in the database, where every worker sees it."""
    now = now or utcnow()
    client = client[:64]
    forgotten = now - timedelta(seconds=current_app.config["LOGIN_FAILURES_FORGOTTEN_AFTER"])
    key = (LoginFailure.user_id == user.id, LoginFailure.client == client)
    # One UPDATE, so two workers counting at once both count.
    updated = db.session.execute(
        sa.update(LoginFailure)
        .where(*key)
        .values(
            failures=sa.case(
                (LoginFailure.last_failed_at < forgotten, 1), else_=LoginFailure.failures + 1
            ),
            last_failed_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if updated:
        return
    try:
        with db.session.begin_nested():
            db.session.add(
                LoginFailure(user_id=user.id, client=client, failures=1, last_failed_at=now)
            )
    except sa.exc.IntegrityError:  # another worker inserted it first
        db.session.execute(
            sa.update(LoginFailure)
            .where(*key)
            .values(failures=LoginFailure.failures + 1, last_failed_at=now)
            .execution_options(synchronize_session=False)
        )


def log_in(username: str, password: str, client: str) -> User | None:
    """The member with these credentials, or ``None``; failures are counted.

    Raises :class:`LoginSlowedDown` (without looking at the password) when this
    address failed too often for this account. The caller commits.
    """
    user = find_user(username or "")
    if user is not None:
        wait = login_wait(user, client)
        if wait:
            raise LoginSlowedDown(wait)
    if _password_matches(user, password):
        db.session.execute(
            sa.delete(LoginFailure).where(
                LoginFailure.user_id == user.id, LoginFailure.client == client[:64]
            )
        )
        return user
    if user is not None:
        record_login_failure(user, client)
    return None


def check_current_password(user: User, password: str, client: str) -> bool:
    """Is this the member's own password, asked again before a change that matters?

    Wrong answers count with the login's failures for this account and address,
    and slow down the same way: raises :class:`LoginSlowedDown` (without looking at
    the password) while this address must wait. The caller commits.
    """
    wait = login_wait(user, client)
    if wait:
        raise LoginSlowedDown(wait)
    if not user.is_deleted and _password_matches(user, password):
        return True
    record_login_failure(user, client)
    return False


def find_reset_token(token: str) -> PasswordResetToken | None:
    """The usable reset link for this token, or ``None`` (unknown, used or expired)."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(
        sa.select(PasswordResetToken).where(
            PasswordResetToken.token_hash == PasswordResetToken.digest(token)
        )
    )
    return row if row is not None and row.is_usable else None


def reset_password(reset: PasswordResetToken, password: str) -> User | None:
    """Redeem a reset link: new password, every old session ends, the link is spent.

    Returns ``None`` when another request spent the link first.
    """
    claimed = db.session.execute(
        sa.update(PasswordResetToken)
        .where(PasswordResetToken.id == reset.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return None
    user = reset.user
    if user.is_deleted:
        return None
    # Every other link (a facilitator's, an earlier mail's) ends with this one.
    db.session.execute(
        sa.update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    set_password(user, password)
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.user_id == user.id))
    return user
