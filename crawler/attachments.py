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

__all__ = ["DOCUMENT_SUFFIXES", "Attachment", "extract_document_text", "find_attachments"]


@dataclass(frozen=True, slots=True)
class Attachment:
    """One attachment link: the name the page shows and the absolute URL."""

    name: str
    url: str


# File types bureaus attach: Office and WPS documents, spreadsheets, PDF/OFD, archives.
DOCUMENT_SUFFIXES = ("pdf", "doc", "docx", "xls", "xlsx", "wps", "et", "ofd", "zip", "rar")
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


def _pdf_text(body: bytes) -> str:
    from pypdf import PdfReader  # lazy: only attachment fetches pay for the import

    reader = PdfReader(io.BytesIO(body))
    pages = (page.extract_text() or "" for page in reader.pages)
    return "\n".join(ln.strip() for page in pages for ln in page.splitlines() if ln.strip())


def _docx_text(body: bytes) -> str:
    import docx  # lazy: python-docx

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
            return _pdf_text(body)
        if kind == "docx":
            return _docx_text(body)
    except Exception as exc:  # pypdf/python-docx raise many types on a damaged file
        raise ValueError(f"{url}: cannot read {kind} attachment: {exc}") from exc
    raise ValueError(
        f"{url}: unsupported attachment type {content_type or 'unknown'!s} (PDF and DOCX text only)"
    )
