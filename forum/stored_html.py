"""Rendered HTML kept with each post and each earlier version: written once, shown on every view.

The thread service calls :func:`store_html` whenever it writes a body, and a kept
revision takes the HTML of the version it keeps. Pages show ``row.html`` and never
run Markdown. When the renderer or its allowlist changes (:data:`RENDER_VERSION`
changes with them), ``flask posts rerender [--if-needed]`` renders the rows again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from markupsafe import Markup

from .database import writing
from .extensions import db
from .markup import RENDER_VERSION
from .markup import find_mentions
from .markup import render_markdown
from .models import Post
from .models import PostRevision
from .models import Thread
from .models import User
from .practices.models import PracticeVerification
from .practices.models import VerificationRevision
from .sections import SECTIONS
from .sections import Section
from .sections import sections_for

MAX_MENTION_LINKS = 20  # as many @names as become mentions (forum/engagement)
RERENDER_BATCH = 200


def profile_href(username: str) -> str:
    """A member's profile path, built without a request (the CLI renders too)."""
    root = current_app.config.get("APPLICATION_ROOT") or "/"
    adapter = current_app.url_map.bind("localhost", script_name=root)
    return adapter.build("users.profile", {"username": username})


def _mention_names(body: str) -> list[str]:
    """The ``@names`` that may become links (parsing only a body that has an ``@``)."""
    if not body or "@" not in body:
        return []
    return find_mentions(body)[:MAX_MENTION_LINKS]


def render_bodies(bodies: list[str], connection=None) -> list[str]:
    """Sanitized HTML for each body; ``@name`` of an existing member links to them.

    One query (on ``connection``, else the session) resolves the names of all
    the bodies together.
    """
    names = [_mention_names(body) for body in bodies]
    members = _members_named({name for each in names for name in each}, connection)
    return [
        str(render_markdown(body, {name: profile_href(name) for name in each if name in members}))
        for body, each in zip(bodies, names, strict=True)
    ]


def _members_named(wanted: set[str], connection=None) -> set[str]:
    """Which of these usernames are members (one query; none when nothing is wanted)."""
    if not wanted:
        return set()
    query = sa.select(User.username).where(User.username.in_(wanted))
    if connection is not None:
        return set(connection.scalars(query))
    with db.session.no_autoflush:  # called while a post is being built
        return set(db.session.scalars(query))


@dataclass(frozen=True)
class Preview:
    """A form's text as it will show once posted, before anything is stored."""

    html: Markup  # the body, mentions of members linked
    sections: list[tuple[Section, object]]  # filled report sections: a number, or HTML
    unknown_mentions: list[str]  # ``@names`` no member has: they would stay plain text


def preview(body: str, kind: str | None = None, values: dict | None = None) -> Preview:
    """Render a body (and the report sections of a thread of ``kind``) like a posted one."""
    filled = [
        (section, values[section.name])
        for section in (sections_for(kind) if kind else ())
        if values and values.get(section.name) not in (None, "")
    ]
    texts = [str(value) for section, value in filled if not section.is_number]
    names = list(dict.fromkeys(n for text in (body, *texts) for n in _mention_names(text)))
    known = _members_named(set(names))
    html_body, *html_texts = render_bodies([body, *texts])
    rendered = iter(html_texts)
    sections = [
        (section, value if section.is_number else Markup(next(rendered)))
        for section, value in filled
    ]
    return Preview(Markup(html_body), sections, [name for name in names if name not in known])


def store_html(row: Post | PostRevision | PracticeVerification | VerificationRevision) -> None:
    """Render the row's body now and keep it with the row (the write path's one hook)."""
    (row.body_html,) = render_bodies([row.body])
    row.html_version = RENDER_VERSION


def sections_html(thread: Thread) -> dict[str, str]:
    """The thread's filled text sections rendered, by section name."""
    names = [
        section.name
        for section in SECTIONS
        if not section.is_number and getattr(thread, section.name)
    ]
    rendered = render_bodies([getattr(thread, name) for name in names])
    return dict(zip(names, rendered, strict=True))


def store_sections_html(thread: Thread) -> None:
    """Render the thread's report sections now and keep them with the thread."""
    thread.sections_html = sections_html(thread)
    thread.html_version = RENDER_VERSION


def keep_html(revision: PostRevision, post: Post) -> None:
    """A kept version takes the HTML the post showed, re-rendered only if it is out of date."""
    if post.body_html is not None and post.html_version == RENDER_VERSION:
        revision.body_html, revision.html_version = post.body_html, post.html_version
    else:
        store_html(revision)


TEXT_SECTIONS = tuple(section.name for section in SECTIONS if not section.is_number)
# Threads for their report sections; verified practices' summaries and their earlier ones.
MODELS = (Post, PostRevision, Thread, PracticeVerification, VerificationRevision)


def stale_count(*, if_needed: bool) -> int:
    """How many posts, revisions and threads :func:`rerender` would render."""
    return sum(
        db.session.scalar(
            sa.select(sa.func.count()).select_from(model).where(_which(model, if_needed))
        )
        for model in MODELS
    )


def _which(model, if_needed: bool):
    if not if_needed:
        return sa.true()
    return sa.or_(model.html_version.is_(None), model.html_version != RENDER_VERSION)


def _render_rows(model, rows) -> tuple[list[dict], object]:
    """Parameters for one executemany UPDATE that stores the new HTML of ``rows``.

    The UPDATE matches the text as it was read: a row edited meanwhile (the
    edit stored its own HTML) is left alone.
    """
    table = model.__table__
    if model is not Thread:
        html = render_bodies([row.body for row in rows])
        params = [
            {"row_id": row.id, "old_body": row.body, "new_html": each}
            for row, each in zip(rows, html, strict=True)
        ]
        statement = (
            sa.update(table)
            .where(table.c.id == sa.bindparam("row_id"))
            .where(table.c.body == sa.bindparam("old_body"))
            .values(body_html=sa.bindparam("new_html"), html_version=RENDER_VERSION)
        )
        return params, statement
    filled = [(row, name) for row in rows for name in TEXT_SECTIONS if getattr(row, name)]
    html = render_bodies([getattr(row, name) for row, name in filled])
    by_thread: dict[int, dict[str, str]] = {row.id: {} for row in rows}
    for (row, name), each in zip(filled, html, strict=True):
        by_thread[row.id][name] = each
    params = [
        {
            "row_id": row.id,
            "new_html": by_thread[row.id],
            **{f"old_{name}": getattr(row, name) for name in TEXT_SECTIONS},
        }
        for row in rows
    ]
    statement = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .where(
            *(
                table.c[name].is_not_distinct_from(sa.bindparam(f"old_{name}"))
                for name in TEXT_SECTIONS
            )
        )
        .values(sections_html=sa.bindparam("new_html"), html_version=RENDER_VERSION)
    )
    return params, statement


def _text_columns(model):
    table = model.__table__
    if model is Thread:
        return [table.c.id, *(table.c[name] for name in TEXT_SECTIONS)]
    return [table.c.id, table.c.body]


def rerender(*, if_needed: bool = False, progress: Callable[[int], None] | None = None) -> int:
    """Render every post, revision and thread's sections again (``if_needed``: out-of-date ones).

    Rows are read, rendered with no transaction open, then written in a short
    write transaction per batch; a row whose text changed in between (an edit
    wins) is left alone. Writes no search work: the text did not change.
    """
    done = 0
    for model in MODELS:
        table = model.__table__
        ids = list(db.session.scalars(sa.select(model.id).where(_which(model, if_needed))))
        db.session.rollback()  # no read transaction stays open while rendering
        for start in range(0, len(ids), RERENDER_BATCH):
            chunk = ids[start : start + RERENDER_BATCH]
            rows = db.session.execute(
                sa.select(*_text_columns(model)).where(table.c.id.in_(chunk))
            ).all()
            params, statement = _render_rows(model, rows)
            db.session.rollback()
            with writing():
                db.session.execute(statement, params)
                db.session.commit()
            done += len(rows)
            if progress is not None:
                progress(done)
    return done


def forget_mention_links(username: str) -> int:
    """Render again what links ``@username`` to a profile, once no member has that name.

    Called in the transaction that deletes an account (the caller commits), so a
    deleted member's name stops being a link, as it did when links were made on
    every view. Returns how many rows were rendered again.
    """
    db.session.flush()  # the render must see the account without its old name
    href = profile_href(username)
    done = 0
    for model in MODELS:
        table = model.__table__
        if model is Thread:
            stored = sa.cast(table.c.sections_html, sa.Text)
        else:
            stored = table.c.body_html
        rows = db.session.execute(
            sa.select(*_text_columns(model)).where(stored.contains(href, autoescape=True))
        ).all()
        if rows:
            params, statement = _render_rows(model, rows)
            db.session.execute(statement, params)
            done += len(rows)
    return done
