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

import sqlalchemy as sa

DATA_FILE = Path(__file__).parent / "data" / "regions.json"
# A region value: a kabupaten/kota slug, ``provinsi-<slug>`` for a whole province,
# or ``nasional`` for all of Indonesia (the dashboard's filter says "" for it).
PROVINCE_PREFIX = "provinsi-"
NATIONAL = "nasional"
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


@dataclass(frozen=True)
class Region:
    """All of Indonesia (``kind`` None), a province, or a kabupaten/kota.

    The one reading of a region value: the dashboard's filter, a facilitator's
    scope (forum/permissions.py) and the command line all parse it here.
    """

    kind: str | None = None
    slug: str | None = None

    @classmethod
    def parse(cls, value: str | None) -> Region:
        """A validated ``region`` parameter: ``provinsi-<slug>``, a kabupaten slug, or empty."""
        if not value or value == NATIONAL:
            return cls()
        if value.startswith(PROVINCE_PREFIX):
            return cls("province", value.removeprefix(PROVINCE_PREFIX))
        return cls("regency", value)

    @classmethod
    def from_value(cls, value: str | None) -> Region | None:
        """The region a value names, or ``None`` when it names none in the reference list."""
        value = (value or "").strip().lower()
        if not value:
            return None
        region = cls.parse(value)
        if region.kind == "province" and region.slug not in regions().provinces:
            return None
        if region.kind == "regency" and region.slug not in regions().regencies:
            return None
        return region

    @property
    def param(self) -> str:
        """The dashboard's query parameter ("" for all of Indonesia)."""
        if self.kind == "province":
            return PROVINCE_PREFIX + self.slug
        return self.slug or ""

    @property
    def value(self) -> str:
        """The stored value (``nasional`` for all of Indonesia)."""
        return self.param or NATIONAL

    @property
    def name(self) -> str:
        if self.kind == "province":
            return regions().province_name(self.slug)
        if self.kind == "regency":
            regency = regions().regencies[self.slug]
            return f"{regency.short_name}, {regency.province.name}"
        return ""

    def covers(self, regency: str | None, province: str | None) -> bool:
        """Whether a place (a kabupaten/kota and its province) lies in this region.

        A place without a region lies only in all of Indonesia.
        """
        if self.kind == "province":
            return province is not None and province == self.slug
        if self.kind == "regency":
            return regency is not None and regency == self.slug
        return True

    def clause(self, regency_column, province_column):
        """The SQL twin of :meth:`covers`."""
        if self.kind == "province":
            return province_column == self.slug
        if self.kind == "regency":
            return regency_column == self.slug
        return sa.true()
