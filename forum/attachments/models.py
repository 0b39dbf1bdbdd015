"""The ``attachments`` table: one row per stored file (``Post.attachments`` lists a post's).

The file's bytes live in the storage (see :mod:`.storage`) under a random key;
the row keeps what pages and search need: the sanitized display name, the
checked type, sizes, the caption and, for a PDF, the text of its first pages.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from .. import search_changes as index_changes
from ..extensions import db
from ..models import Post
from ..models import User
from ..models import UTCDateTime
from ..models import utcnow

KINDS = ("image", "document")


class Attachment(db.Model):
    """A photo or document attached to a post; hidden by a facilitator like any content."""

    __tablename__ = "attachments"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    post_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("posts.id", ondelete="CASCADE"), index=True
    )
    uploader_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(10))
    content_type: so.Mapped[str] = so.mapped_column(sa.String(100))
    # Sanitized, for display and the download name only: never part of a path.
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    storage_key: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    thumb_key: so.Mapped[str | None] = so.mapped_column(sa.String(80), unique=True)
    size: so.Mapped[int] = so.mapped_column()  # bytes stored (after re-encoding)
    width: so.Mapped[int | None] = so.mapped_column()
    height: so.Mapped[int | None] = so.mapped_column()
    thumb_width: so.Mapped[int | None] = so.mapped_column()
    thumb_height: so.Mapped[int | None] = so.mapped_column()
    caption: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    text: so.Mapped[str | None] = so.mapped_column(sa.Text)  # a PDF's first pages, for search
    position: so.Mapped[int] = so.mapped_column(default=0)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    hidden: so.Mapped[bool] = so.mapped_column(default=False)
    hidden_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime, index=True)
    hidden_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    hidden_reason: so.Mapped[str | None] = so.mapped_column(sa.String(500))

    post: so.Mapped[Post] = so.relationship(back_populates="attachments")
    uploader: so.Mapped[User] = so.relationship(foreign_keys=[uploader_id])

    __table_args__ = (sa.CheckConstraint("kind IN ('image', 'document')", name="kind"),)

    @property
    def is_image(self) -> bool:
        return self.kind == "image"

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf"

    @property
    def type_label(self) -> str:
        from .inspect import TYPES_BY_CONTENT_TYPE

        file_type = TYPES_BY_CONTENT_TYPE.get(self.content_type)
        return file_type.label if file_type else self.content_type

    @property
    def alt_text(self) -> str:
        return self.caption or self.name

    def search_changes(self):
        """A new, re-captioned, hidden or restored file changes its post's document.

        A deleted attachment returns nothing here (its post's changed
        ``attachments`` collection re-indexes the post): the outbox treats a
        deleted row's documents as deletions, which would drop the whole post.
        """
        state = sa.inspect(self)
        if state.deleted or state.was_deleted or self.post is None:
            return []
        is_new = self in so.object_session(self).new
        if not (is_new or _changed(state, ("hidden", "caption", "text"))):
            return []
        change = index_changes.change_for(self.post)
        return [change] if change else []

    def __repr__(self) -> str:
        return f"<Attachment {self.id} {self.kind} of post {self.post_id}>"


def _changed(state, names) -> bool:
    return any(state.attrs[name].history.has_changes() for name in names)
