"""@mentions: a link to the profile and one notification per post; unknown names stay text."""

from __future__ import annotations

import sqlalchemy as sa

from forum.engagement.models import Mention
from forum.engagement.models import Notification
from forum.models import Post
from forum.models import User
from forum.threads import service as threads
from tests.helpers import app_db
from tests.helpers import login_as
from tests.helpers import post_form


def mention_notifications(app, user) -> int:
    with app_db(app) as session:
        return session.scalar(
            sa.select(sa.func.count()).where(
                Notification.user_id == user.id, Notification.kind == "mention"
            )
        )


def test_mention_links_the_profile_and_notifies_once(app, client, make_user, make_thread):
    rina = make_user("rina_lestari")
    writer = make_user()
    thread = make_thread()
    login_as(client, writer)
    body = "Coba tanya @Rina_Lestari dan @tidak_ada_orangnya, atau `@rina_lestari` di kode."
    response = post_form(client, f"/threads/{thread.id}/replies", {"body": body})
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<a href="/users/rina_lestari" rel="nofollow ugc noopener">@Rina_Lestari</a>' in html
    assert "@tidak_ada_orangnya" in html and 'href="/users/tidak_ada_orangnya"' not in html
    assert "<code>@rina_lestari</code>" in html
    assert mention_notifications(app, rina) == 1

    # An edit that keeps the mention tells her nothing new.
    with app_db(app) as session:
        post = session.scalars(sa.select(Post).where(Post.author_id == writer.id)).one()
        threads.edit_post(session.get(User, writer.id), post, body + " (diperbaiki)")
        session.commit()
    assert mention_notifications(app, rina) == 1


def test_edit_adding_a_mention_notifies_the_new_name_only(app, make_user, make_thread):
    rina, dewi = make_user("rina_lestari"), make_user("dewi_kartika")
    author = make_user()
    thread = make_thread(author, body="Terima kasih @rina_lestari")
    assert mention_notifications(app, rina) == 1
    with app_db(app) as session:
        opening = session.scalars(sa.select(Post).where(Post.thread_id == thread.id)).one()
        threads.edit_post(
            session.get(User, author.id), opening, "Terima kasih @rina_lestari dan @dewi_kartika"
        )
        session.commit()
        assert set(session.scalars(sa.select(Mention.user_id))) == {rina.id, dewi.id}
    assert mention_notifications(app, rina) == 1
    assert mention_notifications(app, dewi) == 1
    # Removing a name and writing it back does not tell her a second time.
    for text in ("Terima kasih semuanya", "Terima kasih @rina_lestari"):
        with app_db(app) as session:
            opening = session.scalars(sa.select(Post).where(Post.thread_id == thread.id)).one()
            threads.edit_post(session.get(User, author.id), opening, text)
            session.commit()
    assert mention_notifications(app, rina) == 1


def test_mentioning_yourself_notifies_nobody(app, make_user, make_thread):
    author = make_user("asep_sukamaju")
    make_thread(author, body="Saya, @asep_sukamaju, yang menulis ini.")
    assert mention_notifications(app, author) == 0


def test_thread_page_links_mentions_in_one_query(
    app, client, make_user, make_thread, make_reply, count_queries
):
    names = [make_user(f"anggota_{n}").username for n in range(5)]
    small, large = make_thread(), make_thread()
    make_reply(small, body=f"Halo @{names[0]}")
    for n in range(30):
        make_reply(large, body=f"Halo @{names[n % 5]}")
    client.get(f"/threads/{small.id}")
    with count_queries() as few:
        client.get(f"/threads/{small.id}")
    with count_queries() as many:
        html = client.get(f"/threads/{large.id}").get_data(as_text=True)
    assert html.count('href="/users/anggota_') == 30
    assert len(many) == len(few)
