"""crawler.attachments: 附件 links and PDF/DOCX text, on fixtures made in the test."""

from __future__ import annotations

import io

import pytest
from lxml import html

from crawler.attachments import Attachment, extract_document_text, find_attachments

PAGE = """<html><head><base href="http://jy.example.gov.cn/xxgk/202202/"></head><body>
<div class="TRS_Editor"><p>正文。</p></div>
<p>附件：</p>
<a href="./P020220225521234.pdf">附件：滨海新区2022年教育体育工作要点.pdf</a>
<a href="/uploads/rwfjb.docx">任务分解表.docx</a>
<a href="mx.xlsx"></a>
<a href="http://jy.example.gov.cn/uploads/a.WPS?v=2">招生简章</a>
<a href="./P020220225521234.pdf">重复链接</a>
<a href="/xxgk/index.html">政务公开</a>
<a href="javascript:void(0)">打印</a>
</body></html>"""


def test_find_attachments_names_and_absolute_urls() -> None:
    tree = html.document_fromstring(PAGE)
    found = find_attachments(tree, "http://jy.example.gov.cn/xxgk/202202/t20220225_1.html")
    assert found == (
        Attachment(
            "滨海新区2022年教育体育工作要点.pdf",
            "http://jy.example.gov.cn/xxgk/202202/P020220225521234.pdf",
        ),
        Attachment("任务分解表.docx", "http://jy.example.gov.cn/uploads/rwfjb.docx"),
        Attachment("mx.xlsx", "http://jy.example.gov.cn/xxgk/202202/mx.xlsx"),
        Attachment("招生简章", "http://jy.example.gov.cn/uploads/a.WPS?v=2"),
    )


def _docx() -> bytes:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph("滨海新区2022年教育体育工作要点")
    document.add_paragraph("一、加强党对教育工作的全面领导")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "序号", "学校名称"
    table.cell(1, 0).text, table.cell(1, 1).text = "1", "塘沽第一中学"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _pdf(text: str) -> bytes:
    """A one-page PDF written by hand: catalog, pages, page, Helvetica, content stream."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_docx_text_paragraphs_and_tables() -> None:
    text = extract_document_text(_docx(), "http://x.gov.cn/a.docx", None)
    assert text.split("\n") == [
        "滨海新区2022年教育体育工作要点",
        "一、加强党对教育工作的全面领导",
        "序号 学校名称",
        "1 塘沽第一中学",
    ]


def test_pdf_text() -> None:
    text = extract_document_text(_pdf("Notice No. 12 of 2022"), "http://x.gov.cn/a", None)
    assert text == "Notice No. 12 of 2022"


def test_pdf_is_recognised_by_magic_bytes_despite_a_wrong_type() -> None:
    body = _pdf("Plan")
    assert extract_document_text(body, "http://x.gov.cn/a.doc", "application/msword") == "Plan"


def test_unsupported_type_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unsupported attachment type"):
        extract_document_text(
            b"\xd0\xcf\x11\xe0old-doc", "http://x.gov.cn/a.xls", "application/vnd.ms-excel"
        )


def test_damaged_pdf_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="cannot read pdf"):
        extract_document_text(b"%PDF-1.4\ngarbage", "http://x.gov.cn/a.pdf", "application/pdf")
