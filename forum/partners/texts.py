"""What partner kinds, kinds of support and offer states are called on pages and in exports."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

PARTNER_KIND_LABELS = {
    "pemerintah-desa": _l("Village government"),
    "dinas": _l("Government agency"),
    "perusahaan": _l("Company (CSR)"),
    "komunitas": _l("Community"),
    "perguruan-tinggi": _l("University"),
    "perpustakaan": _l("Library"),
}
NEED_LABELS = {
    "dana": _l("Funds"),
    "buku": _l("Books"),
    "narasumber": _l("A trainer or speaker"),
    "tempat": _l("A place"),
    "peralatan": _l("Equipment"),
    "internet": _l("Internet access"),
}
OFFER_STATUS_LABELS = {
    "offered": _l("Waiting for an answer"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "delivered": _l("Delivered"),
}
