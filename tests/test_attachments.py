"""Photos and documents on posts: checked by content, re-encoded, served with permission checks."""

# The fixtures `client` and `uploads` come from tests/attachment_helpers.py, by import.
# ruff: noqa: F811

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from forum.attachments.models import Attachment
from forum.models import Post
from forum.models import Thread
from forum.moderation.models import ModerationAction
from tests.attachment_helpers import attachments_of
from tests.attachment_helpers import client  # noqa: F401 - the English-reading browser
from tests.attachment_helpers import new_thread_with
from tests.attachment_helpers import send
from tests.attachment_helpers import stored_files
from tests.attachment_helpers import uploads  # noqa: F401 - this test's uploads folder
from tests.attachment_samples import HTML_PAGE
from tests.attachment_samples import LINUX_ELF
from tests.attachment_samples import SVG_WITH_SCRIPT
from tests.attachment_samples import WINDOWS_EXE
from tests.attachment_samples import docm
from tests.attachment_samples import docx
from tests.attachment_samples import odt
from tests.attachment_samples import pdf
from tests.attachment_samples import photo
from tests.attachment_samples import plain_zip
from tests.attachment_samples import png_bomb
from tests.attachment_samples import zip_bomb
from tests.helpers import app_db
from tests.helpers import count_rows
from tests.helpers import login_as
from tests.helpers import main_text
from tests.helpers import post_form


def open_image(path: Path) -> Image.Image:
    return Image.open(io.BytesIO(path.read_bytes()))


def fetch(client, url):
    """GET and close (a served file is a stream that must be closed)."""
    with client.get(url) as response:
        response.get_data()
        return response


def test_a_photo_is_reoriented_resized_and_stripped_of_gps(app, client, make_user, uploads):
    login_as(client, make_user())
    # Orientation 6: the camera held sideways; the stored photo must stand upright.
    original = photo((3000, 2000), orientation=6)
    response = new_thread_with(
        client, [(original, "IMG_2024 pojok baca.JPG")], captions=["Anak-anak membaca"]
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    (attachment,) = attachments_of(app)
    assert (attachment.kind, attachment.content_type) == ("image", "image/jpeg")
    assert attachment.name == "IMG_2024 pojok baca.jpg"
    assert (attachment.width, attachment.height) == (1067, 1600)  # upright, long side 1600
    assert max(attachment.thumb_width, attachment.thumb_height) == 400
    stored = open_image(uploads / attachment.storage_key)
    assert stored.size == (1067, 1600)
    assert not stored.getexif() and "icc_profile" not in stored.info
    raw = (uploads / attachment.storage_key).read_bytes()
    assert b"KameraHP" not in raw and b"Exif" not in raw
    thumb = open_image(uploads / attachment.thumb_key)
    assert thumb.format == "WEBP" and thumb.size == (267, 400)
    assert len(stored_files(uploads)) == 2  # the photo and its thumbnail, nothing else


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (WINDOWS_EXE, "foto.jpg", "Programs and scripts cannot be attached"),
        (LINUX_ELF, "laporan.pdf", "Programs and scripts cannot be attached"),
        (SVG_WITH_SCRIPT, "logo.svg", "SVG images and web pages cannot be attached"),
        (SVG_WITH_SCRIPT, "logo.png", "SVG images and web pages cannot be attached"),
        (HTML_PAGE, "halaman.pdf", "SVG images and web pages cannot be attached"),
        (b"%PDF-1.4\nthis is not a pdf at all", "laporan.pdf", "This PDF is damaged"),
        (pdf() + plain_zip(), "laporan.pdf", "This PDF also contains an archive"),
        (b"\xff\xd8\xff\xe0" + bytes(200), "foto.jpg", "This image is damaged"),
        (plain_zip(), "foto.zip", "Archives cannot be attached"),
        (docm(), "rencana.docx", "Documents with macros cannot be attached"),
        (zip_bomb(), "rencana.docx", "unpacks to far more than its size"),
        (png_bomb(), "peta.png", "This image has far too many pixels"),
        (b"daftar hadir peserta\n", "daftar.txt", "This kind of file is not accepted"),
    ],
    ids=[
        "windows-exe-as-jpg",
        "elf-as-pdf",
        "svg-with-script",
        "svg-renamed-png",
        "html-as-pdf",
        "fake-pdf",
        "pdf-zip-polyglot",
        "truncated-jpeg",
        "zip",
        "macro-docm-as-docx",
        "zip-bomb",
        "decompression-bomb",
        "text",
    ],
)
def test_a_refused_file_is_a_form_error_and_nothing_is_kept(
    app, client, make_user, uploads, content, name, message
):
    login_as(client, make_user())
    response = new_thread_with(client, [(photo((800, 600)), "baik.jpg"), (content, name)])
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert "Pojok baca di balai desa" in html and "Kami membuka pojok baca" in html  # text kept
    assert count_rows(app, Thread) == 0 and count_rows(app, Attachment) == 0
    assert stored_files(uploads) == []


def test_a_jpeg_zip_polyglot_is_stored_as_a_clean_photo(app, client, make_user, uploads):
    login_as(client, make_user())
    polyglot = photo((640, 480)) + plain_zip()
    assert new_thread_with(client, [(polyglot, "foto.jpg")]).status_code == 302
    (attachment,) = attachments_of(app)
    stored = (uploads / attachment.storage_key).read_bytes()
    assert b"PK\x03\x04" not in stored and b"catatan.txt" not in stored
    assert Image.open(io.BytesIO(stored)).size == (640, 480)


@pytest.mark.parametrize(
    ("content", "name", "stored_name", "content_type", "disposition"),
    [
        (pdf(), "Laporan Kegiatan.pdf", "Laporan Kegiatan.pdf", "application/pdf", "inline"),
        (
            docx(),
            "../../etc/rencana.docx",
            "rencana.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "attachment",
        ),
        (
            odt(),
            "notulen rapat.odt",
            "notulen rapat.odt",
            "application/vnd.oasis.opendocument.text",
            "attachment",
        ),
        (
            photo((500, 400), fmt="PNG", mode="RGBA"),
            "peta desa.png",
            "peta desa.png",
            "image/png",
            "inline",
        ),
        (photo((500, 400), fmt="WEBP"), "kegiatan.webp", "kegiatan.webp", "image/webp", "inline"),
        (
            photo((500, 400)),
            "foto.png",
            "foto.jpg",
            "image/jpeg",
            "inline",
        ),  # the name follows the content
    ],
    ids=["pdf", "docx-with-path", "odt", "png-with-alpha", "webp", "jpeg-named-png"],
)
def test_accepted_files_are_served_with_safe_headers(
    app, client, make_user, uploads, content, name, stored_name, content_type, disposition
):
    login_as(client, make_user())
    assert new_thread_with(client, [(content, name)]).status_code == 302
    (attachment,) = attachments_of(app)
    assert attachment.name == stored_name
    thread_id = count_rows(app, Thread) and attachment.post_id
    response = fetch(client, f"/attachments/{attachment.id}/{attachment.name}")
    assert response.status_code == 200
    assert response.mimetype == content_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith(disposition + ";")
    assert "private" in response.headers["Cache-Control"]
    assert thread_id
    if content_type.startswith("application/vnd"):
        assert response.data == content  # documents are kept byte for byte
    assert not any(part in str(uploads / attachment.storage_key) for part in ("..", "etc"))


def test_a_pdf_gets_a_page_one_preview_and_its_text_is_searchable(app, client, make_user, uploads):
    login_as(client, make_user())
    response = new_thread_with(client, [(pdf("Jadwal dongeng keliling desa"), "jadwal.pdf")])
    assert response.status_code == 302
    (attachment,) = attachments_of(app)
    assert attachment.thumb_key and "dongeng keliling" in attachment.text
    html = client.get(response.location).get_data(as_text=True)
    assert f'src="/attachments/{attachment.id}/thumb"' in html
    assert "jadwal.pdf" in html and "PDF" in html
    thumb = fetch(client, f"/attachments/{attachment.id}/thumb")
    assert thumb.mimetype == "image/webp"
    assert "immutable" in thumb.headers["Cache-Control"]
    assert "max-age=2592000" in thumb.headers["Cache-Control"]
    results = client.get("/search?q=keliling").get_data(as_text=True)
    assert "Pojok baca di balai desa" in results


def test_captions_and_file_names_are_searchable(app, client, make_user, uploads):
    login_as(client, make_user())
    files = [(photo((300, 200)), "perpustakaan-keliling.jpg"), (docx(), "anggaran.docx")]
    assert (
        new_thread_with(client, files, captions=["Motor pustaka di Cibogo", ""]).status_code == 302
    )
    for query in ("Cibogo", "anggaran", "keliling"):
        assert "Pojok baca di balai desa" in client.get(f"/search?q={query}").get_data(as_text=True)


def test_the_thread_page_shows_lazy_thumbnails_with_alt_text(app, client, make_user, uploads):
    login_as(client, make_user())
    files = [(photo((1200, 900), seed=n), f"foto{n}.jpg") for n in range(2)] + [
        (docx(), "rencana.docx")
    ]
    response = new_thread_with(client, files, captions=["Anak-anak membaca", "", ""])
    html = main_text(client.get(response.location))
    images = re.findall(r"<img [^>]*>", html)
    assert len(images) == 2
    for tag in images:
        assert 'loading="lazy"' in tag and 'width="400"' in tag and 'height="300"' in tag
    assert 'alt="Anak-anak membaca"' in images[0]
    assert 'alt="Foto: foto1.jpg"' in images[1] or 'alt="Photo: foto1.jpg"' in images[1]
    assert "rencana.docx" in html and "Word" in html


def test_a_too_large_file_is_a_form_error_with_the_text_kept(app, client, make_user, uploads):
    app.config["ATTACHMENT_MAX_FILE_BYTES"] = 50_000
    login_as(client, make_user())
    response = new_thread_with(client, [(photo((1600, 1200)), "besar.jpg")])
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "larger than" in html and "Kami membuka pojok baca" in html
    assert count_rows(app, Thread) == 0 and stored_files(uploads) == []


def test_too_many_bytes_in_one_post_is_refused(app, client, make_user, uploads):
    files = [(photo((1600, 1200), seed=n), f"f{n}.jpg") for n in range(2)]
    app.config["ATTACHMENT_MAX_POST_BYTES"] = len(files[0][0]) + 1  # room for one of them
    login_as(client, make_user())
    response = new_thread_with(client, files)
    assert response.status_code == 400
    assert "Together the files are larger than" in response.get_data(as_text=True)
    assert stored_files(uploads) == []


def test_a_body_over_max_content_length_is_a_413_page(app, client, make_user, uploads):
    app.config["MAX_CONTENT_LENGTH"] = 100_000
    login_as(client, make_user())
    response = new_thread_with(client, [(photo((1600, 1200)), "besar.jpg")])
    assert response.status_code == 413
    assert count_rows(app, Thread) == 0 and stored_files(uploads) == []


def test_a_reply_with_files_and_a_refused_reply_leaves_nothing(
    app, client, make_user, make_thread, uploads
):
    thread = make_thread()
    login_as(client, make_user())
    page = f"/threads/{thread.id}"
    refused = send(
        client, f"{page}/replies", [(WINDOWS_EXE, "setup.jpg")], page=page, body="Ini fotonya"
    )
    assert refused.status_code == 400
    assert "Programs and scripts" in refused.get_data(as_text=True)
    assert count_rows(app, Post) == 1 and stored_files(uploads) == []
    accepted = send(
        client, f"{page}/replies", [(photo((400, 300)), "a.jpg")], page=page, body="Ini fotonya"
    )
    assert accepted.status_code == 302
    (attachment,) = attachments_of(app)
    assert attachment.post_id != thread.id and len(stored_files(uploads)) == 2


def test_the_seventh_file_on_edit_is_refused_and_its_bytes_removed(app, client, make_user, uploads):
    author = make_user()
    login_as(client, author)
    files = [(photo((200, 150), seed=n), f"f{n}.jpg") for n in range(5)]
    assert new_thread_with(client, files).status_code == 302
    thread_id = attachments_of(app)[0].post.thread_id if False else None
    with app_db(app) as session:
        thread_id = session.scalar(sa.select(Thread.id))
    before = stored_files(uploads)
    edit = f"/threads/{thread_id}/edit"
    more = [(photo((200, 150), seed=9), "g1.jpg"), (photo((200, 150), seed=8), "g2.jpg")]
    # Two empty slots are shown; a hand-made request with two files past the sixth is refused
    # by the service after the files were written: they must be deleted again.
    response = send(
        client, edit, more, page=edit, title="Judul yang baru sekali", body="Isi baru", tags=""
    )
    assert response.status_code == 400
    assert "at most 6 files" in response.get_data(as_text=True)
    assert stored_files(uploads) == before
    assert count_rows(app, Attachment) == 5
    with app_db(app) as session:
        assert session.get(Thread, thread_id).title == "Pojok baca di balai desa"  # rolled back


def test_hidden_posts_and_hidden_files_are_404_for_members_but_not_facilitators(
    app, client, make_user, uploads
):
    author, other = make_user(), make_user()
    facilitator = make_user(role="facilitator")
    login_as(client, author)
    assert (
        new_thread_with(client, [(photo((300, 200)), "a.jpg"), (pdf(), "b.pdf")]).status_code == 302
    )
    photo_row, pdf_row = attachments_of(app)
    photo_url = f"/attachments/{photo_row.id}/{photo_row.name}"
    facilitator_client = app.test_client()
    login_as(facilitator_client, facilitator)
    # Hide one file: logged, gone for members, still there (marked) for facilitators.
    hide = post_form(
        facilitator_client,
        f"/attachments/{photo_row.id}/hide",
        {"reason": "Wajah anak terlihat jelas"},
        page=f"/attachments/{photo_row.id}/hide",
    )
    assert hide.status_code == 302
    member = app.test_client()
    login_as(member, other)
    assert fetch(member, photo_url).status_code == 404
    assert fetch(member, f"/attachments/{photo_row.id}/thumb").status_code == 404
    assert fetch(facilitator_client, photo_url).status_code == 200
    assert fetch(client, photo_url).status_code == 200  # its author sees it, with the reason
    thread_page = member.get(f"/threads/{photo_row_thread(app, photo_row)}").get_data(as_text=True)
    assert f"/attachments/{photo_row.id}/thumb" not in thread_page
    restore = post_form(
        facilitator_client,
        f"/attachments/{photo_row.id}/restore",
        page=f"/threads/{photo_row_thread(app, photo_row)}",
    )
    assert restore.status_code == 302 and fetch(member, photo_url).status_code == 200
    with app_db(app) as session:
        actions = list(
            session.scalars(sa.select(ModerationAction.action).order_by(ModerationAction.id))
        )
    assert actions == ["hide_attachment", "restore_attachment"]
    # Hide the whole post: its files go with it.
    with app_db(app) as session:
        session.get(Thread, photo_row_thread(app, photo_row)).hidden = True
        session.commit()
    pdf_url = f"/attachments/{pdf_row.id}/{pdf_row.name}"
    assert fetch(member, pdf_url).status_code == 404
    assert fetch(app.test_client(), pdf_url).status_code == 404
    assert fetch(facilitator_client, pdf_url).status_code == 200


def photo_row_thread(app, attachment) -> int:
    with app_db(app) as session:
        return session.get(Post, attachment.post_id).thread_id


def test_a_wrong_name_in_the_address_redirects_to_the_real_one(app, client, make_user, uploads):
    login_as(client, make_user())
    new_thread_with(client, [(pdf(), "laporan.pdf")])
    (attachment,) = attachments_of(app)
    response = fetch(app.test_client(), f"/attachments/{attachment.id}/lain.pdf")
    assert response.status_code == 301
    assert response.location.endswith(f"/attachments/{attachment.id}/laporan.pdf")
    assert fetch(app.test_client(), "/attachments/999999/x.pdf").status_code == 404


def test_the_author_removes_a_file_and_its_bytes_go_with_the_commit(
    app, client, make_user, uploads
):
    author = make_user()
    login_as(client, author)
    new_thread_with(client, [(photo((300, 200)), "a.jpg"), (docx(), "rencana.docx")])
    photo_row, doc_row = attachments_of(app)
    thread_id = photo_row_thread(app, photo_row)
    stranger = app.test_client()
    login_as(stranger, make_user())
    refused = post_form(stranger, f"/attachments/{doc_row.id}/delete", page=f"/threads/{thread_id}")
    assert refused.status_code == 403
    edit_page = client.get(f"/threads/{thread_id}/edit").get_data(as_text=True)
    assert f"/attachments/{doc_row.id}/delete" in edit_page
    response = post_form(
        client, f"/attachments/{doc_row.id}/delete", page=f"/threads/{thread_id}/edit"
    )
    assert response.status_code == 302
    assert [a.id for a in attachments_of(app)] == [photo_row.id]
    assert not (uploads / doc_row.storage_key).exists()
    assert (
        "rencana" not in client.get("/search?q=rencana").get_data(as_text=True).split("</form>")[-1]
    )


def test_files_can_be_added_when_editing_a_reply(
    app, client, make_user, make_thread, make_reply, uploads
):
    author = make_user()
    reply = make_reply(make_thread(), author)
    login_as(client, author)
    edit = f"/posts/{reply.id}/edit"
    response = send(client, edit, [(photo((300, 200)), "a.jpg")], page=edit, body="Dengan foto")
    assert response.status_code == 302
    (attachment,) = attachments_of(app)
    assert attachment.post_id == reply.id


def test_purge_and_check_commands(app, client, runner, make_user, uploads):
    from datetime import timedelta

    from forum.models import utcnow

    login_as(client, make_user())
    new_thread_with(client, [(photo((300, 200)), "a.jpg"), (pdf(), "b.pdf")])
    photo_row, pdf_row = attachments_of(app)
    with app_db(app) as session:
        row = session.get(Attachment, photo_row.id)
        row.hidden, row.hidden_at, row.hidden_reason = True, utcnow() - timedelta(days=100), "x"
        session.commit()
    result = runner.invoke(args=["attachments", "check"])
    assert result.exit_code == 0, result.output
    (uploads / pdf_row.storage_key).unlink()  # a lost file
    orphan = uploads / "ab" / ("ab" + "0" * 30 + ".jpg")
    orphan.parent.mkdir(exist_ok=True)
    orphan.write_bytes(b"x")  # a file no row names
    result = runner.invoke(args=["attachments", "check"])
    assert result.exit_code == 1
    assert f"missing file for attachment {pdf_row.id}" in result.output
    assert "orphan file: ab/ab" in result.output
    result = runner.invoke(args=["attachments", "purge"])
    assert "Purged 1 attachment(s)." in result.output
    assert not (uploads / photo_row.storage_key).exists()
    assert [a.id for a in attachments_of(app)] == [pdf_row.id]


def test_purge_removes_the_files_of_withdrawn_posts(app, client, runner, make_user, uploads):
    author = make_user()
    login_as(client, author)
    new_thread_with(client, [(photo((300, 200)), "a.jpg")])
    (row,) = attachments_of(app)
    thread_id = photo_row_thread(app, row)
    with app_db(app) as session:
        opening_id = session.get(Thread, thread_id).posts[0].id
    post_form(client, f"/posts/{opening_id}/withdraw", page=f"/threads/{thread_id}")
    assert "Purged 1 attachment(s)." in runner.invoke(args=["attachments", "purge"]).output
    assert stored_files(uploads) == []


def test_thread_page_queries_do_not_grow_with_attachments(
    app, client, make_user, make_thread, make_reply, uploads, count_queries
):
    author = make_user()
    login_as(client, author)
    response = new_thread_with(client, [(photo((200, 150), seed=n), f"f{n}.jpg") for n in range(3)])
    thread_id = int(response.location.rstrip("/").split("/")[-1])
    plain = make_thread(author)
    for _ in range(3):
        make_reply(plain, author)
        page = f"/threads/{thread_id}"
        send(
            client,
            f"{page}/replies",
            [(photo((200, 150)), "r.jpg")],
            page=page,
            body="Foto balasan",
        )
    client.get(f"/threads/{thread_id}")
    with count_queries() as with_files:
        assert client.get(f"/threads/{thread_id}").status_code == 200
    with count_queries() as without:
        assert client.get(f"/threads/{plain.id}").status_code == 200
    assert len(with_files) == len(without)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # PostgreSQL: pg_dump
def test_a_backup_holds_the_uploaded_files(app, client, runner, make_user, uploads, tmp_path):
    import tarfile

    login_as(client, make_user())
    new_thread_with(client, [(pdf(), "laporan.pdf")])
    (attachment,) = attachments_of(app)
    archive = tmp_path / "cadangan.tar.gz"
    result = runner.invoke(args=["backup", "create", str(archive)])
    assert result.exit_code == 0, result.output
    with tarfile.open(archive) as tar:
        assert f"uploads/{attachment.storage_key}" in tar.getnames()
