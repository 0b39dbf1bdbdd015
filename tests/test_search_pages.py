"""The search page as members use it: results, filters, grouping, the log, index in step."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.extensions import search
from forum.models import SearchLogEntry
from forum.models import Thread
from forum.models import search_outbox
from tests.helpers import ON_EVERY_SEARCH_BACKEND
from tests.helpers import PG_SEARCH
from tests.helpers import app_db
from tests.helpers import hit_titles
from tests.helpers import login_as
from tests.helpers import post_form
from tests.html_safety import live_script

pytestmark = ON_EVERY_SEARCH_BACKEND


def test_new_thread_is_found_by_a_stemmed_relative(client, make_thread):
    make_thread(title="Pelatihan relawan mendongeng", body="Kami melatih relawan tiap Sabtu.")
    make_thread(title="Rak buku baru dari dana desa", body="Rak kayu dari tukang desa.")
    response = client.get("/search?q=latihan")
    assert response.status_code == 200
    assert hit_titles(response) == ["Pelatihan relawan mendongeng"]


def test_search_box_is_on_every_page(client):
    html = client.get("/threads").get_data(as_text=True)
    assert 'action="/search"' in html and 'name="q"' in html


def test_matching_reply_shows_under_its_thread_with_a_link(client, make_thread, make_reply):
    thread = make_thread(title="Rak buku sudah penuh", body="Koleksi bertambah terus.")
    reply = make_reply(thread, body="Coba sumbangkan ke posyandu lewat perpustakaan keliling.")
    response = client.get("/search?q=posyandu")
    assert hit_titles(response) == ["Rak buku sudah penuh"]
    assert f'href="/threads/{thread.id}#post-{reply.id}"' in response.get_data(as_text=True)


def test_snippets_are_escaped(client, make_thread):
    make_thread(
        title="Kode aneh di papan",
        body="Jangan tulis <script>alert(1)</script> di papan pengumuman",
    )
    html = client.get("/search?q=papan").get_data(as_text=True)
    main = html.split('<main id="main">', 1)[1].split("</main>", 1)[0]
    assert live_script(main) == []
    assert "&lt;script&gt;" in main


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "kelas", "kind": "challenge"}, ["Kelas komputer sepi peminat"]),
        ({"q": "kelas", "kind": "practice"}, ["Kelas komputer untuk ibu PKK"]),
        ({"q": "kelas kind:challenge"}, ["Kelas komputer sepi peminat"]),
        ({"q": "kelas", "tag": "Literasi Digital"}, ["Kelas komputer untuk ibu PKK"]),
        ({"q": "kelas", "region": "Kab. Gowa"}, ["Kelas komputer sepi peminat"]),
        ({"q": "kelas", "province": "jawa-barat"}, ["Kelas komputer untuk ibu PKK"]),
        ({"q": "kelas", "author": "@daeng_gowa"}, ["Kelas komputer sepi peminat"]),
    ],
)
def test_form_filters_restrict(client, make_user, make_thread, params, expected):
    gowa = make_user(
        "daeng_gowa",
        library="Perpustakaan Desa Bontoloe",
        regency="gowa",
        province="sulawesi-selatan",
    )
    make_thread(title="Kelas komputer untuk ibu PKK", tags=["literasi-digital"])
    make_thread(gowa, kind="challenge", title="Kelas komputer sepi peminat", tags=["pengunjung"])
    assert hit_titles(client.get("/search", query_string=params)) == expected


@pytest.mark.parametrize(
    "query",
    [
        '"tidak seimbang',
        "(a",
        "AND",
        "OR",
        "-",
        "*",
        "*baca",
        "baca~99",
        "x" * 10_000,
        "a\x00b",
        "🙂📚",
        "((((",
        "kind:",
        "before:bukan-tanggal",
        "tag:",
    ],
)
def test_malformed_queries_are_a_message_not_an_error(client, make_thread, query):
    make_thread()
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200


def test_bad_dates_in_the_form_are_shown_not_fatal(client):
    response = client.get("/search?q=buku&after=kemarin&thread=99999999999999")
    assert response.status_code == 200
    assert 'id="after-error"' in response.get_data(as_text=True)


def test_search_inside_one_thread(client, make_thread, make_reply):
    long = make_thread(title="Diskusi panjang tentang rak")
    other = make_thread(title="Rak di sekolah dasar")
    for n in range(3):
        make_reply(long, body=f"Rak nomor {n} sudah dipasang")
    make_reply(other, body="Rak sekolah juga dipasang")
    response = client.get(f"/search?q=dipasang&thread={long.id}")
    assert hit_titles(response) == ["Diskusi panjang tentang rak"]


def test_hidden_and_withdrawn_content_is_never_found(app, client, make_thread, make_reply):
    visible = make_thread(title="Utas yang terlihat", body="kata rahasia zebrakuda terlihat")
    hidden = make_thread(title="Utas tersembunyi", body="kata rahasia zebrakuda disembunyikan")
    reply = make_reply(visible, body="balasan zebrakuda ditarik")
    with app_db(app) as session:
        session.get(Thread, hidden.id).hidden = True
        from forum.models import Post

        session.get(Post, reply.id).withdrawn_at = sa.func.now()
        session.commit()
    response = client.get("/search?q=zebrakuda")
    assert hit_titles(response) == ["Utas yang terlihat"]
    html = response.get_data(as_text=True)
    assert "disembunyikan" not in html and "ditarik" not in html
    facilitator = app.test_client()
    from forum.auth.service import create_user

    with app_db(app) as session:
        create_user("fasil", "f@contoh.id", "rahasia-123", role="facilitator")
        session.commit()
    login_as(facilitator, type("U", (), {"username": "fasil"}), password="rahasia-123")
    assert "Utas tersembunyi" not in hit_titles(facilitator.get("/search?q=zebrakuda"))


def test_edits_reach_the_index_on_commit(app, client, make_user, make_thread):
    author = make_user()
    thread = make_thread(author, title="Judul awal tentang kambing", body="isi pertama")
    login_as(client, author)
    post_form(
        client,
        f"/threads/{thread.id}/edit",
        {"title": "Judul baru tentang domba", "body": "isi kedua", "tags": ""},
        page=f"/threads/{thread.id}/edit",
    )
    assert hit_titles(client.get("/search?q=domba")) == ["Judul baru tentang domba"]
    assert hit_titles(client.get("/search?q=kambing")) == []


def whoosh_only(backend: str) -> None:
    if backend == PG_SEARCH:
        pytest.skip("Whoosh's index lock and directory: PostgreSQL search has neither")


def test_a_post_committed_while_the_index_is_locked_is_found_after_the_next_drain(
    backend, app, client, make_thread
):
    whoosh_only(backend)
    make_thread(title="Utas pertama")  # creates the index
    with app.app_context():
        store = search.engine.store
        with store.write_lock(timeout=5):
            make_thread(title="Ditulis saat indeks terkunci", body="kata unik gajahbiru")
            with app_db(app) as session:
                assert session.scalar(sa.select(sa.func.count()).select_from(search_outbox)) > 0
        assert hit_titles(client.get("/search?q=gajahbiru")) == []
        search.drain(db.engine)
    assert hit_titles(client.get("/search?q=gajahbiru")) == ["Ditulis saat indeks terkunci"]


def test_with_postgresql_search_every_server_finds_a_post_once_it_is_committed(
    backend, sibling_app, make_thread
):
    if backend != PG_SEARCH:
        pytest.skip("only PostgreSQL search shares its documents between servers")
    other = sibling_app(SEARCH_BACKEND="postgresql").test_client()  # a second web server
    make_thread(title="Ditulis di server pertama", body="kata unik rusabintang")
    assert hit_titles(other.get("/search?q=rusabintang")) == ["Ditulis di server pertama"]
    with other.application.app_context():
        assert search.engine.status(db.engine)["outbox_backlog"] == 0  # nothing left to drain


def test_searches_are_logged_without_who_and_shown_to_facilitators(app, client, make_user):
    member = make_user()
    login_as(client, member)
    client.get("/search?q=Buku  Hilang")
    client.get("/search?q=buku hilang&page=2")  # paging is not a new search
    client.get("/search?q=tidak+ada+hasilnya")
    with app_db(app) as session:
        rows = session.execute(sa.select(SearchLogEntry.query, SearchLogEntry.results)).all()
    assert sorted(q for q, _ in rows) == ["buku hilang", "tidak ada hasilnya"]
    assert client.get("/mod/search-log").status_code == 403
    facilitator = make_user(role="facilitator", library=None)
    moderator = app.test_client()
    login_as(moderator, facilitator)
    html = moderator.get("/mod/search-log").get_data(as_text=True)
    assert "tidak ada hasilnya" in html
    assert app.test_client().get("/mod/search-log").status_code == 302
    suspended = make_user(role="facilitator", library=None, suspended_indefinitely=True)
    benched = app.test_client()
    login_as(benched, suspended)
    assert benched.get("/mod/search-log").status_code == 403


def test_suggest_fragment_lists_matching_titles(client, make_thread):
    thread = make_thread(title="Perpustakaan keliling naik sepeda")
    html = client.get("/search/suggest?q=perpustakaan kel").get_data(as_text=True)
    assert f'href="/threads/{thread.id}"' in html
    assert client.get("/search/suggest?q=a").get_data(as_text=True).strip() == ""


def test_search_page_queries_do_not_grow_with_hits(client, make_user, make_thread, count_queries):
    make_thread(title="Gotong royong satu")
    client.get("/search?q=gotong")
    with count_queries() as few:
        client.get("/search?q=gotong&page=1")
    for n in range(12):
        make_thread(make_user(), title=f"Gotong royong nomor {n}")
    with count_queries() as many:
        client.get("/search?q=gotong&page=1")
    assert len(many) == len(few)


def test_reindex_and_check_commands(app, runner, make_thread, make_reply):
    thread = make_thread(title="Untuk dicek ulang")
    make_reply(thread)
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed 2 posts." in result.output
    with app_db(app) as session:  # drift: a change that bypasses the ORM hooks
        session.execute(sa.update(Thread).values(title="Diubah diam-diam"))
        session.commit()
    result = runner.invoke(args=["search", "check", "--dry-run"])
    assert result.exit_code == 1 and "2 stale" in result.output
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 0 and "Repaired." in result.output
    result = runner.invoke(args=["search", "check"])
    assert "No drift." in result.output


def test_deleted_index_directory_is_rebuilt(backend, app, client, make_thread):
    import shutil

    whoosh_only(backend)
    make_thread(title="Bertahan setelah indeks hilang", body="kata unik bangaupaya")
    with app.app_context():
        shutil.rmtree(search.engine.store.path)
        search.engine.store.invalidate()
    first = client.get("/search?q=bangaupaya")
    assert first.status_code == 200
    with app.app_context():
        search.engine.join_recovery(timeout=60)
    assert hit_titles(client.get("/search?q=bangaupaya")) == ["Bertahan setelah indeks hilang"]


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "A bracket has no partner"), ("id", "Tanda kurung tidak berpasangan")],
)
def test_query_notes_are_in_the_members_language(client, make_thread, language, expected):
    make_thread()
    html = client.get("/search?q=((pojok", headers={"Accept-Language": language})
    assert expected in html.get_data(as_text=True)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "(" * 200 + "pojok" + ")" * 200}, "Tanda kurung lebih dari 6 lapis diabaikan"),
        ({"q": "pojok after:0001-01-01"}, "di luar tahun 1900–2999"),
        ({"q": "pojok", "after": "0001-01-01"}, "di luar tahun 1900–2999"),
        ({"q": "pojok before:9999-12-31"}, "di luar tahun 1900–2999"),
        ({"q": "pojok " + " ".join(f"-kata{i}" for i in range(120))}, "Hanya 16 kata pertama"),
        ({"q": "pojok " + "x" * 60}, "Kata yang lebih dari 40 huruf diabaikan"),
    ],
)
def test_hostile_queries_are_a_note_and_still_find(client, make_thread, params, expected):
    make_thread(title="Pojok baca di balai desa")
    response = client.get("/search", query_string=params)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert expected in html
    assert "Pencarian sedang bermasalah" not in html
    assert hit_titles(response) == ["Pojok baca di balai desa"]


def test_a_pathological_post_shows_a_short_snippet(client, make_thread):
    make_thread(title="Catatan rapat", body="zebrakurung " + "[" * 20_000)
    html = client.get("/search?q=zebrakurung").get_data(as_text=True)
    snippet = html.split('<p class="snippet">', 1)[1].split("</p>", 1)[0]
    assert "<mark>zebrakurung</mark>" in snippet
    assert snippet.count("[") <= 400


def logged(app) -> list[str]:
    with app_db(app) as session:
        return sorted(session.scalars(sa.select(SearchLogEntry.query)))


def test_one_searcher_repeating_a_search_is_logged_once(app, client, make_user):
    member = make_user()
    login_as(client, member)
    for _ in range(5):
        client.get("/search?q=buku hilang")
    other = app.test_client()
    login_as(other, make_user())
    other.get("/search?q=Buku Hilang")  # someone else looking for the same counts
    visitor = app.test_client()
    for _ in range(3):
        visitor.get("/search?q=buku hilang")
    assert logged(app) == ["buku hilang"] * 3


def test_a_flood_of_visitor_searches_adds_a_bounded_number_of_rows(app, make_user):
    app.config["SEARCH_LOG_VISITORS"] = "5 per hour"
    visitor = app.test_client()
    for n in range(30):
        visitor.get(f"/search?q=spam{n}", environ_base={"REMOTE_ADDR": f"192.0.2.{n}"})
    assert len(logged(app)) == 5
    member = app.test_client()
    login_as(member, make_user())
    member.get("/search?q=rak buku")  # members are still heard
    assert "rak buku" in logged(app)


def test_a_correction_is_shown_once_with_a_way_back_to_what_was_typed(client, make_thread):
    make_thread(title="Kegiatan literasi anak", body="Literasi di desa kami.")
    html = client.get("/search?q=literasy").get_data(as_text=True)
    assert "Menampilkan hasil untuk:" in html
    correction = html.split('class="notice correction"', 1)[1].split("</p>", 1)[0]
    assert correction.count("literasi<") == 1  # the corrected query, once, as a link
    assert "Cari persis:" in correction and ">literasy</a>" in correction
    exact = client.get("/search?q=literasy&exact=1")
    assert hit_titles(exact) == []
    assert "Menampilkan hasil untuk" not in exact.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("bagaimana cara menagih buku yg tdk dikembalikan?", ["Buku tidak dikembalikan warga"]),
        ("jenis:tantangan buku", ["Buku tidak dikembalikan warga"]),
        ("judul:pojok", ["Pojok baca di pos ronda"]),
        ("pojok status:belum", ["Pojok baca di pos ronda"]),
    ],
)
def test_questions_and_indonesian_operators_through_the_page(client, make_thread, query, expected):
    make_thread(title="Pojok baca di pos ronda", body="Buku dekat warga.", kind="practice")
    make_thread(
        title="Buku tidak dikembalikan warga", body="Bagaimana menagihnya?", kind="challenge"
    )
    make_thread(title="Cara dan tips", body="Bagaimana cara tolong dong ya?", kind="challenge")
    titles = hit_titles(client.get("/search", query_string={"q": query}))
    assert titles[: len(expected)] == expected
    assert "Cara dan tips" not in titles  # question words decide nothing


@pytest.mark.parametrize(
    "typed", ["Rina Marlina", "rina  marlina", "@rina_fasilitator", "RINA_FASILITATOR"]
)
def test_the_author_filter_takes_a_members_name(client, make_user, make_thread, typed):
    rina = make_user("rina_fasilitator", display_name="Rina Marlina")
    make_thread(author=rina, title="Pojok baca Rina")
    make_thread(title="Pojok baca lain")
    response = client.get("/search", query_string={"q": "pojok", "author": typed})
    assert hit_titles(response) == ["Pojok baca Rina"]
