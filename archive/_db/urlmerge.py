"""Merge documents whose URLs are spellings of one URL (migration 0004, and on demand).

Before URLs were canonicalised (archive.text.urls), ``…/a.html?b=2&a=1`` and
``…/a.html?a=1&b=2`` became two documents. Each group of such documents becomes one: the
first seen survives under the canonical URL; captures, change events and references move
to it; the versions of the group are put in one chain by first sight, and a version whose
text equals the one before it is folded into it (its last sighting and events kept).
Uses the default rule (query sorted): no source could keep its query order before.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Connection, inspect, text

from ..text.urls import canonical_url
from .search import delete_rows

__all__ = ["merge_url_variants"]


def merge_url_variants(conn: Connection) -> int:
    """Canonicalise every document URL and merge the groups; the number of documents merged."""
    docs = conn.execute(
        text("SELECT id, url, first_seen, last_seen FROM documents ORDER BY first_seen, id")
    ).all()
    groups: dict[str, list] = defaultdict(list)  # type: ignore[type-arg]
    for d in docs:
        groups[canonical_url(d.url)].append(d)
    merged = 0
    for url, group in groups.items():
        survivor, others = group[0], group[1:]
        if others:
            _merge(conn, survivor.id, [d.id for d in others])
            merged += len(others)
        if survivor.url != url:
            conn.execute(
                text("UPDATE documents SET url = :u WHERE id = :i"), {"u": url, "i": survivor.id}
            )
    return merged


def _merge(conn: Connection, keep: int, gone: list[int]) -> None:
    p = {"keep": keep}
    bind = ", ".join(f":g{i}" for i in range(len(gone)))
    p.update({f"g{i}": g for i, g in enumerate(gone)})
    everyone = ", ".join([":keep", *(f":g{i}" for i in range(len(gone)))])
    # The newest sighting decides the document's current state (title, validators, withdrawal).
    latest = (
        conn.execute(
            text(
                f"SELECT * FROM documents WHERE id IN ({everyone}) ORDER BY last_seen DESC, id DESC"
            ),
            p,
        )
        .mappings()
        .first()
    )
    assert latest is not None  # ``keep`` is an existing document, so at least one row
    first_seen = conn.execute(
        text(f"SELECT min(first_seen) FROM documents WHERE id IN ({everyone})"), p
    ).scalar()
    for table, column in (
        ("captures", "document_id"),
        ("change_events", "document_id"),
        ("documents", "parent_id"),
        ("documents", "previous_year_id"),
    ):
        conn.execute(text(f"UPDATE {table} SET {column} = :keep WHERE {column} IN ({bind})"), p)
    conn.execute(
        text("UPDATE documents SET parent_id = NULL WHERE id = :keep AND parent_id = :keep"), p
    )
    conn.execute(
        text(
            "UPDATE documents SET previous_year_id = NULL "
            "WHERE id = :keep AND previous_year_id = :keep"
        ),
        p,
    )
    versions = conn.execute(
        text(
            "SELECT id, digest, first_seen, last_seen FROM versions "
            f"WHERE document_id IN ({everyone}) ORDER BY first_seen, id"
        ),
        p,
    ).all()
    kept: list = []  # type: ignore[type-arg]
    folded: dict[int, int] = {}
    last_seen: dict[int, object] = {}
    for v in versions:
        if kept and kept[-1].digest == v.digest:
            folded[v.id] = kept[-1].id
            last_seen[kept[-1].id] = max(last_seen[kept[-1].id], v.last_seen)  # type: ignore[type-var]
            continue
        kept.append(v)
        last_seen[v.id] = v.last_seen
    # Migration 0004 runs before the search index exists (0005); later merges keep it whole.
    has_index = inspect(conn).has_table("search_index")
    # Two passes on seq: the (document_id, seq) pairs are unique at every step.
    for v in kept:
        conn.execute(text("UPDATE versions SET seq = :s WHERE id = :i"), {"s": -v.id, "i": v.id})
    previous = None
    for seq, v in enumerate(kept, 1):
        conn.execute(
            text(
                "UPDATE versions SET document_id = :keep, seq = :s, previous_id = :prev, "
                "last_seen = :ls WHERE id = :i"
            ),
            {"keep": keep, "s": seq, "prev": previous, "ls": last_seen[v.id], "i": v.id},
        )
        if has_index:  # the search index follows its versions to the kept document
            conn.execute(
                text(
                    "UPDATE search_index SET document_id = :keep, is_current = :cur "
                    "WHERE version_id = :i"
                ),
                {"keep": keep, "cur": v is kept[-1], "i": v.id},
            )
        previous = v.id
    for old, into in folded.items():
        for column in ("old_version_id", "new_version_id", "previous_year_version_id"):
            conn.execute(
                text(f"UPDATE change_events SET {column} = :into WHERE {column} = :old"),
                {"into": into, "old": old},
            )
        conn.execute(
            text("UPDATE versions SET previous_id = :into WHERE previous_id = :old"),
            {"into": into, "old": old},
        )
        if has_index:
            delete_rows(conn, [old])
        conn.execute(text("DELETE FROM versions WHERE id = :old"), {"old": old})
    # A "changed" event between two spellings of the same text is no change at all.
    conn.execute(
        text(
            "DELETE FROM change_events WHERE document_id = :keep AND kind = 'changed' "
            "AND old_version_id = new_version_id"
        ),
        p,
    )
    conn.execute(text(f"DELETE FROM documents WHERE id IN ({bind})"), p)
    conn.execute(
        text(
            "UPDATE documents SET first_seen = :fs, last_seen = :ls, title = :t, etag = :e, "
            "last_modified = :lm, withdrawn_at = :w, missing_count = :m WHERE id = :keep"
        ),
        {
            "fs": first_seen,
            "ls": latest["last_seen"],
            "t": latest["title"],
            "e": latest["etag"],
            "lm": latest["last_modified"],
            "w": latest["withdrawn_at"],
            "m": latest["missing_count"],
            "keep": keep,
        },
    )
