"""What two things to diff: text files, archived versions (id or URL@DATE), or two years of a plan.

The CLI and the web UI both name a comparison in user terms; this module turns those terms
into two texts with labels. Reading a file never guesses past UTF-8 and GB18030, and never
replaces undecodable bytes: a diff of mis-decoded text would report changes that are not there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import UsageError
from .records import VersionRecord

if TYPE_CHECKING:
    from .api import Archive


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two texts to diff, each with the label a renderer shows for it."""

    old_text: str
    new_text: str
    old_label: str
    new_label: str


def version_text(v: VersionRecord) -> str:
    """The text a diff compares: the title line, then the body."""
    return f"{v.title}\n{v.text}"


def read_text_file(path: Path) -> str:
    """A text file as UTF-8 (BOM allowed) or GB18030; UsageError naming the file otherwise."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    for codec in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    raise UsageError(f"{path}: neither UTF-8 nor GB18030 text")


def _looks_like_version(ref: str) -> bool:
    return ref.strip().isdigit() or ("@" in ref and ref.startswith(("http://", "https://")))


def resolve_pair(old: str, new: str, open_archive: Callable[[], Archive]) -> Comparison:
    """Files when both name files; versions when both look like version refs.

    A reference that is neither an existing file nor a version ref is named in the error,
    so ``diff missing.txt new.txt`` says that ``missing.txt`` does not exist.
    """
    for ref in (old, new):
        if not Path(ref).is_file() and not _looks_like_version(ref):
            raise UsageError(f"{ref}: no such file, and not a version id or URL@DATE")
    if Path(old).is_file() and Path(new).is_file():
        return Comparison(read_text_file(Path(old)), read_text_file(Path(new)), old, new)
    archive = open_archive()
    try:
        a, b = archive.version(old), archive.version(new)
    finally:
        archive.close()
    return Comparison(version_text(a), version_text(b), f"v{a.id} {a.url}", f"v{b.id} {b.url}")


def series_pair(
    archive: Archive, series_id: int, old_year: int | None, new_year: int | None
) -> Comparison:
    """Two years of a plan series (by default its latest two)."""
    a, b = archive.series_pair(series_id, old_year, new_year)
    return Comparison(
        version_text(a.version),
        version_text(b.version),
        f"{a.year} {a.version.url}",
        f"{b.year} {b.version.url}",
    )
