"""What a server sends, made storable and showable: no NULs, no lone surrogates, no escapes.

Every string in a capture came from a third party. PostgreSQL text cannot hold NUL, neither
driver can encode a lone surrogate (a PDF ToUnicode map makes them), and a megabyte ETag is
no validator. :func:`storable` fixes a value and says what it did, so the archive can note it.
:func:`for_terminal` strips control sequences from text shown on a terminal (OSC/CSI escapes
in a title would otherwise retitle the window, hide lines or recolour the operator's shell).
"""

from __future__ import annotations

import re

__all__ = [
    "HEADER_LIMIT",
    "INVISIBLE",
    "TerminalSafeStream",
    "for_terminal",
    "storable",
    "strip_invisible",
]

# Longer header values are cut with a marker: no real ETag or Content-Type comes near it,
# and a truncated ETag only costs a 200 where a 304 would have done (versions go by text).
HEADER_LIMIT = 2048
_SURROGATE = re.compile("[\ud800-\udfff]")

# Invisible format characters: zero-width space/joiners, LRM/RLM, bidi embeddings and
# overrides, word joiner and invisible operators, BOM. They change bytes, never wording.
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")

# ESC-introduced sequences (CSI, OSC ended by BEL or ST, other two-byte escapes), then any
# remaining C0/C1 control except newline and tab, DEL included.
_ESCAPE = re.compile(
    r"\x1b\[[0-?]{0,64}[ -/]{0,16}[@-~]?"  # CSI
    r"|\x1b\][^\x07\x1b]{0,4096}(?:\x07|\x1b\\)?"  # OSC
    r"|\x1b[PX^_][^\x1b]{0,4096}(?:\x1b\\)?"  # DCS/SOS/PM/APC
    r"|\x1b.?"
    r"|\x9b[0-?]{0,64}[ -/]{0,16}[@-~]?"  # 8-bit CSI
    r"|\x9d[^\x07\x9c]{0,4096}[\x07\x9c]?"  # 8-bit OSC
)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def storable(value: str, *, limit: int | None = None) -> tuple[str, list[str]]:
    """``value`` with NULs dropped, lone surrogates replaced (U+FFFD) and, when ``limit`` is
    given, cut to it with a marker; plus one note per kind of change made."""
    notes = []
    if "\x00" in value:
        value = value.replace("\x00", "")
        notes.append("NUL removed")
    if _SURROGATE.search(value):
        value = _SURROGATE.sub("\ufffd", value)
        notes.append("lone surrogate replaced")
    if limit is not None and len(value) > limit:
        cut = len(value) - limit
        value = f"{value[:limit]}…[{cut} more characters cut]"
        notes.append(f"{cut} characters cut")
    return value, notes


def strip_invisible(text: str) -> str:
    """``text`` without invisible format characters (see :data:`INVISIBLE`)."""
    return INVISIBLE.sub("", text)


# Colour only (SGR: ESC [ digits/semicolons m): what our own text renderers print.
_SGR = re.compile(r"\x1b\[[0-9;]{0,32}m")


def for_terminal(text: str, *, keep_colour: bool = False) -> str:
    """``text`` safe to print on a terminal: escape sequences and controls (except newline
    and tab) removed; carriage returns too, which would let a line overwrite its start.
    With ``keep_colour``, colour sequences stay (they can recolour, never move, erase,
    retitle or write the clipboard)."""
    if not text or not ("\x1b" in text or _CONTROL.search(text)):
        return text
    if not keep_colour:
        return _CONTROL.sub("", _ESCAPE.sub("", text))
    out, last = [], 0
    for m in _SGR.finditer(text):
        out.append(_CONTROL.sub("", _ESCAPE.sub("", text[last : m.start()])))
        out.append(m.group())
        last = m.end()
    out.append(_CONTROL.sub("", _ESCAPE.sub("", text[last:])))
    return "".join(out)


class TerminalSafeStream:
    """A text stream that passes everything written through :func:`for_terminal`
    (colour kept): the CLI's stdout and stderr, so no page text reaches the terminal raw."""

    def __init__(self, stream):  # type: ignore[no-untyped-def]
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(for_terminal(text, keep_colour=True))
        return len(text)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._stream, name)
