"""A deterministic corpus of Indonesian village-library forum posts, with known topics.

Each thread has one topic; its posts use that topic's word families in many
morphological forms (pelatihan / melatih / dilatih / latihan ...) among
everyday filler, plus the odd sentence from another topic, so a term-only
engine finds some relevant threads and misses others. The topic labels are
the relevance judgements for the quality queries in ``bench/search.py``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from search_index import SearchDocument

# topic -> (word families in the forms the posts use, tags, title templates).
# The judged queries in bench/search.py also use relatives the posts never
# contain verbatim (dilatih, berkunjung, perpusdes ...), as real queries do.
TOPICS: dict[str, tuple[list[list[str]], list[str], list[str]]] = {
    "pelatihan": (
        [["pelatihan", "latihan"], ["pustakawan"], ["materi", "sesi"], ["peserta", "fasilitator"]],
        ["pelatihan", "pengembangan-diri"],
        ["Pelatihan {a} untuk pustakawan", "Cara ikut {a}", "Catatan {a} dari dinas"],
    ),
    "membaca": (
        [["membaca", "bacaan"], ["minat"], ["gemar", "kegemaran"], ["literasi"]],
        ["literasi", "minat-baca"],
        ["Meningkatkan minat {a} warga", "Gerakan gemar {a} di desa", "Program {a} nyaring"],
    ),
    "pengunjung": (
        [["pengunjung", "kunjungan"], ["sepi"], ["jam", "buka"], ["datang", "hadir"]],
        ["pengunjung", "layanan"],
        ["Kenapa {a} perpustakaan sepi?", "Menarik {a} datang", "Jadwal {a} yang pas"],
    ),
    "koleksi": (
        [["koleksi"], ["sumbangan", "donasi"], ["penerbit", "majalah"], ["rak", "penataan"]],
        ["koleksi", "donasi-buku"],
        ["Menambah {a} buku", "Mencari {a} dari penerbit", "Menata {a} di rak"],
    ),
    "katalog": (
        [["katalog"], ["slims", "aplikasi"], ["klasifikasi", "ddc"], ["data", "nomor"]],
        ["katalog", "slims"],
        ["Belajar {a} dengan SLiMS", "Masalah {a} buku lama", "{a} koleksi secara digital"],
    ),
    "dongeng": (
        [["dongeng"], ["cerita"], ["anak", "balita"], ["boneka", "panggung"]],
        ["anak", "dongeng"],
        ["Kegiatan {a} untuk anak", "Lomba {a} tingkat desa", "Jadwal {a} hari Minggu"],
    ),
    "digital": (
        [["internet", "wifi"], ["digital"], ["komputer", "laptop"], ["ipusnas", "unduh"]],
        ["digital", "teknologi"],
        ["Akses {a} di perpustakaan", "Pakai iPusnas untuk {a}", "Komputer {a} rusak"],
    ),
    "anggaran": (
        [["anggaran"], ["dana"], ["pemdes", "musyawarah"], ["usulan", "proposal"]],
        ["dana-desa", "kebijakan"],
        ["Usulan {a} perpustakaan", "Dana desa untuk {a}", "Proposal {a} ke pemdes"],
    ),
    "relawan": (
        [["relawan"], ["kerja", "tugas"], ["pemuda", "taruna"], ["jadwal", "piket"]],
        ["relawan", "pengelolaan"],
        ["Merekrut {a} muda", "Piket {a} bergiliran", "Menjaga semangat {a}"],
    ),
    "umkm": (
        [["usaha"], ["umkm", "produk", "kerajinan"], ["pemasaran", "pasar"], ["terampil"]],
        ["ekonomi", "umkm"],
        ["Perpustakaan membantu {a} warga", "Belajar {a} bersama", "Pemasaran {a} desa"],
    ),
    "pertanian": (
        [["petani", "tani"], ["panen"], ["pupuk", "benih", "bibit"], ["hama", "tanaman"]],
        ["pertanian", "inklusi-sosial"],
        ["Buku {a} untuk kelompok tani", "Diskusi {a} bersama penyuluh", "Info {a} dari buku"],
    ),
    "kegiatan": (
        [["kegiatan"], ["acara", "perayaan"], ["masyarakat", "gotong"], ["perpustakaan desa"]],
        ["kegiatan", "tpbis"],
        ["Ide {a} bulan ini", "Laporan {a} perpustakaan", "{a} bersama warga"],
    ),
}

FILLER = """
kami saya kita sudah belum masih sangat cukup lebih banyak sedikit semua setiap beberapa
hari minggu bulan tahun pagi sore malam kemarin besok sekarang nanti tadi
desa dusun kecamatan kabupaten kota provinsi rumah balai sekolah masjid perpustakaan
bapak ibu teman warga tetangga kepala ketua pengurus buku
baik bagus kurang susah mudah penting perlu bisa harus mau ingin coba
bantu membantu berbagi pengalaman cara saran ide masalah solusi hasil
terima kasih mohon tolong silakan semoga
""".split()
STOP = "yang di ke dari dan atau untuk dengan ini itu pada juga karena tapi agar".split()

REGIONS = [
    ("purwakarta", "jawa-barat"),
    ("garut", "jawa-barat"),
    ("bogor", "jawa-barat"),
    ("banyumas", "jawa-tengah"),
    ("klaten", "jawa-tengah"),
    ("sleman", "di-yogyakarta"),
    ("malang", "jawa-timur"),
    ("jember", "jawa-timur"),
    ("lombok-timur", "nusa-tenggara-barat"),
    ("sikka", "nusa-tenggara-timur"),
    ("gowa", "sulawesi-selatan"),
    ("aceh-besar", "aceh"),
    ("deli-serdang", "sumatera-utara"),
    ("kubu-raya", "kalimantan-barat"),
]
START = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Thread:
    """The labels the quality judgements use."""

    thread_id: int
    topic: str
    kind: str
    region: str


def _sentence(rng: random.Random, families: list[list[str]], topic_density: float) -> str:
    words = []
    for _ in range(rng.randint(6, 16)):
        roll = rng.random()
        if roll < topic_density:
            family = rng.choice(families)
            words.append(family[min(int(rng.expovariate(0.7)), len(family) - 1)])
        elif roll < topic_density + 0.2:
            words.append(rng.choice(STOP))
        else:
            words.append(rng.choice(FILLER))
    words[0] = words[0].capitalize()
    return " ".join(words) + rng.choice([".", ".", ".", "?", "!"])


def _body(rng: random.Random, topic: str, low: int, high: int) -> str:
    families = TOPICS[topic][0]
    others = [t for t in TOPICS if t != topic]
    target = rng.randint(low, high)
    sentences: list[str] = []
    count = 0
    while count < target:
        if rng.random() < 0.2:  # a sentence about something else
            sentence = _sentence(rng, TOPICS[rng.choice(others)][0], 0.25)
        else:
            sentence = _sentence(rng, families, 0.22)
        sentences.append(sentence)
        count += sentence.count(" ") + 1
    return " ".join(sentences)


def generate(
    posts: int, seed: int = 20260101, low: int = 50, high: int = 300
) -> Iterator[tuple[SearchDocument, Thread]]:
    """``posts`` documents in thread order (opening post, then 0-9 replies)."""
    rng = random.Random(seed)
    topics = sorted(TOPICS)
    post_id = thread_id = 0
    while post_id < posts:
        thread_id += 1
        topic = rng.choice(topics)
        families, tags, titles = TOPICS[topic]
        kind = "challenge" if rng.random() < 0.4 else "practice"
        region, province = rng.choice(REGIONS)
        title = rng.choice(titles).format(a=rng.choice(rng.choice(families)))
        title = title[0].upper() + title[1:]
        created = START + timedelta(minutes=rng.randint(0, 2 * 365 * 24 * 60))
        replies = min(int(rng.expovariate(0.35)), 9)
        last = created + timedelta(hours=replies * rng.randint(1, 30))
        label = Thread(thread_id, topic, kind, region)
        solved = kind == "challenge" and rng.random() < 0.4
        for i in range(replies + 1):
            post_id += 1
            if post_id > posts:
                return
            yield (
                SearchDocument(
                    post_id=post_id,
                    thread_id=thread_id,
                    is_opening=i == 0,
                    kind=kind,
                    title=title,
                    body=_body(rng, topic, low, high),
                    author=f"pustakawan{rng.randint(1, 800)}",
                    author_name="Pustakawan",
                    created=created + timedelta(hours=i * 3),
                    last_activity=last,
                    tags=tuple(tags[: rng.randint(1, 2)]),
                    library="Perpustakaan Desa",
                    region=region,
                    province=province,
                    solved=solved,
                ),
                label,
            )
