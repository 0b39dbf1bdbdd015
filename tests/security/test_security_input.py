"""Over-long, NUL-containing and malformed input gets a message, never a 500, on both backends.

The fixed list of malformed search queries lives in
tests/test_search_pages.py::test_malformed_queries_are_a_message_not_an_error;
here hypothesis throws generated ones at the search page, and at the Markdown
sanitizer beyond tests/test_markup.py's alphabet.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from forum.markup import render_markdown
from forum.models import Post
from forum.models import Thread
from forum.models import User
from tests.helpers import count_rows
from tests.helpers import csrf_token
from tests.helpers import login_as
from tests.html_safety import live_script
from tests.security.payloads import XSS_PAYLOADS

NUL = "Teks dengan\x00NUL"
LONG = "panjang " * 40_000  # 320,000 characters, under the 2 MiB body limit


def _forms(thread_id: int, post_id: int, others_post_id: int) -> list[tuple[str, dict]]:
    return [
        ("/threads/new", {"kind": "practice", "title": "Judul {}", "body": "{}", "tags": "{}"}),
        (f"/threads/{thread_id}/replies", {"body": "{}"}),
        (f"/posts/{post_id}/edit", {"body": "{}"}),
        (f"/posts/{others_post_id}/flag", {"reason": "other", "details": "{}"}),
        (
            "/settings/profile",
            {
                "display_name": "{}",
                "email": "anggota@contoh.id",
                "timezone": "Asia/Jakarta",
                "language": "id",
                "library_name": "{}",
                "village": "{}",
                "district": "x",
                "region": "purwakarta",
                "province": "jawa-barat",
            },
        ),
        ("/auth/password", {"current_password": "{}", "password": "{}", "confirm": "{}"}),
    ]


@pytest.mark.parametrize("value", [NUL, LONG], ids=["nul", "long"])
def test_nul_and_over_long_fields_are_refused_with_a_message(
    app, make_user, make_thread, make_reply, value
):
    member = make_user("anggota")
    thread = make_thread()
    post = make_reply(thread, member)
    others = make_reply(thread)  # members flag other people's posts, not their own
    client = app.test_client()
    login_as(client, member)
    token = csrf_token(client)
    posts_before = count_rows(app, Post)
    for url, template in _forms(thread.id, post.id, others.id):
        data = {name: text.replace("{}", value) for name, text in template.items()}
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code == 400, (url, response.status_code)
        assert 'class="error' in response.get_data(as_text=True) or "NUL" in response.get_data(
            as_text=True
        ), url
    assert count_rows(app, Post) == posts_before
    for url in ("/auth/login", "/auth/register"):
        visitor = app.test_client()
        response = visitor.post(
            url,
            data={"username": value, "password": value, "csrf_token": csrf_token(visitor, url)},
        )
        assert response.status_code in (400, 413), (url, response.status_code)
    assert count_rows(app, User) == 3


def test_the_nul_page_gives_the_text_back(app, make_user, make_thread):
    member = make_user()
    thread = make_thread()
    client = app.test_client()
    client.set_cookie("lang", "en")
    login_as(client, member)
    response = client.post(
        f"/threads/{thread.id}/replies",
        data={"body": "Balasan panjang saya\x00", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "NUL" in html and "Balasan panjang saya" in html


def test_a_body_over_the_limit_is_a_413_page(app, make_user, make_thread):
    client = app.test_client()
    login_as(client, make_user())
    thread = make_thread()
    response = client.post(
        f"/threads/{thread.id}/replies",
        data={"body": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1), "csrf_token": "x"},
    )
    assert response.status_code == 413
    assert count_rows(app, Thread) == 1


SEARCH_ALPHABET = st.sampled_from(
    list("\"()*?~^-+:[]{}\\/!&|<>'")
    + [
        "AND",
        "OR",
        "NOT",
        "kind:",
        "tag:",
        "author:",
        "after:",
        "before:",
        "in:title",
        "status:",
        "~99",
        "*baca",
        "literasi",
        " ",
        "é",
        "🙂",
        "\u0000",
        "\u200b",
        "pojok",
        "region:",
        "\n",
    ]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=st.lists(SEARCH_ALPHABET, max_size=25), repeat=st.integers(1, 3))
def test_generated_search_queries_never_fail(client, parts, repeat):
    query = "".join(parts) * repeat
    response = client.get("/search", query_string={"q": query, "in": "title"})
    assert response.status_code == 200
    main = response.get_data(as_text=True).split('<main id="main">', 1)[1].split("</main>")[0]
    assert live_script(main) == []


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(XSS_PAYLOADS),
            st.text(max_size=20),
            st.sampled_from(["\n\n", "](", ")", "[", "![", "<", ">", '"', "`", "&#", ";", " "]),
        ),
        max_size=8,
    )
)
def test_sanitizer_never_lets_composed_payloads_through(pieces):
    assert live_script(str(render_markdown("".join(pieces)))) == []
