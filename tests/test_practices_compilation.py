"""The book of good practices: facilitators only, visible content only, HTML and PDF."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from forum.adoptions.models import Adoption
from forum.attachments.models import Attachment
from forum.models import Library
from forum.models import Thread
from forum.practices import compilation
from forum.practices.models import Compilation
from tests.attachment_helpers import THREAD_FIELDS
from tests.attachment_helpers import send
from tests.attachment_helpers import uploads  # noqa: F401 - a fixture
from tests.attachment_samples import photo
from tests.helpers import app_db
from tests.helpers import at
from tests.helpers import client_for
from tests.helpers import run_jobs
from tests.helpers import send_form


@pytest.fixture
def book(app, tmp_path, make_user, make_thread, facilitator, uploads):  # noqa: F811
    """Practices in Purwakarta (one with two photos, one hidden), one in Banyumas."""
    app.config["COMPILATIONS_DIR"] = str(tmp_path / "compilations")
    asep = make_user("asep_sukatani")
    client = client_for(app, asep)
    files = [
        (photo((600, 400), seed=1), "rak-buku.jpg"),
        (photo((600, 400), seed=2), "rahasia.jpg"),
    ]
    response = send(
        client,
        "/threads/new",
        files,
        page="/threads/new",
        captions=["Rak di pos ronda", "Foto yang disembunyikan"],
        **{**THREAD_FIELDS, "title": "Pojok baca di pos ronda"},
        context="Warga jarang ke perpustakaan. “Kutipan” – 🙂 ✓",
    )
    assert response.status_code == 302
    hidden = make_thread(asep, title="Praktik yang disembunyikan")
    make_thread(
        make_user(regency="banyumas", province="jawa-tengah"), title="Motor pustaka Banyumas"
    )
    with app_db(app) as session:
        session.get(Thread, hidden.id).hidden = True
        secret = session.scalars(
            sa.select(Attachment).where(Attachment.name == "rahasia.jpg")
        ).one()
        secret.hidden = True
        session.commit()
    return client_for(app, facilitator)


def test_only_facilitators_compile(app, make_user, book):
    visitor = client_for(app).get("/practices/compilation?region=")
    assert visitor.status_code == 302 and "/auth/login" in visitor.headers["Location"]
    librarian = client_for(app, make_user())
    assert librarian.get("/practices/compilation?region=").status_code == 403
    assert librarian.get("/practices/compilation?region=&format=pdf").status_code == 403
    assert book.get("/practices/compilation").status_code == 200  # the form


def test_the_html_book_holds_visible_practices_of_the_region_only(book):
    response = book.get("/practices/compilation?region=purwakarta&from=&to=")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Pojok baca di pos ronda" in html and "Warga jarang ke perpustakaan." in html
    assert "Rak di pos ronda" in html and "/thumb" in html  # the photo's thumbnail
    assert "Praktik yang disembunyikan" not in html
    assert "Foto yang disembunyikan" not in html
    assert "Motor pustaka Banyumas" not in html  # another kabupaten
    whole = book.get("/practices/compilation?region=&from=&to=").get_data(as_text=True)
    assert "Motor pustaka Banyumas" in whole and "Praktik yang disembunyikan" not in whole
    province = book.get("/practices/compilation?region=provinsi-jawa-tengah").get_data(as_text=True)
    assert "Motor pustaka Banyumas" in province and "Pojok baca di pos ronda" not in province


def test_the_pdf_opens_with_titles_and_a_photo_and_nothing_hidden(book):
    response = book.get("/practices/compilation?region=&format=pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Pojok baca di pos ronda" in text and "Motor pustaka Banyumas" in text
    assert 'Warga jarang ke perpustakaan. "Kutipan" -' in text  # what the fonts cannot draw
    assert "Praktik yang disembunyikan" not in text
    assert "Foto yang disembunyikan" not in text
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 1  # the visible photo, not the hidden one


def test_only_verified_practices_when_asked(book, app):
    with app_db(app) as session:
        banyumas = session.scalars(sa.select(Thread.id).where(Thread.title.like("Motor%"))).one()
    send_form(book, f"/threads/{banyumas}/verify", {"summary": "Murah dan berhasil."})
    html = book.get("/practices/compilation?verified=1").get_data(as_text=True)
    assert "Motor pustaka Banyumas" in html and "Murah dan berhasil." in html
    assert "Pojok baca di pos ronda" not in html


@pytest.mark.parametrize(
    "query",
    [
        "region=atlantis",
        "region=provinsi-atlantis",
        "from=2026-13-01",
        "from=2026-05-01&to=2026-01-01",
        "format=doc",
    ],
)
def test_malformed_choices_get_400(book, query):
    response = book.get(f"/practices/compilation?{query}")
    assert response.status_code == 400


def test_a_large_book_is_made_in_the_background(app, book, monkeypatch):
    monkeypatch.setitem(compilation.INLINE_MAX_PRACTICES, "pdf", 1)
    response = book.get("/practices/compilation?region=&format=pdf")
    assert response.status_code == 302
    status_url = response.headers["Location"]
    assert "/practices/compilations/" in status_url
    assert run_jobs(app) == 1
    page = book.get(status_url).get_data(as_text=True)
    assert "The book is ready." in page
    download = book.get(status_url + "/download")
    data = download.get_data()
    download.close()  # the file it streamed
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "Pojok baca di pos ronda" in text and "Praktik yang disembunyikan" not in text
    # The same request again is the same file, not a second job.
    assert book.get("/practices/compilation?region=&format=pdf").headers["Location"] == status_url


def test_a_waiting_book_says_so_and_refreshes(app, book, facilitator, make_user):
    with app_db(app) as session:
        row = Compilation(requested_by_id=facilitator.id, params={}, format="html", practices=300)
        session.add(row)
        session.commit()
        url = f"/practices/compilations/{row.id}"
    page = book.get(url).get_data(as_text=True)
    assert 'http-equiv="refresh"' in page and "being prepared" in page
    assert book.get(url + "/download").status_code == 404
    assert client_for(app, make_user()).get(url).status_code == 403
    assert book.get("/practices/compilations/999999").status_code == 404


def test_a_background_html_book_stands_alone(app, book, monkeypatch):
    monkeypatch.setitem(compilation.INLINE_MAX_PHOTOS, "html", 0)  # one photo is too many
    status_url = book.get("/practices/compilation?region=").headers["Location"]
    assert run_jobs(app) == 1
    download = book.get(status_url + "/download")
    html = download.get_data(as_text=True)
    download.close()
    assert "<style>" in html and "data:image/webp;base64," in html
    assert "Pojok baca di pos ronda" in html and "Foto yang disembunyikan" not in html


def test_the_book_tells_which_libraries_tried_a_practice(app, make_user, book):
    with app_db(app) as session:
        practice = session.scalars(sa.select(Thread.id).where(Thread.title.like("Pojok%"))).one()
    sri = client_for(
        app,
        make_user(
            "sri_kalisalak",
            library="Perpustakaan Desa Kalisalak",
            regency="banyumas",
            province="jawa-tengah",
            email_confirmed_at=at("2026-01-01T00:00:00"),
        ),
    )
    tried = {"started_on": "2026-02-01", "adapted": "Rak di gardu", "participants": "30"}
    response = send_form(
        sri,
        f"/threads/{practice}/adoptions",
        {**tried, "status": "running", "result": "Peminjaman naik dua kali"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    yanti = client_for(
        app,
        make_user(
            "yanti",
            library="Perpustakaan Desa Wanayasa",
            email_confirmed_at=at("2026-01-01T00:00:00"),
        ),
    )
    send_form(
        yanti,
        f"/threads/{practice}/adoptions",
        {**tried, "status": "trying", "result": "Cerita yang disembunyikan"},
    )
    with app_db(app) as session:
        story = session.scalars(
            sa.select(Adoption).join(Adoption.library).where(Library.name.like("%Wanayasa"))
        ).one()
        assert story.post is not None
        story.post.hidden = True  # a facilitator hid the story: its adoption goes with it
        session.commit()
    html = book.get("/practices/compilation?region=purwakarta").get_data(as_text=True)
    assert "Perpustakaan Desa Kalisalak" in html and "Peminjaman naik dua kali" in html
    assert "Cerita yang disembunyikan" not in html and "Wanayasa" not in html
    pdf = book.get("/practices/compilation?region=purwakarta&format=pdf").data
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Perpustakaan Desa Kalisalak" in text and "Peminjaman naik dua kali" in text
    assert "Cerita yang disembunyikan" not in text


def pdf_text_of(response) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def test_the_pdf_dates_a_practice_as_the_page_does_in_local_time(app, book):
    """Posted at 20:00 UTC on 31 March is 1 April in Jakarta, on the page and in the PDF."""
    with app_db(app) as session:
        practice = session.scalars(sa.select(Thread).where(Thread.title.like("Pojok%"))).one()
        practice.created_at = at("2026-03-31T20:00:00")
        practice_id = practice.id
        session.commit()
    send_form(book, f"/threads/{practice_id}/verify", {"summary": "Murah dan berhasil."})
    html = book.get("/practices/compilation?region=purwakarta").get_data(as_text=True)
    text = pdf_text_of(book.get("/practices/compilation?region=purwakarta&format=pdf"))
    assert "Apr 1, 2026" in html and "Apr 1, 2026" in text
    assert "31-03-2026" not in text
    # The verified mark reads the same in both: who verified it and on which day.
    assert "Verified by Fani Fasilitator on" in html and "Verified by Fani Fasilitator on" in text


def test_the_book_keeps_the_report_order_and_leaves_out_empty_adoption_lists(app, book):
    with app_db(app) as session:
        practice = session.scalars(sa.select(Thread).where(Thread.title.like("Pojok%"))).one()
        practice.participants, practice.tips = 60, "Mulai dari satu pos."
        session.commit()
    html = book.get("/practices/compilation?region=purwakarta").get_data(as_text=True)
    text = pdf_text_of(book.get("/practices/compilation?region=purwakarta&format=pdf"))
    for book_text in (html, text):
        # Participants before tips, as the practice page and the report form have them.
        assert book_text.index("Participants") < book_text.index("Mulai dari satu pos.")
        assert "60" in book_text.split("Participants", 1)[1]
        # Nobody tried it yet: no heading over an empty list.
        assert "Tried in other libraries" not in book_text


def test_a_book_made_in_the_background_is_for_facilitators_of_its_region(
    app, make_user, facilitator, book
):
    with app_db(app) as session:
        row = Compilation(
            requested_by_id=facilitator.id,
            params={"region": "provinsi-jawa-tengah"},
            format="pdf",
            practices=40,
        )
        session.add(row)
        session.commit()
        url = f"/practices/compilations/{row.id}"
    purwakarta = client_for(
        app, make_user("rudi", role="facilitator", library=None, scope=["purwakarta"])
    )
    assert purwakarta.get(url).status_code == 403
    assert purwakarta.get(url + "/download").status_code == 403
    central_java = client_for(
        app, make_user("yani", role="facilitator", library=None, scope=["provinsi-jawa-tengah"])
    )
    assert central_java.get(url).status_code == 200
    assert book.get(url).status_code == 200  # a facilitator for all of Indonesia


def test_the_contents_name_the_kabupaten_only_in_a_book_of_several(book):
    def contents(query):
        html = book.get(f"/practices/compilation?{query}").get_data(as_text=True)
        return html.split('id="contents-heading"', 1)[1].split("</nav>", 1)[0]

    assert "Purwakarta" not in contents("region=purwakarta")  # the cover says it once
    whole = contents("region=")
    assert "Purwakarta" in whole and "Banyumas" in whole
