"""Engine and schema for the archive: SQLite by default, PostgreSQL by URL.

The URL comes from ``--db`` or ``POLICYWATCH_DB``; without either, a SQLite file in the
user's data directory. The schema is created and upgraded by Alembic migrations.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError

from ..errors import DatabaseURLError

ENV_VAR = "POLICYWATCH_DB"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# `--db demo` (or POLICYWATCH_DB=demo) names the demo's own archive, so the commands the demo
# prints work as printed; a SQLite file called "demo" in the working directory is `./demo`.
DEMO_ALIAS = "demo"
# psycopg waits for the server's answer without limit: a URL pointing at a port where another
# service listens (Redis, HTTP) would hang for minutes. A PostgreSQL server answers in ms.
CONNECT_TIMEOUT_S = 5


def default_db_path() -> Path:
    """The SQLite file used when no URL is given: <user data dir>/policywatch/policywatch.db."""
    import platformdirs

    return Path(platformdirs.user_data_dir("policywatch", appauthor=False)) / "policywatch.db"


def demo_db_path() -> Path:
    """The demo's own SQLite file, beside the default archive and never mixed with it."""
    return default_db_path().with_name("policywatch-demo.db")


def resolve_url(url: str | None = None) -> str:
    """The database URL to use: the argument, else $POLICYWATCH_DB, else the default SQLite file.

    ``demo`` is the demo's archive (:func:`demo_db_path`); a bare path is a SQLite file.
    """
    url = url or os.environ.get(ENV_VAR)
    if url == DEMO_ALIAS:
        return f"sqlite:///{demo_db_path()}"
    if url:
        if "://" not in url:  # a bare path is a SQLite file: the common case on a laptop
            return f"sqlite:///{Path(url).expanduser().resolve()}"
        return url
    return f"sqlite:///{default_db_path()}"


def safe_url(url: str) -> str:
    """The URL with any password masked, for messages and logs."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return "<unparseable database URL>"
    # libpq and psycopg also take the password as a query parameter (?password=…).
    secret = {k: "***" for k in parsed.query if k.lower() in _SECRET_PARAMS}
    if secret:
        parsed = parsed.update_query_dict(secret)
    return parsed.render_as_string(hide_password=True)


_SECRET_PARAMS = frozenset({"password", "passwd", "pwd", "sslpassword"})


def failure_reason(exc: BaseException) -> str:
    """One line saying why the database could not be used (timeouts say what was waited for)."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    if "timeout expired" in reason:
        reason += (
            f" (no PostgreSQL answer within {CONNECT_TIMEOUT_S} s: is it a PostgreSQL server's "
            "host and port? add ?connect_timeout=N to the URL to wait longer)"
        )
    return reason


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL: readers never block the crawl's writer, and a killed writer leaves the last
    # committed state intact. busy_timeout: two processes (crawl + query) wait, not fail.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (see :func:`resolve_url`); DatabaseURLError on a bad URL."""
    url = resolve_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseURLError(f"database URL: not a valid URL: {safe_url(url)}") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseURLError(
                    f"database URL: cannot create {path.parent}: {exc.strerror}"
                ) from None
    elif parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # psycopg 3 is the driver we install; plain postgresql:// would ask for psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    connect_args: dict[str, object] = {}
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
    try:
        engine = create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    except (NoSuchModuleError, ImportError) as exc:
        raise DatabaseURLError(
            f"database URL: unsupported driver {parsed.drivername!r} ({exc})"
        ) from None
    except ArgumentError as exc:
        raise DatabaseURLError(f"database URL: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (creates it on an empty database)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    sqlite = engine.dialect.name == "sqlite"
    try:
        with engine.connect() as conn:
            if sqlite:
                # Batch migrations rebuild tables that others reference: SQLite must not
                # enforce foreign keys meanwhile (the pragma is ignored inside a transaction,
                # so it comes first). foreign_key_check below proves nothing was broken.
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                # pysqlite runs DDL outside any transaction: a crawl killed half-way through
                # the first CREATE TABLEs would leave tables without alembic's version row,
                # and every later upgrade would fail ("table … already exists"). An explicit
                # BEGIN makes the whole migration one transaction (IMMEDIATE: one upgrader
                # at a time; the others wait on busy_timeout, then see it done).
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise DatabaseURLError(
                        f"database {safe_url(str(engine.url))}: migration broke a foreign key"
                    )
                conn.commit()
            finally:
                if sqlite:
                    conn.rollback()  # no-op after a commit; ends a failed migration
                    conn.exec_driver_sql("PRAGMA foreign_keys=ON")
    except OperationalError as exc:
        reason = failure_reason(exc) if exc.orig else "cannot connect"
        raise DatabaseURLError(f"database {safe_url(str(engine.url))}: {reason}") from None
    except SQLAlchemyError as exc:
        raise DatabaseURLError(f"database {safe_url(str(engine.url))}: {exc}") from None


def has_schema(engine: Engine) -> bool:
    """Whether the archive tables exist (read-only commands refuse an empty database)."""
    return inspect(engine).has_table("versions")
