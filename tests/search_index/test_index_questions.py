"""Search answers questions as librarians type them (issue 18): question and filler words,
chat spellings, stems that stay in their family, corrections that lead somewhere, Indonesian
operators, and a ranking that puts the thread about it first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from index_helpers import T0
from index_helpers import make_doc

from search_index import spelling
from search_index.analysis import CHAT_WORDS
from search_index.analysis import STEM_EXCEPTIONS
from search_index.analysis import plausible_stem
from search_index.analysis import stem_word


def thread_ids(results) -> list[int]:
    return [hit.thread_id for hit in results.hits]


# -- question and filler words -----------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "bagaimana cara mengatasi buku tidak dikembalikan",
        "gimana caranya mengatasi buku tidak dikembalikan dong",
        "gmn ya buku tdk dikembalikan?",
        "tolong, ada yang tau: buku tidak dikembalikan",
    ],
)
def test_question_words_never_decide_a_match(index, query):
    engine = index(
        make_doc(1, title="Banyak buku tidak dikembalikan", body="Warga lupa mengembalikan."),
        make_doc(2, title="Cara membuat jadwal", body="Bagaimana cara tolong dong ya sih tau?"),
    )
    assert thread_ids(engine.search(query)) == [1]


def test_a_question_made_only_of_question_words_still_searches_them(index):
    engine = index(make_doc(1, body="Cara merawat buku."), make_doc(2, body="Rak kayu."))
    assert thread_ids(engine.search("cara")) == [1]


def test_a_thread_matching_all_content_words_ranks_above_one_matching_some(index):
    engine = index(
        make_doc(1, title="Motor keliling ke grumbul atas", body="Buku kami bawa ke atas bukit."),
        make_doc(2, title="Buku tidak dikembalikan", body="Bagaimana mengatasinya?"),
    )
    results = engine.search("bagaimana mengatasi buku tidak dikembalikan")
    assert thread_ids(results)[0] == 2


# -- chat spellings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("tdk", "tidak"),
        ("tidak", "tdk"),
        ("gak", "tidak"),
        ("nggak", "tdk"),
        ("sdh", "sudah"),
        ("sudah", "udh"),
        ("blm", "belum"),
        ("bgt", "banget"),
        ("hrs", "harus"),
        ("bs", "bisa"),
        ("krn", "karena"),
        ("perpus", "perpustakaan"),
        ("perpustakaan", "perpus"),
    ],
)
def test_chat_spellings_meet_their_full_forms_both_ways(index, typed, written):
    engine = index(
        make_doc(1, body=f"Pojok baca {written} ramai hari ini."),
        make_doc(2, body="Rak kayu baru dipasang."),
    )
    results = engine.search(typed, correct=False)
    assert thread_ids(results) == [1]
    assert f"<mark>{written}</mark>" in results.hits[0].snippet_html


def test_every_chat_spelling_maps_to_a_different_full_word():
    assert CHAT_WORDS
    assert all(chat != full and " " not in full for chat, full in CHAT_WORDS.items())


# -- stems stay in their family ------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "unrelated"),
    [
        ("mengatasi", "Rumah kami di atas bukit."),
        ("relawan", "Daerah rawan banjir."),
        ("pengunjung", "Ujung jalan desa."),
        ("bertani", "Tanpa tanda tangan."),
    ],
)
def test_over_stemming_does_not_find_false_relatives(index, query, unrelated):
    engine = index(make_doc(1, body=unrelated))
    assert thread_ids(engine.search(query)) == []


@pytest.mark.parametrize(
    ("query", "related"),
    [
        ("mengatasi", "Masalah itu sudah teratasi."),
        ("pengunjung", "Kunjungan warga naik."),
        ("relawan", "Kerelawanan pemuda desa."),
        ("katalog", "Katalogisasi buku lama."),
        ("menanam", "Tanam cabai di pekarangan."),
        ("pemerintah", "Surat perintah kepala desa."),
    ],
)
def test_real_relatives_still_meet(index, query, related):
    engine = index(make_doc(1, body=related))
    assert thread_ids(engine.search(query)) == [1]


@pytest.mark.parametrize(("word", "stem"), sorted(STEM_EXCEPTIONS.items()))
def test_every_listed_exception_is_used(word, stem):
    assert stem_word(word) == stem


@pytest.mark.parametrize(
    ("word", "stem", "plausible"),
    [
        ("relawan", "rawan", False),  # not inside the word
        ("bertani", "tan", False),  # too short to be a family
        ("menanam", "tanam", True),  # meN- + tanam
        ("pelatihan", "latih", True),
        ("pemerintah", "perintah", True),  # peN- + perintah
    ],
)
def test_the_stemming_guard(word, stem, plausible):
    assert plausible_stem(word, stem) is plausible


# -- did you mean ----------------------------------------------------------------------


def test_a_correction_comes_from_forum_words(index):
    engine = index(
        make_doc(1, title="Kegiatan literasi anak", body="Literasi di desa."),
        make_doc(2, body="Rak kayu."),
    )
    results = engine.search("literasy")
    assert results.corrected_query == "literasi"
    assert results.showing_corrected and thread_ids(results) == [1]


def test_short_words_are_not_bent_two_letters_into_another_word(index):
    engine = index(make_doc(1, body="Kami pernah ke perpustakaan pustaka desa."))
    results = engine.search("perahu pustaka")
    assert results.corrected_query is None


def test_the_correction_whose_words_occur_together_wins(index):
    engine = index(
        make_doc(1, body="Lomba dongeng anak."),
        make_doc(2, body="Lomba dongeng desa."),
        make_doc(3, body="Dengeng? Ada lomba lain juga."),  # "dengeng" is nearer to nothing
        make_doc(4, body="Dingin sekali pagi ini, dingin dingin."),
    )
    results = engine.search("lomba dongenk")
    assert results.corrected_query == "lomba dongeng"


def test_exact_search_never_corrects(index):
    engine = index(make_doc(1, body="Literasi di desa."))
    results = engine.search("literasy", correct=False)
    assert results.corrected_query is None and results.total == 0


def test_correction_counts_at_most_five_candidate_queries(index, monkeypatch):
    engine = index(
        make_doc(1, body="dongeng dongen dongan dengeng lomba lombo lamba bacaan bacaab bacaah")
    )
    calls = []
    real = spelling.count_candidate

    def counting(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(spelling, "count_candidate", counting)
    engine.search("dongenx lombx bacaax kegiatax pustakax")
    assert 0 < len(calls) <= spelling.MAX_CANDIDATE_QUERIES


# -- Indonesian operators ----------------------------------------------------------------


@pytest.fixture
def operators_engine(index):
    return index(
        make_doc(1, kind="practice", title="Pojok baca", body="Buku di pos ronda.", author="asep",
                 region="purwakarta", province="jawa-barat", created=T0),
        make_doc(2, kind="challenge", title="Buku hilang", body="Pojok baca sepi.", author="sri",
                 region="banyumas", province="jawa-tengah", solved=True,
                 created=T0 + timedelta(days=40)),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("buku jenis:praktik", [1]),
        ("buku jenis:tantangan", [2]),
        ("buku oleh:sri", [2]),
        ("buku wilayah:purwakarta", [1]),
        ("buku wilayah:provinsi-jawa-tengah", [2]),
        ("buku provinsi:jawa-barat", [1]),
        ("buku provinsi:provinsi-jawa-barat", [1]),
        ("buku status:teratasi", [2]),
        ("buku status:belum", [1]),
        ("buku sebelum:2025-06-15", [1]),
        ("buku sesudah:2025-06-15", [2]),
        ("judul:pojok", [1]),
        ('judul:"buku hilang"', [2]),
        ("buku -judul:pojok", [2]),
    ],
)
def test_indonesian_operators(operators_engine, query, expected):
    assert sorted(thread_ids(operators_engine.search(query))) == expected


# -- ranking --------------------------------------------------------------------------------


def test_the_thread_about_it_ranks_above_a_passing_mention_in_a_reply(index):
    engine = index(
        make_doc(1, title="Katalog pakai SLiMS", body="Kami mulai katalog."),
        make_doc(2, title="Ramadan di desa", body="Kegiatan buka puasa."),
        make_doc(3, thread_id=2, body="Oh ya, katalog di SLiMS kami juga, sambil lalu."),
    )
    assert thread_ids(engine.search("katalog slims")) == [1, 2]


def test_a_solved_challenge_is_lifted_among_equals(index):
    engine = index(
        make_doc(1, kind="challenge", title="Rak buku", body="Rak buku roboh."),
        make_doc(2, kind="challenge", title="Rak buku", body="Rak buku roboh.", solved=True),
    )
    assert thread_ids(engine.search("rak roboh")) == [2, 1]


def test_recent_activity_breaks_ties(index):
    engine = index(
        make_doc(1, title="Rak buku", body="Rak roboh.", last_activity=T0),
        make_doc(2, title="Rak buku", body="Rak roboh.", last_activity=T0 + timedelta(days=9)),
    )
    assert thread_ids(engine.search("rak roboh")) == [2, 1]
