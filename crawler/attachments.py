"""Attachment stage: find the 附件 links of a policy page and read PDF/DOCX text.

A policy often lives in its attachments (the 实施方案 as a PDF, the 名单 as XLSX), so the
links are listed with their shown names and absolute URLs, and the text of PDF and DOCX
files is extracted with pypdf and python-docx (imported lazily: most pages have none).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

from lxml import html as lxml_html

from seeds.source import ATTACHMENT_SUFFIXES

__all__ = [
    "DOCUMENT_SUFFIXES",
    "Attachment",
    "AttachmentTooLarge",
    "extract_document_text",
    "find_attachments",
]


@dataclass(frozen=True, slots=True)
class Attachment:
    """One attachment link: the name the page shows and the absolute URL."""

    name: str
    url: str


DOCUMENT_SUFFIXES = ATTACHMENT_SUFFIXES
# The types whose text we read (and so fetch and version); the others are only listed.
EXTRACTABLE_SUFFIXES = (".pdf", ".docx")
_SUFFIX = re.compile(r"\.(" + "|".join(DOCUMENT_SUFFIXES) + r")(?:$|[?#])", re.I)
# "附件：" / "附件1：" before the name is a label, not part of the name.
_LABEL = re.compile(r"^(?:附件|附 件|相关附件|附件下载)\s*[:：]\s*")
_WS = re.compile(r"\s+")


def _base_url(tree: lxml_html.HtmlElement, url: str | None) -> str:
    base = tree.find(".//base[@href]")
    href = base.get("href", "") if base is not None else ""
    return urljoin(url or "", href) if href else (url or "")


def find_attachments(tree: lxml_html.HtmlElement, url: str | None) -> tuple[Attachment, ...]:
    """Links to document files, named as shown on the page, deduplicated by URL."""
    base = _base_url(tree, url)
    seen: dict[str, Attachment] = {}
    for link in tree.iter("a"):
        href = (link.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:")):
            continue
        if not _SUFFIX.search(href):
            continue  # cheap first look: a path ending in a document suffix is in the href
        absolute = urljoin(base, href)
        if not _SUFFIX.search(urlsplit(absolute).path + ("?" if "?" in absolute else "")):
            continue
        name = _LABEL.sub("", _WS.sub(" ", link.text_content()).strip())
        if not name:
            name = unquote(urlsplit(absolute).path.rsplit("/", 1)[-1])
        if absolute not in seen:
            seen[absolute] = Attachment(name=name, url=absolute)
    return tuple(seen.values())


def _kind(body: bytes, url: str, content_type: str | None) -> str | None:
    """Document kind from magic bytes first (servers mislabel), then type, then suffix."""
    if body.startswith(b"%PDF"):
        return "pdf"
    ctype = (content_type or "").lower()
    suffix = urlsplit(url).path.rsplit(".", 1)[-1].lower()
    if body.startswith(b"PK") and ("wordprocessingml" in ctype or suffix == "docx"):
        return "docx"
    if "pdf" in ctype:
        return "pdf"
    return None


class AttachmentTooLarge(ValueError):
    """An attachment would make us do more than its bounds allow (a bomb or amplification)."""


# Bounds on what one attachment may make us do. A real 实施方案 PDF has tens of pages and
# kilobytes of drawing per page; a 名单 DOCX a few megabytes of XML. The compressed size is
# bounded by max_page_bytes already: these bound what it unpacks to.
MAX_PDF_PAGES = 2000
# pypdf reads drawing at about 0.1-1 MB/s: these keep one file to seconds, not minutes.
MAX_PDF_PAGE_CONTENT = 1_000_000  # decoded content-stream bytes of one page
MAX_PDF_CONTENT = 8_000_000  # over all pages (a stream shared by pages counts each time)
MAX_TEXT_CHARS = 2_000_000  # extracted text of one attachment
# pypdf spends about 25 us on each string a page shows (Tj, TJ, ', "): a page that shows
# 56,000 strings cost 1.7 s. Counted on the decoded stream before it is parsed (a real page
# shows hundreds to a few thousand; 100,000 is a 100-page file set one glyph at a time).
# Over all pages (a stream shared by pages counts each time).
MAX_PDF_SHOWN_STRINGS = 100_000
_SHOW_TEXT = re.compile(rb"(?:Tj|TJ|'|\")(?=[\s\[\]()<>/%]|$)")
MAX_DOCX_UNPACKED = 64_000_000  # declared uncompressed size of all zip members
MAX_DOCX_MEMBERS = 2000


def _content_size(page) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Decoded content-stream bytes of a page and about how many strings it shows (a "(" or
    "Tj" inside a string counts too, which only errs towards the bound)."""
    contents = page.get("/Contents")
    if contents is None:
        return 0, 0
    contents = contents.get_object()
    streams = contents if isinstance(contents, list) else [contents]
    size = shows = 0
    for stream in streams:
        data = stream.get_object().get_data()
        size += len(data)
        # A TJ array shows many strings with one operator: each string costs, so count those.
        shows += max(len(_SHOW_TEXT.findall(data)), data.count(b"("))
    return size, shows


def _pdf_text(body: bytes) -> str:
    from pypdf import PdfReader  # lazy: only attachment fetches pay for the import

    reader = PdfReader(io.BytesIO(body))
    if len(reader.pages) > MAX_PDF_PAGES:
        raise AttachmentTooLarge(f"{len(reader.pages)} pages (the bound is {MAX_PDF_PAGES})")
    lines: list[str] = []
    chars = content = shown = 0
    for number, page in enumerate(reader.pages, 1):
        # Checked before extract_text, which parses the whole stream: a page that shares a
        # 70 MB stream with 3,000 others must cost one look at its size, not a minute.
        size, shows = _content_size(page)
        content += size
        shown += shows
        if size > MAX_PDF_PAGE_CONTENT or content > MAX_PDF_CONTENT:
            raise AttachmentTooLarge(
                f"page {number}: {size} bytes of drawing, {content} so far (the bounds are "
                f"{MAX_PDF_PAGE_CONTENT} per page, {MAX_PDF_CONTENT} per file)"
            )
        if shown > MAX_PDF_SHOWN_STRINGS:
            raise AttachmentTooLarge(
                f"page {number}: {shown} strings shown so far (the bound is "
                f"{MAX_PDF_SHOWN_STRINGS} per file)"
            )
        for ln in (page.extract_text() or "").splitlines():
            if ln.strip():
                lines.append(ln.strip())
                chars += len(ln)
        if chars > MAX_TEXT_CHARS:
            raise AttachmentTooLarge(f"more than {MAX_TEXT_CHARS} characters of text")
    return "\n".join(lines)


def _check_zip(body: bytes) -> None:
    """Refuse a zip whose members unpack beyond the bounds (sizes from the directory: zipfile
    never inflates a member past its declared size, so they cannot lie upwards)."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(body)) as z:
        members = z.infolist()
        if len(members) > MAX_DOCX_MEMBERS:
            raise AttachmentTooLarge(
                f"{len(members)} zip members (the bound is {MAX_DOCX_MEMBERS})"
            )
        unpacked = sum(m.file_size for m in members)
        if unpacked > MAX_DOCX_UNPACKED:
            raise AttachmentTooLarge(
                f"unpacks to {unpacked} bytes (the bound is {MAX_DOCX_UNPACKED}; a zip bomb?)"
            )


def _docx_text(body: bytes) -> str:
    import docx  # lazy: python-docx

    _check_zip(body)
    document = docx.Document(io.BytesIO(body))
    lines = [p.text.strip() for p in document.paragraphs]
    for table in document.tables:  # 名单/一览表 attachments are mostly tables
        for row in table.rows:
            lines.append(" ".join(c.text.strip() for c in row.cells if c.text.strip()))
    return "\n".join(ln for ln in lines if ln)


def extract_document_text(body: bytes, url: str, content_type: str | None = None) -> str:
    """Text of a PDF or DOCX attachment, one paragraph per line; ValueError for other kinds."""
    kind = _kind(body, url, content_type)
    try:
        if kind == "pdf":
            text = _pdf_text(body)
        elif kind == "docx":
            text = _docx_text(body)
        else:
            text = None
    except AttachmentTooLarge as exc:
        raise AttachmentTooLarge(f"{url}: {kind} attachment over its bounds: {exc}") from None
    except (Exception, MemoryError, RecursionError) as exc:  # pypdf/python-docx raise many types
        reason = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise ValueError(f"{url}: cannot read {kind} attachment: {reason}") from None
    if text is not None:
        if len(text) > MAX_TEXT_CHARS:
            raise AttachmentTooLarge(
                f"{url}: {kind} attachment over its bounds: more than {MAX_TEXT_CHARS} characters"
            )
        return text
    raise ValueError(
        f"{url}: unsupported attachment type {content_type or 'unknown'!s} (PDF and DOCX text only)"
    )
