"""Seeds: the bureau sites to crawl (``sources/*.toml``) and the bundled offline mirror of them.

``load_sources()`` reads the bundled definitions; ``seeds.mirror.serve_mirror()`` serves the
mirror on 127.0.0.1 for the demo and the tests.
"""

from __future__ import annotations

import os
from pathlib import Path

from seeds.source import LinkKind, Source, SourceError, read_source_file

__all__ = [
    "DEFAULT_SOURCES_DIR",
    "MIRROR_DIR",
    "LinkKind",
    "Source",
    "SourceError",
    "load_sources",
]

DEFAULT_SOURCES_DIR = Path(__file__).parent / "sources"
MIRROR_DIR = Path(__file__).parent / "mirror"


def load_sources(path: str | Path | None = None) -> list[Source]:
    """Load sources from a TOML file or a directory of ``*.toml`` (default: the bundled ones).

    Files are read in name order; ids must be unique across all of them. Raises
    :class:`SourceError` with a one-line message naming the file, source and field.
    """
    root = DEFAULT_SOURCES_DIR if path is None else Path(path)
    display = _display(root)
    if root.is_dir():
        files = sorted(root.glob("*.toml"))
        if not files:
            raise SourceError(f"{display}: no *.toml files")
    elif root.exists():
        files = [root]
    else:
        raise SourceError(f"{display}: no such file or directory")
    sources: list[Source] = []
    seen: dict[str, str] = {}
    for file in files:
        name = _display(file)
        for source in read_source_file(file, name):
            if source.id in seen:
                raise SourceError(
                    f'{name}: source "{source.id}": id: duplicate (already defined in '
                    f"{seen[source.id]})"
                )
            seen[source.id] = name
            sources.append(source)
    return sources


def _display(path: Path) -> str:
    """Name a path as the user would type it: relative to the working directory when inside it."""
    try:
        relative = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return str(path)
    return os.fspath(relative) if path.is_absolute() else str(path)
