"""Hostile attachments built by hand, byte by byte (tests only): no generator library needed.

* :func:`pdf` writes a PDF whose pages may share one content stream (amplification: a small
  file that makes every page cost the whole stream) and whose font may carry a ToUnicode map
  (a map to a lone surrogate, which no database driver can encode).
* :func:`docx_bomb` writes a .docx whose ``word/document.xml`` inflates to ``size`` bytes
  from a few megabytes of deflate (a zip bomb), streamed, so the test itself stays small.
"""

from __future__ import annotations

import io
import zipfile
import zlib

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
_DOC_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats'
    '.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>'
)
_DOC_TAIL = "</w:t></w:r></w:p></w:body></w:document>"


def pdf(
    pages: int = 1, text: str = "Notice", repeat: int = 1, to_unicode: str | None = None
) -> bytes:
    """A PDF of ``pages`` pages that all draw one content stream showing ``text`` ``repeat``
    times; with ``to_unicode`` (hex UTF-16 code unit, e.g. "D800") the font maps code 0x41
    to it, and ``text`` should contain "A"."""
    stream = zlib.compress(
        b"BT /F1 12 Tf 72 720 Td "
        + b" ".join([b"(%s) Tj" % text.encode("latin-1")] * repeat)
        + b" ET",
        9,
    )
    first_page = 6
    kids = " ".join(f"{first_page + i} 0 R" for i in range(pages))
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        font + (b" /ToUnicode 5 0 R >>" if to_unicode else b" >>"),
    ]
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /X def "
        "1 begincodespacerange <00> <FF> endcodespacerange "
        f"1 beginbfchar <41> <{to_unicode or '0041'}> endbfchar endcmap "
        "CMapName currentdict /CMap defineresource pop end end"
    ).encode()
    objects.append(b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream")
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
        b"/Resources << /Font << /F1 4 0 R >> >> >>"
    )
    objects.extend([page] * pages)
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


def docx_bomb(size: int = 2 * 1024**3) -> bytes:
    """A .docx whose document.xml is ``size`` bytes of one paragraph of "a" (deflated)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        info = zipfile.ZipInfo("word/document.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as f:
            f.write(_DOC_HEAD.encode())
            chunk = b"a" * (1 << 20)
            body = size - len(_DOC_HEAD) - len(_DOC_TAIL)
            for _ in range(body // len(chunk)):
                f.write(chunk)
            f.write(b"a" * (body % len(chunk)))
            f.write(_DOC_TAIL.encode())
    return out.getvalue()
