"""The files channel: write each report as ``<UTC timestamp>-<slug>.{txt,html,json}`` files."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar, Self

from archive.delivery import DeliveryError, RenderedReport, one_line
from archive.delivery.config import FieldError, Fields

# format name in config -> (file suffix, RenderedReport attribute)
FORMATS: dict[str, tuple[str, str]] = {
    "text": ("txt", "text"),
    "html": ("html", "html"),
    "json": ("json", "json"),
}
_SLUG_CHARS = re.compile(r"\W+")  # \w keeps Chinese; "/" and "." can never reach a file name
_SLUG_MAX = 50


@dataclass(frozen=True, slots=True)
class FilesReporter:
    """Write each report to files in a directory (one file per format, each written atomically).

    Keys: directory (relative to the config file's folder), formats (any of "text", "html",
    "json"; default all three). Names are ``<UTC timestamp>-<slug of the subject>.<ext>``.
    """

    kind: ClassVar[str] = "files"

    name: str
    directory: Path
    formats: tuple[str, ...] = tuple(FORMATS)

    @classmethod
    def from_config(cls, name: str, fields: Fields) -> Self:
        """Build from one ``[[reporter]]`` table; ``directory`` is relative to the file's folder."""
        formats = fields.texts("formats", tuple(FORMATS))
        for fmt in formats:
            if fmt not in FORMATS:
                raise FieldError("formats", f'unknown format "{fmt}" (expected text, html, json)')
        if len(set(formats)) != len(formats):
            raise FieldError("formats", "lists a format twice")
        directory = fields.base_dir / fields.text("directory")
        return cls(name=name, directory=directory, formats=formats)

    def deliver(self, report: RenderedReport) -> None:
        """Write one file per format; all appear together or, on failure, none do."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            suffixes = [FORMATS[f][0] for f in self.formats]
            if report.key:
                # Named by the key: a re-send rewrites the same files with the same bytes and a
                # different report can never land on them.
                when, _, slug = report_stem(
                    report.subject, report.created_at or datetime.now(UTC)
                ).partition("-")
                stem = f"{when}-{report.key}-{slug}"
            else:
                stem = _free_stem(
                    self.directory, report_stem(report.subject, datetime.now(UTC)), suffixes
                )
            _write_all(
                self.directory,
                {f"{stem}.{FORMATS[f][0]}": getattr(report, FORMATS[f][1]) for f in self.formats},
            )
        except OSError as exc:
            raise DeliveryError(
                one_line(
                    f'files "{self.name}": cannot write to {self.directory}: {exc.strerror or exc}'
                )
            ) from None


def report_stem(subject: str, now: datetime) -> str:
    """``20260821T101500Z-policywatch-3-changes-in-tj_binhai``: sortable, safe on any filesystem."""
    slug = _SLUG_CHARS.sub("-", subject).strip("-_")[:_SLUG_MAX].strip("-_") or "report"
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{slug}"


def _free_stem(directory: Path, stem: str, suffixes: list[str]) -> str:
    # Two reports with the same subject in one second must not overwrite each other.
    candidate, n = stem, 1
    while any((directory / f"{candidate}.{s}").exists() for s in suffixes):
        n += 1
        candidate = f"{stem}-{n}"
    return candidate


def _write_all(directory: Path, contents: dict[str, str]) -> None:
    """Write every temp file, then rename each into place; on failure remove all of them again."""
    temps: dict[Path, str] = {}
    placed: list[Path] = []
    try:
        for filename, text in contents.items():
            fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{filename}.", suffix=".tmp")
            temps[directory / filename] = temp
            with os.fdopen(fd, "wb") as handle:
                handle.write(text.encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())  # the rename must not land before the bytes do
        for target, temp in temps.items():
            os.replace(temp, target)
            placed.append(target)
    except BaseException:
        # A report is its set of files: leave none of it rather than a part.
        for target in placed:
            target.unlink(missing_ok=True)
        raise
    finally:
        for temp in temps.values():
            Path(temp).unlink(missing_ok=True)
