"""What an attachment may be (附件): scanned letters (PDF, JPEG, PNG, TIFF), photos (JPEG, PNG, HEIC,
WebP) and Word or Excel files (.docx/.xlsx, and the older .doc/.xls that WPS also writes).

The type is read from the file's first bytes (and, for Office files, from the names inside it),
never from the file name a browser sends: a program renamed to "letter.pdf" is refused. The size
limit is `settings.ATTACHMENT_MAX_BYTES` (default 20 MB per file). Nothing here writes anything:
`attachment_check` reads the file once (type, size, SHA-256) and says what it is or why not.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO, Protocol

from django.conf import settings
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MAX_FILES = 20  # files in one registration or one upload
NAME_MAX = 120  # characters of the name shown and offered on download


class Upload(Protocol):
    """What Django's UploadedFile offers (and what a test's SimpleUploadedFile offers too)."""

    name: str | None
    size: int | None

    def chunks(self, chunk_size: int | None = ...): ...
    def seek(self, pos: int, whence: int = ...) -> int: ...
    def read(self, size: int = ...) -> bytes: ...


@dataclass(frozen=True)
class FileType:
    key: str
    content_type: str
    extensions: tuple[str, ...]  # the first one is used when the name's own does not fit


PDF = FileType("pdf", "application/pdf", (".pdf",))
JPEG = FileType("jpeg", "image/jpeg", (".jpg", ".jpeg", ".jpe"))
PNG = FileType("png", "image/png", (".png",))
TIFF = FileType("tiff", "image/tiff", (".tif", ".tiff"))
WEBP = FileType("webp", "image/webp", (".webp",))
HEIC = FileType("heic", "image/heic", (".heic", ".heif"))
DOCX = FileType("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",))
XLSX = FileType("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",))
DOC = FileType("doc", "application/msword", (".doc", ".wps"))
XLS = FileType("xls", "application/vnd.ms-excel", (".xls", ".et"))
TYPES = (PDF, JPEG, PNG, TIFF, WEBP, HEIC, DOCX, XLSX, DOC, XLS)
ACCEPT = ",".join(ext for t in TYPES for ext in t.extensions)  # a hint for the browser's file picker only

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
ALLOWED_TEXT = _("PDF, JPEG, PNG, TIFF, WebP and HEIC images, Word and Excel files")


class AttachmentRefused(ValueError):
    """A file that may not be attached; the message names the file and says why (in the active language)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(gettext_now("Attachment “%(name)s” %(reason)s") % {"name": name, "reason": reason})
        self.name, self.reason = name, reason


@dataclass(frozen=True)
class CheckedFile:
    name: str  # the safe name to show and to offer on download
    type: FileType
    size: int
    sha256: str


def max_bytes() -> int:
    return int(getattr(settings, "ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def size_text(n: int) -> str:
    """1536 → "1.5 KB", 20971520 → "20 MB" (how the size limit and a file's size are shown)."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= factor:
            value = n / factor
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} 字节"


def _office_type(f: IO[bytes]) -> FileType | None:
    """A .docx or .xlsx by the parts inside the ZIP container; None for any other ZIP
    (an archive could carry anything) and for Office files with macros (vbaProject.bin)."""
    f.seek(0)
    try:
        with zipfile.ZipFile(f) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    if "[Content_Types].xml" not in names or any(n.lower().endswith("vbaproject.bin") for n in names):
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def _ole_type(f: IO[bytes]) -> FileType | None:
    """An old Word (.doc, WPS .wps) or Excel (.xls, WPS .et) file by the name of its main stream,
    stored in UTF-16 in the compound file's directory; None for other compound files (installers)."""
    word, book, book5 = (
        "WordDocument".encode("utf-16-le"),
        "Workbook".encode("utf-16-le"),
        "Book".encode("utf-16-le") + b"\x00\x00",
    )
    f.seek(0)
    tail = b""
    while chunk := f.read(1024 * 1024):
        window = tail + chunk
        if word in window:
            return DOC
        if book in window or book5 in window:
            return XLS
        tail = window[-32:]
    return None


def sniff(f: IO[bytes]) -> FileType | None:
    """The type of `f` from its content, or None when it is none of TYPES."""
    f.seek(0)
    head = f.read(64)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return HEIC
    if head.startswith(b"PK\x03\x04"):
        return _office_type(f)
    if head.startswith(OLE2):
        return _ole_type(f)
    return None


_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


def safe_name(raw: str | None, file_type: FileType) -> str:
    """The name to show: no folders, no control or reserved characters, at most NAME_MAX characters,
    and an extension that fits the content (a JPEG sent as "photo.exe" is kept as "photo.exe.jpg")."""
    name = unicodedata.normalize("NFC", os.path.basename((raw or "").replace("\\", "/")))
    name = _UNSAFE.sub("_", name).strip(" .") or "附件"
    stem, ext = os.path.splitext(name)
    if ext.lower() not in file_type.extensions:
        stem, ext = name, file_type.extensions[0]
    stem = stem[: NAME_MAX - len(ext)].rstrip(" .") or "附件"
    return stem + ext.lower()


def storage_name(petition_id: int, token: str, checked: CheckedFile) -> str:
    """Where the file is kept under MEDIA_ROOT: petitions/<id>/<random token>_<ASCII stem>.<ext>.
    The random token makes it unique and unguessable; the readable name stays in the database."""
    stem, ext = os.path.splitext(checked.name)
    ascii_stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-")[:40]
    return f"petitions/{petition_id}/{token}{'_' + ascii_stem if ascii_stem else ''}{ext}"


def attachment_check(upload: Upload) -> CheckedFile:
    """What `upload` is (type, safe name, size, SHA-256), or AttachmentRefused saying why not."""
    shown = os.path.basename((upload.name or "").replace("\\", "/")) or "（无名文件）"
    limit = max_bytes()
    size = upload.size or 0
    if size > limit:
        raise AttachmentRefused(
            shown,
            gettext_now("is %(size)s, over the limit of %(limit)s a file: compress it or scan it in parts.")
            % {"size": size_text(size), "limit": size_text(limit)},
        )
    if size == 0:
        raise AttachmentRefused(shown, gettext_now("is an empty file: choose it again."))
    file_type = sniff(upload)  # type: ignore[arg-type]
    if file_type is None:
        raise AttachmentRefused(
            shown,
            gettext_now(
                "is not a type of file that is accepted. Only %(allowed)s are accepted; the type is read from "
                "the file's content, not from its extension."
            )
            % {"allowed": ALLOWED_TEXT},
        )
    digest = hashlib.sha256()
    upload.seek(0)
    read = 0
    for chunk in upload.chunks():
        digest.update(chunk)
        read += len(chunk)
    upload.seek(0)
    if read > limit:  # a client that sent a false size
        raise AttachmentRefused(
            shown, gettext_now("is over the limit of %(limit)s a file.") % {"limit": size_text(limit)}
        )
    return CheckedFile(name=safe_name(upload.name, file_type), type=file_type, size=read, sha256=digest.hexdigest())
