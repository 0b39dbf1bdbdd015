"""Markdown renders, and nothing dangerous survives it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from forum.markup import render_markdown
from tests.helpers import login_as
from tests.helpers import post_form
from tests.html_safety import live_script
from tests.security.payloads import MARKDOWN_PAYLOADS


@pytest.mark.parametrize("payload", MARKDOWN_PAYLOADS)
def test_markdown_output_has_no_script_handler_or_dangerous_url(payload):
    html = str(render_markdown(payload))
    assert live_script(html) == [], html


def test_links_get_nofollow_ugc_noopener():
    html = str(render_markdown("[Perpusnas](https://perpusnas.go.id)"))
    assert 'href="https://perpusnas.go.id"' in html
    assert 'rel="nofollow ugc noopener"' in html


def test_common_markdown_renders():
    html = str(render_markdown("**tebal** *miring*\n\n- satu\n- dua\n\n> kutipan"))
    for fragment in ("<strong>tebal</strong>", "<em>miring</em>", "<li>satu</li>", "<blockquote>"):
        assert fragment in html


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("<>\"'=/:;&#[]()!` \nabcjavscriptonerdlimgsvg")), max_size=80
    )
)
def test_no_input_yields_a_dangerous_tag(text):
    assert live_script(str(render_markdown(text))) == []


@pytest.mark.parametrize("payload", MARKDOWN_PAYLOADS[:8])
def test_xss_in_titles_tags_and_bodies_is_inert_on_the_page(client, make_user, payload):
    login_as(client, make_user(display_name=f"Nama {payload}"))
    response = post_form(
        client,
        "/threads/new",
        {"kind": "practice", "title": f"Judul {payload}", "body": payload, "tags": payload},
        page="/threads/new",
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    main = page.split('<main id="main">', 1)[1].split("</main>", 1)[0]
    assert live_script(main) == [], main
