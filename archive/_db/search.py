"""The full-text index: one row per version, written in the transaction that writes the version.

``search_index`` holds, per version, the folded head (title + 文号) and body and their jieba
tokens (:mod:`archive.text.search`), and whether the version is its document's current one.
On top of it, per backend:

* SQLite: FTS5 ``search_fts`` (unicode61 over the space-joined tokens; the segmenter did the
  Chinese) and FTS5 ``search_sub`` (trigram without positions: the candidates for an exact
  substring, which the query then checks), both external-content tables over ``search_index``;
* PostgreSQL: a ``tsv`` tsvector column built from the same tokens (no text-search parser in
  between, so both backends see identical tokens), GIN-indexed, and pg_trgm GIN indexes on
  head and body for substrings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from typing import cast as type_cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import column

from ..text.search import QueryPlan, index_terms
from .models import DocumentRow, SearchIndexRow, VersionRow

HEAD_WEIGHT, BODY_WEIGHT = 4.0, 1.0
_MAX_POSITIONS = 255  # PostgreSQL keeps at most 256 positions per lexeme
_MAX_POSITION = 16383


def index_values(
    version_id: int,
    document_id: int,
    title: str,
    doc_number: str | None,
    body: str,
    current: bool,
    terms: tuple[str, str, str, str] | None = None,
) -> dict[str, Any]:
    """The ``search_index`` row of one version (``terms``: its ``index_terms``, if known)."""
    head, folded, head_tokens, body_tokens = terms or index_terms(title, doc_number, body)
    return {
        "version_id": version_id,
        "document_id": document_id,
        "is_current": current,
        "head": head,
        "body": folded,
        "head_tokens": head_tokens,
        "body_tokens": body_tokens,
    }


def _quote(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(head_tokens: str, body_tokens: str) -> str:
    """A tsvector in its text form, head tokens weighted A and body tokens B, with positions."""
    positions: dict[str, list[str]] = {}
    pos = 0
    for weight, toks in (("A", head_tokens.split()), ("B", body_tokens.split())):
        for tok in toks:
            pos = min(pos + 1, _MAX_POSITION)
            seen = positions.setdefault(tok, [])
            if len(seen) < _MAX_POSITIONS:
                seen.append(f"{pos}{weight}")
    return " ".join(f"{_quote(t)}:{','.join(p)}" for t, p in positions.items())


def insert_rows(conn: Connection | Session, rows: Iterable[dict[str, Any]]) -> None:
    """Insert index rows and their full-text entries (one statement per table per batch)."""
    rows = list(rows)
    if not rows:
        return
    dialect = conn.get_bind().dialect.name if isinstance(conn, Session) else conn.dialect.name
    if dialect == "postgresql":
        conn.execute(
            text(
                "INSERT INTO search_index (version_id, document_id, is_current, head, body, "
                "head_tokens, body_tokens, tsv) VALUES (:version_id, :document_id, :is_current, "
                ":head, :body, :head_tokens, :body_tokens, CAST(:tsv AS tsvector))"
            ),
            [r | {"tsv": tsvector_literal(r["head_tokens"], r["body_tokens"])} for r in rows],
        )
        return
    conn.execute(type_cast(Table, SearchIndexRow.__table__).insert(), rows)
    if dialect == "sqlite":
        conn.execute(
            text(
                "INSERT INTO search_fts (rowid, head_tokens, body_tokens) "
                "VALUES (:version_id, :head_tokens, :body_tokens)"
            ),
            rows,
        )
        conn.execute(
            text("INSERT INTO search_sub (rowid, head, body) VALUES (:version_id, :head, :body)"),
            rows,
        )


def delete_rows(conn: Connection, version_ids: Iterable[int]) -> None:
    """Remove the index entries of versions about to be deleted (a merge of URL variants)."""
    for vid in version_ids:
        if conn.dialect.name == "sqlite":
            # External-content FTS5 tables forget a row by the 'delete' command with the values
            # it was indexed with, read before the content row goes.
            row = conn.execute(
                text(
                    "SELECT head, body, head_tokens, body_tokens FROM search_index "
                    "WHERE version_id = :v"
                ),
                {"v": vid},
            ).first()
            if row is not None:
                values = {"v": vid, "h": row.head, "b": row.body}
                values |= {"ht": row.head_tokens, "bt": row.body_tokens}
                conn.execute(
                    text(
                        "INSERT INTO search_fts (search_fts, rowid, head_tokens, body_tokens) "
                        "VALUES ('delete', :v, :ht, :bt)"
                    ),
                    values,
                )
                conn.execute(
                    text(
                        "INSERT INTO search_sub (search_sub, rowid, head, body) "
                        "VALUES ('delete', :v, :h, :b)"
                    ),
                    values,
                )
        conn.execute(text("DELETE FROM search_index WHERE version_id = :v"), {"v": vid})


def index_version(
    s: Session,
    version: VersionRow,
    previous: VersionRow | None,
    terms: tuple[str, str, str, str] | None = None,
) -> None:
    """Index a version just written; its predecessor stops being current (same transaction).

    ``terms`` are the version's ``index_terms`` when its capture brought them.
    """
    if previous is not None:
        s.execute(
            update(SearchIndexRow)
            .where(SearchIndexRow.version_id == previous.id)
            .values(is_current=False)
        )
    insert_rows(
        s,
        [
            index_values(
                version.id,
                version.document_id,
                version.title,
                version.doc_number,
                version.text,
                True,
                terms,
            )
        ],
    )


# -- querying -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hit:
    """One matching version with its score (higher is better)."""

    version_id: int
    score: float


def trigram_match(needles: Iterable[str]) -> str:
    """The FTS5 query of the trigram table for substrings of three or more characters.

    The table keeps no positions (detail=none, migration 0008), so a needle is asked as its
    trigrams, all of them required: a superset of the rows holding it, which the search then
    checks against the folded texts.
    """
    grams = dict.fromkeys(n[i : i + 3] for n in needles for i in range(len(n) - 2))
    return " ".join('"' + g.replace('"', '""') + '"' for g in grams)


def _fts_match(plan: QueryPlan) -> str:
    return " ".join('"' + t.replace('"', '""') + '"' for t in plan.tokens)


def search(
    s: Session,
    plan: QueryPlan,
    *,
    source: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    all_versions: bool = False,
    limit: int = 50,
) -> list[Hit]:
    """Versions matching ``plan``, best first: ranked by BM25 / ts_rank, title hits first."""
    dialect = s.get_bind().dialect.name
    i = SearchIndexRow
    # Only ids and scores are ranked: carrying the texts through the sort would copy every
    # matching body; the caller reads the few it shows.
    q = select(i.version_id)
    if plan.substring:
        in_head = sum(case((i.head.contains(n, autoescape=True), 1), else_=0) for n in plan.needles)
        n0 = plan.needles[0]
        count = (func.length(i.body) - func.length(func.replace(i.body, n0, ""))) / len(n0)
        score = in_head * 1000 + count
        conds: list[ColumnElement[bool]] = []
        long_needles = [n for n in plan.needles if len(n) >= 3]
        if dialect == "sqlite" and long_needles:
            # The trigram table picks the candidates for substrings of three or more
            # characters by index; the conditions below keep those that hold them.
            sub = text("SELECT rowid FROM search_sub WHERE search_sub MATCH :sub").bindparams(
                sub=trigram_match(long_needles)
            )
            conds.append(i.version_id.in_(sub))
        for n in plan.needles:
            conds.append(
                or_(i.head.contains(n, autoescape=True), i.body.contains(n, autoescape=True))
            )
        q = q.add_columns(score.label("score")).where(and_(*conds))
    elif dialect == "sqlite":
        fts = text(
            f"SELECT rowid AS rid, bm25(search_fts, {HEAD_WEIGHT}, {BODY_WEIGHT}) AS rank "
            "FROM search_fts WHERE search_fts MATCH :m"
        ).bindparams(m=_fts_match(plan))
        ranked = fts.columns(column("rid"), column("rank")).subquery("fts")
        q = q.add_columns((-ranked.c.rank).label("score")).join(
            ranked, ranked.c.rid == i.version_id
        )
    elif dialect == "postgresql":
        tsq = cast(literal(" & ".join(_quote(t) for t in plan.tokens)), TSQUERY)
        tsv = column("tsv", TSVECTOR)
        # Weights are {D, C, B, A}: a title hit counts HEAD_WEIGHT times a body hit;
        # normalisation 1 divides by 1 + log(length), as BM25 damps long texts.
        weights: ColumnElement[Any] = literal_column(
            f"'{{0.1, 0.1, {BODY_WEIGHT / HEAD_WEIGHT}, 1.0}}'::float4[]"
        )
        score = func.ts_rank(weights, tsv, tsq, 1)
        q = q.add_columns(score.label("score")).where(tsv.op("@@")(tsq))
    else:
        raise NotImplementedError(f"search: no full-text index on {dialect}")
    q = q.select_from(i)
    if not all_versions:
        q = q.where(i.is_current.is_(True))
    if source is not None or since is not None or until is not None:
        q = q.join(VersionRow, VersionRow.id == i.version_id)
        if source is not None:
            q = q.join(DocumentRow, DocumentRow.id == i.document_id).where(
                DocumentRow.source_id == source
            )
        # A version counts when it was current at some point of the window.
        if since is not None:
            q = q.where(VersionRow.last_seen >= since)
        if until is not None:
            q = q.where(VersionRow.first_seen <= until)
    q = q.order_by(column("score").desc(), i.version_id.desc()).limit(limit)
    return [Hit(r.version_id, float(r.score or 0)) for r in s.execute(q)]


# -- checking -------------------------------------------------------------------------------


def check_index(s: Session, versions: list[VersionRow]) -> list[str]:
    """Problems with the search index: missing, stale or extra rows, wrong current flags."""
    problems: list[str] = []
    rows = {r.version_id: r for r in s.scalars(select(SearchIndexRow))}
    latest: dict[int, VersionRow] = {}
    for v in versions:
        cur = latest.get(v.document_id)
        if cur is None or v.seq > cur.seq:
            latest[v.document_id] = v
    current_ids = {v.id for v in latest.values()}
    for v in versions:
        r = rows.pop(v.id, None)
        where = f"search index, version {v.id}"
        if r is None:
            problems.append(f"{where}: not indexed")
            continue
        want = index_values(v.id, v.document_id, v.title, v.doc_number, v.text, v.id in current_ids)
        for key in ("document_id", "is_current", "head", "body", "head_tokens", "body_tokens"):
            if getattr(r, key) != want[key]:
                problems.append(f"{where}: {key} does not match the version")
                break
    problems.extend(f"search index: row for missing version {vid}" for vid in sorted(rows))
    dialect = s.get_bind().dialect.name
    if dialect == "sqlite":
        for table in ("search_fts", "search_sub"):
            try:
                with s.begin_nested():
                    s.execute(
                        text(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")
                    )
            except DBAPIError as exc:  # SQLite reports a corrupt or stale FTS index as an error
                reason = str(exc.orig).splitlines()[0]
                problems.append(f"search index: {table}: {reason}")
    elif dialect == "postgresql":
        pairs = s.execute(
            select(
                SearchIndexRow.version_id, SearchIndexRow.head_tokens, SearchIndexRow.body_tokens
            )
        ).all()
        stale = s.scalars(
            text(
                "SELECT i.version_id FROM search_index i JOIN unnest(CAST(:ids AS int[]), "
                "CAST(:lits AS text[])) AS w(id, lit) ON w.id = i.version_id "
                "WHERE i.tsv IS DISTINCT FROM CAST(w.lit AS tsvector) ORDER BY 1"
            ),
            {
                "ids": [p.version_id for p in pairs],
                "lits": [tsvector_literal(p.head_tokens, p.body_tokens) for p in pairs],
            },
        )
        problems.extend(f"search index, version {vid}: tsvector is stale" for vid in stale)
    return problems
