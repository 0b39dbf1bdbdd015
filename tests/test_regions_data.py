"""Sanity checks for the bundled Kemendagri province/regency reference list."""

import json
import re
from pathlib import Path

REGIONS_PATH = Path(__file__).resolve().parent.parent / "forum" / "data" / "regions.json"


def _load():
    with REGIONS_PATH.open(encoding="utf-8") as fh:
        return json.load(fh)


def _regencies(data):
    return [r for p in data["provinces"] for r in p["regencies"]]


def _province(data, name):
    matches = [p for p in data["provinces"] if p["name"] == name]
    assert len(matches) == 1, name
    return matches[0]


def test_top_level_shape():
    data = _load()
    assert set(data) == {"source", "provinces"}
    assert "Kemendagri" in data["source"]
    for p in data["provinces"]:
        assert set(p) == {"code", "name", "regencies"}
        assert not p["name"].startswith("Provinsi")
        for r in p["regencies"]:
            assert set(r) == {"code", "name"}


def test_province_count_and_codes():
    data = _load()
    provinces = data["provinces"]
    assert len(provinces) == 38
    codes = [p["code"] for p in provinces]
    assert all(re.fullmatch(r"\d{2}", c) for c in codes)
    assert len(set(codes)) == 38
    assert len({p["name"] for p in provinces}) == 38
    assert {"93", "94", "95", "96"} <= set(codes)


def test_regency_totals():
    regencies = _regencies(_load())
    assert len(regencies) == 514
    kabupaten = [r for r in regencies if r["name"].startswith("Kabupaten ")]
    kota = [r for r in regencies if r["name"].startswith("Kota ")]
    assert len(kabupaten) == 416
    assert len(kota) == 98
    assert len(kabupaten) + len(kota) == len(regencies)


def test_regency_codes_unique_and_prefixed():
    data = _load()
    all_codes = []
    for p in data["provinces"]:
        for r in p["regencies"]:
            assert re.fullmatch(r"\d{2}\.\d{2}", r["code"]), r
            assert r["code"].startswith(p["code"] + "."), (p["code"], r)
            # kota codes are 71+, kabupaten codes below 71
            is_kota = int(r["code"][3:]) >= 71
            assert r["name"].startswith("Kota ") == is_kota, r
            all_codes.append(r["code"])
    assert len(all_codes) == len(set(all_codes))


def test_no_duplicate_names_within_province():
    for p in _load()["provinces"]:
        names = [r["name"] for r in p["regencies"]]
        assert len(names) == len(set(names)), p["name"]


def test_per_province_counts():
    data = _load()
    expected = {
        "Jawa Barat": (18, 9),
        "Jawa Tengah": (29, 6),
        "Jawa Timur": (29, 9),
        "DKI Jakarta": (1, 5),
        "DI Yogyakarta": (4, 1),
        "Papua": (8, 1),
        "Papua Barat": (7, 0),
        "Papua Selatan": (4, 0),
        "Papua Tengah": (8, 0),
        "Papua Pegunungan": (8, 0),
        "Papua Barat Daya": (5, 1),
        "Sulawesi Barat": (6, 0),
        "Kalimantan Utara": (4, 1),
    }
    for name, (kab, kota) in expected.items():
        regs = _province(data, name)["regencies"]
        got_kab = sum(r["name"].startswith("Kabupaten ") for r in regs)
        got_kota = sum(r["name"].startswith("Kota ") for r in regs)
        assert (got_kab, got_kota) == (kab, kota), name


def test_spot_checks():
    data = _load()
    by_province = {
        p["name"]: {r["name"]: r["code"] for r in p["regencies"]} for p in data["provinces"]
    }
    assert _province(data, "Jawa Barat")["code"] == "32"
    assert by_province["Jawa Barat"]["Kabupaten Purwakarta"] == "32.14"
    assert by_province["Sulawesi Selatan"]["Kota Makassar"] == "73.71"
    assert by_province["Aceh"]["Kota Banda Aceh"] == "11.71"
    assert by_province["Jawa Timur"]["Kota Surabaya"] == "35.78"
    assert "Kabupaten Administrasi Kepulauan Seribu" in by_province["DKI Jakarta"]
    assert "Kota Administrasi Jakarta Pusat" in by_province["DKI Jakarta"]
    assert by_province["Papua Selatan"]["Kabupaten Merauke"].startswith("93.")
    assert by_province["Papua Tengah"]["Kabupaten Mimika"].startswith("94.")
    assert by_province["Papua Pegunungan"]["Kabupaten Jayawijaya"].startswith("95.")
    assert by_province["Papua Barat Daya"]["Kota Sorong"] == "96.71"
    assert by_province["Papua"]["Kota Jayapura"] == "91.71"
    assert "Kabupaten Merauke" not in by_province["Papua"]
    assert "Kota Sorong" not in by_province["Papua Barat"]
    assert by_province["Kalimantan Utara"]["Kota Tarakan"] == "65.71"
    assert "Kota Tarakan" not in by_province["Kalimantan Timur"]
