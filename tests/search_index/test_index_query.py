"""Searching: relatives and synonyms, operators and filters, ranking, grouping, safety."""

from __future__ import annotations

from datetime import date
from datetime import timedelta

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from search_index import SearchFilters
from search_index import postgres_backend
from tests.search_index.index_helpers import T0
from tests.search_index.index_helpers import make_doc


def thread_ids(results) -> list[int]:
    return [hit.thread_id for hit in results.hits]


@pytest.mark.parametrize(
    "query, body",
    [
        ("pelatihan", "Kami sering melatih relawan."),
        ("melatih", "Ada pelatihan untuk pustakawan."),
        ("latihan", "Mereka dilatih setiap minggu."),
        ("membaca", "Koleksi bacaan anak bertambah."),
        ("pembaca", "Anak-anak senang membaca komik."),
        ("perpustakaan", "Pustaka desa kami kecil."),
        ("pustaka", "Perpustakaan buka sore hari."),
        ("kegiatan", "Warga berkegiatan di balai."),
        ("berkegiatan", "Kegiatan literasi tiap Sabtu."),
    ],
)
def test_a_word_finds_its_relatives(index, query, body):
    engine = index(make_doc(1, body=body), make_doc(2, body="Tidak ada hubungannya."))
    assert thread_ids(engine.search(query)) == [1]


def test_the_exact_form_ranks_above_relatives(index):
    engine = index(
        make_doc(1, body="Kami melatih warga desa setiap minggu sore."),
        make_doc(2, body="Kami adakan pelatihan warga desa setiap minggu."),
    )
    assert thread_ids(engine.search("pelatihan")) == [2, 1]
    assert thread_ids(engine.search("melatih")) == [1, 2]


@pytest.mark.parametrize(
    "query, body",
    [
        ("perpusdes", "Perpustakaan desa kami buka setiap hari."),
        ("perpustakaan desa", "Perpusdes kami buka setiap hari."),
        ("tbm", "Taman bacaan masyarakat di dusun kami."),
        ("taman bacaan masyarakat", "TBM kami butuh relawan."),
        ("pemustaka", "Pengunjung perpustakaan makin banyak."),
        ("plm", "Peer learning meeting bulan depan."),
        ("tpbis", "Transformasi perpustakaan berbasis inklusi sosial."),
        ("kabupaten purwakarta", "Dinas kab. Purwakarta datang."),
    ],
)
def test_synonyms_work_both_ways(index, query, body):
    engine = index(make_doc(1, body=body), make_doc(2, body="Sawah dan kebun."))
    assert thread_ids(engine.search(query)) == [1]


def test_posts_with_every_word_rank_first(index):
    engine = index(
        make_doc(1, body="Pengunjung pengunjung pengunjung datang pagi."),
        make_doc(2, body="Kenapa pengunjung perpustakaan kami sepi sekali."),
        make_doc(3, body="Sepi sepi sepi sepi."),
    )
    results = engine.search("kenapa pengunjung sepi?")
    assert thread_ids(results)[0] == 2
    assert set(thread_ids(results)) == {1, 2, 3}  # partial matches are still found
    assert results.message is None  # "?" is punctuation, not a wildcard


def test_relatives_count_as_matching_words(index):
    engine = index(
        make_doc(1, body="Pelatihan pelatihan pelatihan pelatihan untuk semua."),
        make_doc(2, body="Kami melatih pembaca muda."),
    )
    assert thread_ids(engine.search("pelatihan membaca")) == [2, 1]


def test_an_exact_phrase_needs_the_words_in_order(index):
    engine = index(
        make_doc(1, body="Minat baca warga naik."),
        make_doc(2, body="Baca buku menambah minat."),
    )
    assert thread_ids(engine.search('"minat baca"')) == [1]


def test_a_two_word_phrase_keeps_its_meaning_in_titles_bodies_and_snippets(index):
    engine = index(
        make_doc(1, title="Minat baca warga", body="Catatan bulan ini."),
        make_doc(2, title="Catatan", body="Baca dulu, minat nanti. Minat yang baca."),
        make_doc(3, title="Catatan", body="Kelas minat baca anak."),
    )
    assert sorted(thread_ids(engine.search('"minat baca"'))) == [1, 2, 3]  # "yang" is no word
    assert thread_ids(engine.search('"minat baca" in:title')) == [1]
    assert thread_ids(engine.search('"baca minat"')) == []
    hit = engine.search('"minat baca"', SearchFilters(thread_id=3)).hits[0]
    assert "<mark>minat</mark> <mark>baca</mark>" in hit.snippet_html


def test_minus_and_not_exclude(index):
    engine = index(
        make_doc(1, body="Buku anak dan dongeng."),
        make_doc(2, body="Buku pertanian untuk petani."),
    )
    assert thread_ids(engine.search("buku -dongeng")) == [2]
    assert thread_ids(engine.search("buku NOT dongeng")) == [2]
    assert thread_ids(engine.search('buku -"buku anak"')) == [2]


def test_or_and_and(index):
    engine = index(
        make_doc(1, body="Dongeng untuk anak."),
        make_doc(2, body="Petani dan pupuk."),
        make_doc(3, body="Dongeng tentang petani."),
    )
    assert set(thread_ids(engine.search("dongeng OR pupuk"))) == {1, 2, 3}
    assert thread_ids(engine.search("dongeng AND petani")) == [3]
    assert set(thread_ids(engine.search("(dongeng OR pupuk) AND petani"))) == {2, 3}


def test_a_prefix_wildcard_expands_real_words(index):
    engine = index(
        make_doc(1, body="Pengatalogan buku lama."),
        make_doc(2, body="Katalog baru."),
    )
    assert thread_ids(engine.search("pengata*")) == [1]


def test_fuzzy_finds_spelling_variants(index):
    engine = index(make_doc(1, body="Perpustakaan keliling."), make_doc(2, body="Sawah."))
    assert thread_ids(engine.search("perpustakan~1")) == [1]


@pytest.mark.parametrize(
    "query, filters, expected",
    [
        ("buku kind:challenge", None, [2]),
        ("buku", SearchFilters(kind="practice"), [1, 3]),
        ("buku tag:literasi", None, [1]),
        ("buku", SearchFilters(tag="Literasi"), [1]),
        ("buku author:dewi", None, [2]),
        ("buku region:purwakarta", None, [1, 3]),
        ("buku", SearchFilters(region="garut"), [2]),
        ("buku province:jawa-barat", None, [1, 2]),
        ("buku status:solved", None, [2]),
        ("buku status:unsolved", None, [1, 3]),
        ("buku before:2025-06-02", None, [1]),
        ("buku after:2025-06-02", None, [2, 3]),
        ("buku", SearchFilters(after=date(2025, 6, 2), before=date(2025, 6, 3)), [2]),
        ("buku thread:3", None, [3]),
        ("buku", SearchFilters(thread_id=3), [3]),
        ("buku -kind:challenge", None, [1, 3]),
        ("kind:challenge", None, [2]),
        ("buku kind:challenge", SearchFilters(kind="practice"), []),  # both restrict
    ],
)
def test_filters_restrict(index, query, filters, expected):
    engine = index(
        make_doc(
            1,
            body="Buku cerita.",
            tags=("literasi",),
            region="purwakarta",
            province="jawa-barat",
            created=T0,
        ),
        make_doc(
            2,
            body="Buku lama.",
            kind="challenge",
            author="dewi",
            region="garut",
            province="jawa-barat",
            solved=True,
            created=T0 + timedelta(days=1),
        ),
        make_doc(
            3,
            body="Buku baru.",
            region="purwakarta",
            province="jawa-tengah",
            created=T0 + timedelta(days=2),
        ),
    )
    assert sorted(thread_ids(engine.search(query, filters))) == expected


def test_a_filter_finds_an_older_post_among_more_recent_matches_than_are_ranked(index, monkeypatch):
    # PostgreSQL ranks only the newest CANDIDATES matches, looking among the newest
    # 3 and 6 posts first (WINDOWS): the filter must narrow the matches before
    # that bound, and a window short of matches must give way to older posts.
    monkeypatch.setattr(postgres_backend, "CANDIDATES", 3)
    monkeypatch.setattr(postgres_backend, "WINDOWS", (1, 2))
    newer = [make_doc(i, body="Kegiatan perpustakaan desa.", region="garut") for i in range(2, 9)]
    engine = index(make_doc(1, body="Kegiatan perpustakaan.", region="sleman"), *newer)
    assert thread_ids(engine.search("kegiatan perpustakaan", SearchFilters(region="sleman"))) == [1]
    assert thread_ids(engine.search("kegiatan perpustakaan region:sleman kind:practice")) == [1]
    found = set(thread_ids(engine.search("kegiatan perpustakaan", per_page=50)))
    assert found == ({6, 7, 8} if engine.name == "postgresql" else set(range(1, 9)))


def test_report_sections_are_searched_by_word_family_not_phrase(index):
    engine = index(
        make_doc(1, body="Cerita.", extra="Pelatihan relawan baru."),
        make_doc(2, body="Dongeng."),
    )
    assert thread_ids(engine.search("pelatihan")) == [1]
    assert thread_ids(engine.search("melatih")) == [1]
    assert thread_ids(engine.search('"relawan baru"')) == []
    assert thread_ids(engine.search("pelatihan in:title")) == []


def test_filters_never_widen_an_or(index):
    engine = index(
        make_doc(1, body="Dongeng.", kind="practice"),
        make_doc(2, body="Pupuk.", kind="challenge"),
    )
    assert thread_ids(engine.search("dongeng OR pupuk kind:challenge")) == [2]


def test_in_title_searches_titles_only(index):
    engine = index(
        make_doc(1, title="Dongeng anak", body="Cerita."),
        make_doc(2, title="Cerita", body="Dongeng anak."),
    )
    assert thread_ids(engine.search("dongeng in:title")) == [1]
    assert thread_ids(engine.search("dongeng", SearchFilters(in_title=True))) == [1]


def test_a_matching_reply_is_reported_under_its_thread(index):
    engine = index(
        make_doc(10, 10, title="Koleksi kami", body="Kami punya rak baru."),
        make_doc(11, 10, title="Koleksi kami", body="Coba minta donasi dari penerbit."),
        make_doc(12, 10, title="Koleksi kami", body="Setuju, donasi membantu."),
        make_doc(20, 20, title="Lain", body="Tentang sawah."),
    )
    results = engine.search("donasi penerbit")
    assert results.total == 1
    [hit] = results.hits
    assert (hit.thread_id, hit.post_id, hit.matching_posts) == (10, 11, 2)
    assert "<mark>donasi</mark>" in hit.snippet_html


def test_a_title_match_shows_the_opening_post(index):
    engine = index(
        make_doc(10, 10, title="Dongeng anak", body="Pembuka."),
        make_doc(11, 10, title="Dongeng anak", body="Balasan."),
    )
    [hit] = engine.search("dongeng").hits
    assert hit.post_id == 10
    assert hit.title_html == "<mark>Dongeng</mark> anak"


def test_snippets_and_titles_are_escaped(index):
    engine = index(
        make_doc(1, title="<b>Judul</b> & buku", body="Awas <script>alert('buku')</script> ya")
    )
    [hit] = engine.search("buku").hits
    assert "<script>" not in hit.snippet_html
    assert "&lt;script&gt;" in hit.snippet_html
    assert "<mark>buku</mark>" in hit.snippet_html
    assert hit.title_html == "&lt;b&gt;Judul&lt;/b&gt; &amp; <mark>buku</mark>"


def test_snippet_shows_the_matching_part_of_a_long_post(index):
    body = " ".join(["kata"] * 200) + " dongeng " + " ".join(["lain"] * 200)
    engine = index(make_doc(1, body=body))
    snippet = engine.search("dongeng").hits[0].snippet_html
    assert "<mark>dongeng</mark>" in snippet
    assert snippet.startswith("… ") and snippet.endswith(" …")


def test_pagination_and_total_count_threads(index):
    docs = [make_doc(i, body=f"Buku nomor {i}.") for i in range(1, 26)]
    docs += [make_doc(100 + i, i, body="Buku lagi.") for i in range(1, 6)]  # replies
    engine = index(*docs)
    first = engine.search("buku", per_page=10)
    third = engine.search("buku", page=3, per_page=10)
    assert (first.total, first.pages, len(first.hits), len(third.hits)) == (25, 3, 10, 5)
    assert not set(thread_ids(first)) & set(thread_ids(third))
    assert engine.search("buku", page=9, per_page=10).hits == []


def test_sort_newest_orders_by_last_activity(index):
    engine = index(
        make_doc(1, body="Buku buku buku.", last_activity=T0),
        make_doc(2, body="Buku.", last_activity=T0 + timedelta(days=3)),
        make_doc(3, body="Buku.", last_activity=T0 + timedelta(days=1)),
    )
    assert thread_ids(engine.search("buku", sort="newest")) == [2, 3, 1]
    assert thread_ids(engine.search("buku"))[0] == 1


def test_did_you_mean_from_the_index_vocabulary(index):
    engine = index(make_doc(1, body="Pelatihan pustakawan."), make_doc(2, body="Dongeng."))
    results = engine.search("pelatiahn")
    assert results.corrected_query == "pelatihan"
    assert results.showing_corrected
    assert thread_ids(results) == [1]


def test_did_you_mean_keeps_the_original_hits_when_there_are_some(index):
    engine = index(make_doc(1, body="Pelatihan pustakawan."), make_doc(2, body="Dongeng anak."))
    results = engine.search("dongeng pelatiahn")
    assert results.corrected_query == "dongeng pelatihan"
    assert not results.showing_corrected
    assert thread_ids(results) == [2]


def test_known_words_get_no_correction(index):
    engine = index(make_doc(1, body="Pelatihan pustakawan."))
    assert engine.search("melatih").corrected_query is None


MALFORMED = [
    '"unbalanced',
    "(a",
    "a)",
    "AND",
    "OR",
    "NOT",
    "-",
    "*",
    "*baca",
    "ba*ca",
    "bac*",
    "baca~99",
    "x" * 10_000,
    "a\x00b",
    "🙂📚",
    "((((",
    "))))",
    "kind:",
    "kind:nonsense",
    "before:notadate",
    "after:2025-13-45",
    "tag:",
    "thread:abc",
    'author:"',
    "buku OR OR dongeng",
    "buku AND",
    "- buku",
    "\\",
    "'",
    "%",
    "status:maybe",
    "in:nowhere",
]


@pytest.mark.parametrize("query", MALFORMED)
def test_malformed_queries_return_a_message_not_an_exception(index, query):
    engine = index(make_doc(1, body="Buku baca untuk anak."))
    results = engine.search(query)
    assert results.message, query


def test_malformed_queries_still_search_what_they_can(index):
    engine = index(make_doc(1, body="Buku baca untuk anak."))
    for query in ['"buku', "(buku", "buku AND", "buku~99", "buku kind:", "*buku"]:
        results = engine.search(query)
        assert thread_ids(results) == [1], query
        assert results.message


@pytest.fixture(scope="module")
def shared_engine(tmp_path_factory):
    from search_index import SearchEngine

    engine = SearchEngine(tmp_path_factory.mktemp("hypothesis") / "index", background=False)
    engine.rebuild(
        iter([make_doc(i, body=f"Buku pelatihan dongeng nomor {i} perpusdes") for i in range(1, 6)])
    )
    yield engine
    engine.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_search_never_raises(shared_engine, text):
    results = shared_engine.search(text)
    assert results.message != "Pencarian sedang bermasalah; coba lagi sebentar lagi."


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                '"',
                "(",
                ")",
                "-",
                "*",
                "~",
                "OR",
                "AND",
                "NOT",
                "kind:",
                "tag:x",
                "buku",
                "dongeng",
                "before:2025",
                "?",
                ":",
                "~2",
                "in:title",
                " ",
            ]
        ),
        max_size=12,
    )
)
def test_operator_soup_never_raises(shared_engine, pieces):
    results = shared_engine.search(" ".join(pieces))
    assert results.message != "Pencarian sedang bermasalah; coba lagi sebentar lagi."


def test_suggest_completes_the_last_word_of_titles(index):
    engine = index(
        make_doc(1, title="Pelatihan pustakawan desa", body="."),
        make_doc(2, 1, title="Pelatihan pustakawan desa", body="Balasan."),
        make_doc(3, title="Pelayanan malam", body="."),
        make_doc(4, title="Dongeng anak", body="."),
    )
    suggestions = engine.suggest("pela")
    assert sorted(hit.thread_id for hit in suggestions) == [1, 3]
    assert [hit.thread_id for hit in engine.suggest("pelatihan pus")] == [1]
    assert engine.suggest("") == []


def test_similar_threads_by_id_and_by_text(index):
    engine = index(
        make_doc(1, title="Dongeng anak", body="Mendongeng untuk anak dengan boneka."),
        make_doc(2, title="Lomba dongeng", body="Lomba mendongeng anak tingkat desa."),
        make_doc(3, title="Pupuk organik", body="Petani membuat pupuk dari sampah."),
    )
    assert [hit.thread_id for hit in engine.similar(1)] == [2]
    assert [hit.thread_id for hit in engine.similar("pupuk untuk petani")][0] == 3
    assert [hit.thread_id for hit in engine.similar(1, exclude_thread=2)] == [1]
