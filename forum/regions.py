"""Indonesia's provinces and kabupaten/kota, from the bundled reference list.

Members choose these from lists instead of typing them, so "Kab. Purwakarta" and
"Purwakarta" never split a filter or a chart. Rows store slugs: a "Kabupaten X"
is ``x``, a "Kota X" is ``kota-x``, a province is its name slugged.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).parent / "data" / "regions.json"
_PREFIXES = (
    ("Kabupaten Administrasi ", ""),
    ("Kota Administrasi ", "kota-"),
    ("Kabupaten ", ""),
    ("Kota ", "kota-"),
)


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@dataclass(frozen=True)
class Regency:
    slug: str
    name: str  # "Kabupaten Purwakarta"
    province: Province

    @property
    def short_name(self) -> str:
        """ "Purwakarta" for a kabupaten, "Kota Bandung" for a city."""
        for prefix, slug_prefix in _PREFIXES:
            if self.name.startswith(prefix):
                rest = self.name[len(prefix) :]
                return f"Kota {rest}" if slug_prefix else rest
        return self.name


@dataclass(frozen=True)
class Province:
    slug: str
    name: str
    code: str


def regency_slug(name: str) -> str:
    for prefix, slug_prefix in _PREFIXES:
        if name.startswith(prefix):
            return slug_prefix + slugify(name[len(prefix) :])
    return slugify(name)


@dataclass(frozen=True)
class Regions:
    provinces: dict[str, Province]
    regencies: dict[str, Regency]

    def regencies_of(self, province_slug: str) -> list[Regency]:
        return [r for r in self.regencies.values() if r.province.slug == province_slug]

    def find_regency(self, text: str) -> Regency | None:
        """The kabupaten/kota a member typed: "Purwakarta", "Kab. Purwakarta", "kota bandung"."""
        slug = slugify(text)
        for prefix in ("kabupaten-administrasi-", "kabupaten-", "kab-"):
            slug = slug.removeprefix(prefix)
        slug = slug.replace("kota-administrasi-", "kota-")
        return self.regencies.get(slug)

    def regency_name(self, slug: str | None) -> str:
        regency = self.regencies.get(slug or "")
        return regency.short_name if regency else ""

    def province_name(self, slug: str | None) -> str:
        province = self.provinces.get(slug or "")
        return province.name if province else ""


@cache
def regions() -> Regions:
    """The reference list, read once per process."""
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    provinces: dict[str, Province] = {}
    regencies: dict[str, Regency] = {}
    for entry in data["provinces"]:
        province = Province(slug=slugify(entry["name"]), name=entry["name"], code=entry["code"])
        provinces[province.slug] = province
        for item in entry["regencies"]:
            slug = regency_slug(item["name"])
            if slug in regencies:
                # Same kabupaten name in two provinces: keep both, tell them apart.
                slug = f"{slug}-{province.slug}"
            regencies[slug] = Regency(slug=slug, name=item["name"], province=province)
    return Regions(provinces=provinces, regencies=regencies)
