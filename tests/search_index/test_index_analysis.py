"""The Indonesian analyzer: stems, stop words, folding, synonyms."""

from __future__ import annotations

import pytest

from search_index.analysis import STOP_WORDS
from search_index.analysis import SynonymTable
from search_index.analysis import exact_tokens
from search_index.analysis import stem_word
from search_index.analysis import stemmed_analyzer
from search_index.analysis import synonyms


@pytest.mark.parametrize(
    "family",
    [
        ["pelatihan", "melatih", "dilatih", "latihan"],
        ["membaca", "bacaan", "pembaca"],
        ["perpustakaan", "pustaka"],
        ["kegiatan", "berkegiatan"],
        ["pengunjung", "kunjungan", "berkunjung", "mengunjungi"],
    ],
)
def test_stemming_families_share_a_stem(family):
    assert len({stem_word(word) for word in family}) == 1


@pytest.mark.parametrize("word", ["kenapa", "bagaimana", "apa", "yang", "di", "ke", "dari", "the"])
def test_question_and_function_words_are_stop_words(word):
    assert word in STOP_WORDS
    assert exact_tokens(f"{word} buku") == ["buku"]


@pytest.mark.parametrize("word", ["masalah", "kerja", "ibu", "baru", "buku"])
def test_searched_words_are_not_stop_words(word):
    assert exact_tokens(word) == [word]


def test_accents_are_folded_and_case_lowered():
    assert exact_tokens("Kafé PERPUSTAKAAN") == ["kafe", "perpustakaan"]


def test_question_mark_and_hyphen_separate_words():
    assert exact_tokens("sepi? anak-anak") == ["sepi", "anak", "anak"]


def test_stemmed_analyzer_keeps_positions_of_kept_words():
    tokens = [(t.text, t.pos) for t in stemmed_analyzer()("pelatihan di desa", positions=True)]
    assert tokens == [("latih", 0), ("desa", 1)]


def test_synonym_groups_match_either_direction():
    table = SynonymTable([["perpusdes", "perpustakaan desa"]])
    one = table.find([stem_word("perpusdes")])
    two = table.find([stem_word("perpustakaan"), stem_word("desa")])
    assert one[0].alternatives == ((stem_word("perpustakaan"), "desa"),)
    assert (one[0].start, one[0].end) == (0, 1)
    assert two[0].alternatives == (("perpusdes",),)
    assert (two[0].start, two[0].end) == (0, 2)


@pytest.mark.parametrize("abbreviation", ["perpusdes", "tbm", "pemustaka", "plm", "tpbis", "kab"])
def test_the_data_file_has_the_community_abbreviations(abbreviation):
    assert synonyms().find([stem_word(abbreviation)])
