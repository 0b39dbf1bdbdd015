"""The forum's rows: members, libraries, threads, posts, tags and edit history.

Threads and posts already carry the moderation states later features need
(pinned, locked, accepted answer, hidden, withdrawn), so those features do not
each migrate the same tables.
"""

from __future__ import annotations

import secrets
from datetime import UTC
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin
from markupsafe import Markup
from sqlalchemy.ext.hybrid import hybrid_property

from search_index import define_similar_table
from search_index import define_table

from . import search_changes as index_changes
from .extensions import db

if TYPE_CHECKING:
    from .attachments.models import Attachment
    from .partners.models import Partner
    from .practices.models import PracticeVerification

ROLES = ("librarian", "facilitator", "admin", "partner")
THREAD_KINDS = ("practice", "challenge")
TIMEZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")  # WIB, WITA, WIT


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """Timezone-aware UTC datetimes on every backend.

    SQLite has no time zone type and hands back naive values; this puts UTC back
    on them so comparisons and Babel formatting never see a naive datetime.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None


thread_tags = sa.Table(
    "thread_tags",
    db.metadata,
    sa.Column("thread_id", sa.ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Library(db.Model):
    """A village library; several members can belong to one."""

    __tablename__ = "libraries"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    village: so.Mapped[str] = so.mapped_column(sa.String(80), default="")  # desa/kelurahan
    district: so.Mapped[str] = so.mapped_column(sa.String(80), default="")  # kecamatan
    regency: so.Mapped[str] = so.mapped_column(sa.String(60), index=True)  # kabupaten/kota slug
    province: so.Mapped[str] = so.mapped_column(sa.String(60), index=True)  # province slug
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Library {self.id} {self.name!r}>"


JOIN_STATUSES = ("waiting", "confirmed", "declined")


class LibraryRequest(db.Model):
    """A member asks to join a library that already has members (forum/libraries.py).

    Until a member of that library or a facilitator of its region confirms, the
    member's ``library`` stays what it was (none, at registration): they cannot act
    for the library, appear among its members or be counted for it. Decided rows
    stay, saying who decided and when.
    """

    __tablename__ = "library_requests"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    library_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("libraries.id", ondelete="CASCADE"), index=True
    )
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default="waiting", index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    decided_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    decided_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    user: so.Mapped[User] = so.relationship(
        foreign_keys=[user_id], back_populates="library_requests"
    )
    library: so.Mapped[Library] = so.relationship()
    decided_by: so.Mapped[User | None] = so.relationship(foreign_keys=[decided_by_id])

    __table_args__ = (
        sa.CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in JOIN_STATUSES) + ")", name="status"
        ),
    )


class User(UserMixin, db.Model):
    """A member: a librarian, a facilitator, an admin, or a partner organisation's member."""

    __tablename__ = "users"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Stored lowercase, so uniqueness is case-insensitive on every backend.
    username: so.Mapped[str] = so.mapped_column(sa.String(30), unique=True)
    # Read through ``display_name`` (below), which names a deleted member.
    stored_display_name: so.Mapped[str] = so.mapped_column("display_name", sa.String(80))
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    role: so.Mapped[str] = so.mapped_column(sa.String(20), default="librarian")
    library_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("libraries.id"), index=True)
    timezone: so.Mapped[str] = so.mapped_column(sa.String(40), default="Asia/Jakarta")
    locale: so.Mapped[str | None] = so.mapped_column(sa.String(5))
    # Part of the login cookie (get_id); rotated at logout and password change so
    # a copied cookie stops working.
    session_token: so.Mapped[str] = so.mapped_column(
        sa.String(32), default=lambda: secrets.token_hex(16)
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    suspended_until: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    suspended_indefinitely: so.Mapped[bool] = so.mapped_column(default=False)
    suspension_reason: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    # Set when the member deleted their account (forum/users/accounts.py): the
    # row stays so their posts keep an author, shown as a former member.
    deleted_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # When the member opened a confirmation link sent to ``email`` (forum/auth/recovery.py);
    # ``None``: not confirmed, so no password-reset link is ever sent to it.
    email_confirmed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # REGISTRATION_APPROVAL: "waiting" until a facilitator of their region vouches for
    # them, or "refused" (with the reason they are shown); ``None``: approved.
    approval: so.Mapped[str | None] = so.mapped_column(sa.String(10), index=True)
    approval_reason: so.Mapped[str | None] = so.mapped_column(sa.String(500))

    # The organisation a ``partner`` speaks for (forum/partners), shown beside their name.
    partner_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("partners.id"), index=True)

    library: so.Mapped[Library | None] = so.relationship()
    # The regions a facilitator looks after (forum/permissions.py reads them).
    scopes: so.Mapped[list[FacilitatorScope]] = so.relationship(
        cascade="all, delete-orphan", order_by="FacilitatorScope.region"
    )
    partner: so.Mapped[Partner | None] = so.relationship(lazy="joined")
    # Requests to join a library (the waiting one: ``requested_library``).
    library_requests: so.Mapped[list[LibraryRequest]] = so.relationship(
        foreign_keys=[LibraryRequest.user_id],
        back_populates="user",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (
        sa.CheckConstraint("role IN ('librarian', 'facilitator', 'admin', 'partner')", name="role"),
    )

    def _get_display_name(self) -> str:
        if self.deleted_at is not None:
            from flask_babel import gettext

            return gettext("former member")  # translated when shown, never stored
        return self.stored_display_name

    def _set_display_name(self, value: str) -> None:
        self.stored_display_name = value

    # Templates, flashes and SQL (User.display_name) keep using this name.
    display_name: so.Mapped[str] = so.synonym(
        "stored_display_name", descriptor=property(_get_display_name, _set_display_name)
    )

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    # What a member re-sends to the index is their names, never a thread's text: a rename
    # does not recompute the similar threads of every thread they opened.
    search_names_only = True

    def search_changes(self):
        """Posts carry their author's names in the index: a rename re-indexes them."""
        if not index_changes.author_names_changed(self):
            return []
        posts = so.object_session(self).scalars(
            sa.select(Post)
            .where(Post.author_id == self.id)
            .options(
                so.joinedload(Post.thread).joinedload(Thread.library),
                so.joinedload(Post.thread).selectinload(Thread.tags),
            )
        )
        return index_changes.changes_for(posts.unique())

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def rotate_session_token(self) -> None:
        self.session_token = secrets.token_hex(16)

    @property
    def is_facilitator(self) -> bool:
        """Facilitators and admins moderate."""
        return self.role in ("facilitator", "admin")

    @property
    def requested_library(self) -> Library | None:
        """The library this member asked to join, waiting for a member's confirmation."""
        waiting = [r for r in self.library_requests if r.status == "waiting"]
        return waiting[-1].library if waiting else None

    @property
    def is_waiting(self) -> bool:
        return self.approval == "waiting"

    @property
    def is_refused(self) -> bool:
        return self.approval == "refused"

    @property
    def is_suspended(self) -> bool:
        if self.suspended_indefinitely:
            return True
        return self.suspended_until is not None and self.suspended_until > utcnow()

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class FacilitatorScope(db.Model):
    """One region a facilitator looks after: a region value (forum/regions.py).

    A kabupaten/kota slug, ``provinsi-<slug>`` or ``nasional``; admins need none.
    """

    __tablename__ = "facilitator_scopes"

    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    region: so.Mapped[str] = so.mapped_column(sa.String(80), primary_key=True)

    def __repr__(self) -> str:
        return f"<FacilitatorScope {self.user_id} {self.region}>"


class Tag(db.Model):
    """A normalized tag (see :mod:`forum.tags`)."""

    __tablename__ = "tags"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(30), unique=True)

    def __repr__(self) -> str:
        return f"<Tag {self.name}>"


class ModerationState:
    """Columns shared by threads and posts: hidden by a facilitator, withdrawn by the author."""

    hidden: so.Mapped[bool] = so.mapped_column(default=False)
    hidden_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    hidden_reason: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    withdrawn_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # Written by a member who waits for a facilitator's approval (REGISTRATION_APPROVAL):
    # shown to its author and facilitators only, published when the member is approved.
    waiting: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())

    @so.declared_attr
    def hidden_by_id(cls) -> so.Mapped[int | None]:
        return so.mapped_column(sa.ForeignKey("users.id"))

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @hybrid_property
    def is_public(self) -> bool:
        """Visible to every member and visitor (and so searchable); in SQL too, so every
        list, count and figure uses this one condition."""
        return not self.hidden and self.withdrawn_at is None and not self.waiting

    @is_public.inplace.expression
    @classmethod
    def _is_public_expression(cls):
        return sa.and_(cls.hidden.is_(False), cls.withdrawn_at.is_(None), cls.waiting.is_(False))


class Thread(ModerationState, db.Model):
    """A best practice or a challenge; its opening post holds the body."""

    __tablename__ = "threads"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(20), index=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    author_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    # Where it was posted from, kept even if the author later moves library.
    library_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("libraries.id"))
    regency: so.Mapped[str | None] = so.mapped_column(sa.String(60), index=True)
    province: so.Mapped[str | None] = so.mapped_column(sa.String(60), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)
    last_activity_at: so.Mapped[datetime] = so.mapped_column(
        UTCDateTime, default=utcnow, index=True
    )
    pinned: so.Mapped[bool] = so.mapped_column(default=False)
    locked: so.Mapped[bool] = so.mapped_column(default=False)
    # Members who marked the thread helpful (forum/engagement), kept with the marks.
    helpful_count: so.Mapped[int] = so.mapped_column(default=0, server_default="0", index=True)
    accepted_post_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("posts.id", use_alter=True, name="fk_threads_accepted_post_id_posts")
    )
    solved_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # Optional report sections (forum/sections.py): what facilitators
    # ask a library to tell about a practice, and what a challenge already tried.
    context: so.Mapped[str | None] = so.mapped_column(sa.Text)
    activities: so.Mapped[str | None] = so.mapped_column(sa.Text)
    impact: so.Mapped[str | None] = so.mapped_column(sa.Text)
    resources: so.Mapped[str | None] = so.mapped_column(sa.Text)
    participants: so.Mapped[int | None] = so.mapped_column()
    tips: so.Mapped[str | None] = so.mapped_column(sa.Text)
    tried: so.Mapped[str | None] = so.mapped_column(sa.Text)
    # The text sections as sanitized HTML, rendered when written (forum/stored_html.py):
    # {"context": "<p>...</p>", ...}, and the renderer that made them.
    sections_html: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    html_version: so.Mapped[str | None] = so.mapped_column(sa.String(40))

    author: so.Mapped[User] = so.relationship(foreign_keys=[author_id])
    library: so.Mapped[Library | None] = so.relationship()
    tags: so.Mapped[list[Tag]] = so.relationship(
        secondary=thread_tags, order_by=Tag.name, lazy="selectin"
    )
    posts: so.Mapped[list[Post]] = so.relationship(
        back_populates="thread",
        foreign_keys="Post.thread_id",
        order_by="Post.id",
        cascade="all, delete-orphan",
    )
    opening_post: so.Mapped[Post] = so.relationship(
        primaryjoin="and_(Post.thread_id == Thread.id, Post.is_opening)",
        viewonly=True,
        uselist=False,
    )
    # A facilitator's "Terverifikasi" (forum/practices/models.py), loaded with the thread
    # (one query per list) so lists, pages and the index show the badge.
    verification: so.Mapped[PracticeVerification | None] = so.relationship(
        back_populates="thread", lazy="selectin", uselist=False, passive_deletes=True
    )

    __table_args__ = (sa.CheckConstraint("kind IN ('practice', 'challenge')", name="kind"),)

    @property
    def is_solved(self) -> bool:
        """An accepted answer, or a linked practice chosen as the solution (forum/adoptions)."""
        return self.solved_at is not None

    @property
    def is_verified(self) -> bool:
        """A practice a facilitator marked "Terverifikasi" (and did not unmark)."""
        return self.verification is not None and self.verification.unverified_at is None

    def section_html(self, name: str) -> Markup:
        """A text section's stored HTML (rendered here, unsaved, if it was never stored)."""
        stored = (self.sections_html or {}).get(name)
        if stored is None:
            from .markup import render_markdown

            return render_markdown(getattr(self, name))
        return Markup(stored)  # noqa: S704 - sanitized when stored

    def search_changes(self):
        """Every post of the thread carries the thread's fields in the index."""
        return index_changes.thread_documents(self)

    def __repr__(self) -> str:
        return f"<Thread {self.id} {self.kind} {self.title!r}>"


class StoredHtml:
    """The body as sanitized HTML, rendered when written (forum/stored_html.py).

    ``html_version`` names the renderer that made it, so ``flask posts rerender
    --if-needed`` re-renders only what an older renderer or allowlist made.
    """

    body_html: so.Mapped[str | None] = so.mapped_column(sa.Text)
    html_version: so.Mapped[str | None] = so.mapped_column(sa.String(40))

    @property
    def html(self) -> Markup:
        """The stored HTML (a row written around the services is rendered here, unsaved)."""
        if self.body_html is None:
            from .markup import render_markdown

            return render_markdown(self.body)
        return Markup(self.body_html)  # noqa: S704 - sanitized when stored


class Post(StoredHtml, ModerationState, db.Model):
    """The opening post of a thread or a reply to it."""

    __tablename__ = "posts"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    thread_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("threads.id", ondelete="CASCADE"), index=True
    )
    author_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    is_opening: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    edited_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    edited_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    helpful_count: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    # Bumped by database triggers whenever what the post's cached fragment shows changes
    # (forum/render_versions.py); the ORM re-reads it after its own updates.
    render_version: so.Mapped[int] = so.mapped_column(
        default=0, server_default="0", server_onupdate=sa.FetchedValue()
    )
    # The key a phone made for a post written in its outbox (issue 23): sent again after
    # a lost response, it finds the post already made instead of making a second one.
    client_key: so.Mapped[str | None] = so.mapped_column(sa.String(64))

    thread: so.Mapped[Thread] = so.relationship(back_populates="posts", foreign_keys=[thread_id])
    author: so.Mapped[User] = so.relationship(foreign_keys=[author_id])
    edited_by: so.Mapped[User | None] = so.relationship(foreign_keys=[edited_by_id])
    revisions: so.WriteOnlyMapped[PostRevision] = so.relationship(
        back_populates="post", order_by="PostRevision.id.desc()"
    )
    # Photos and documents (forum/attachments/models.py), in the order they were added.
    attachments: so.Mapped[list[Attachment]] = so.relationship(
        back_populates="post",
        order_by="[Attachment.position, Attachment.id]",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (
        sa.Index("uq_posts_author_client_key", "author_id", "client_key", unique=True),
    )

    def search_changes(self):
        return index_changes.post_documents(self)

    def __repr__(self) -> str:
        return f"<Post {self.id} of thread {self.thread_id}>"


class PostRevision(StoredHtml, db.Model):
    """An earlier version of a post, kept when it is edited.

    A redacted version (a phone number that should never have been posted) is
    shown to facilitators only; everyone else sees that it was edited for privacy.
    """

    __tablename__ = "post_revisions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    post_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("posts.id", ondelete="CASCADE"), index=True
    )
    title: so.Mapped[str | None] = so.mapped_column(sa.String(200))  # opening posts only
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    # Who wrote this version and when (the author, or the last editor).
    written_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    written_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    replaced_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    redacted_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    redacted_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    post: so.Mapped[Post] = so.relationship(back_populates="revisions")
    written_by: so.Mapped[User] = so.relationship(foreign_keys=[written_by_id])
    redacted_by: so.Mapped[User | None] = so.relationship(foreign_keys=[redacted_by_id])

    @property
    def is_redacted(self) -> bool:
        return self.redacted_at is not None


class Draft(db.Model):
    """An unfinished new thread or reply, kept on the server so a dropped connection loses nothing.

    One per member and place: ``slot`` is "thread" for a new thread, or
    "reply-<thread id>" for a reply (with ``thread_id`` set).
    """

    __tablename__ = "drafts"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    slot: so.Mapped[str] = so.mapped_column(sa.String(30))
    thread_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("threads.id", ondelete="CASCADE")
    )
    data: so.Mapped[dict] = so.mapped_column(sa.JSON)  # the form's fields, by name
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    thread: so.Mapped[Thread | None] = so.relationship()

    __table_args__ = (sa.UniqueConstraint("user_id", "slot", name="uq_drafts_user_slot"),)


# Visible replies of a thread, counted in SQL so lists never load the posts.
Thread.reply_count = so.column_property(
    sa.select(sa.func.count(Post.id))
    .where(Post.thread_id == Thread.id, Post.is_opening.is_(False), Post.is_public)
    .correlate_except(Post)
    .scalar_subquery(),
    deferred=False,
)


class SearchLogEntry(db.Model):
    """One search someone made (never who), so facilitators see what people look for."""

    __tablename__ = "search_log"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    query: so.Mapped[str] = so.mapped_column(sa.String(200), index=True)
    results: so.Mapped[int] = so.mapped_column(default=0)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)


# Pending index work, written in the same transaction as the rows it describes.
search_outbox = define_table(db.metadata)
# Each thread's similar threads, computed when it is written and by `flask search similar`.
similar_threads = define_similar_table(db.metadata)
