"""Reading the reporters file: TOML ``[[reporter]]`` tables -> configured reporter instances.

Every problem is one ``ReporterConfigError`` line naming the file, the reporter and the field.
Values from the file are never echoed back (a secret pasted into the wrong key stays out of logs).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Protocol

from archive.delivery import Reporter, ReporterConfigError

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_ENV_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MISSING: Any = object()

# Keys people reach for when they put a secret in the file; say where it belongs instead.
_SECRET_HINTS = {
    "password": "password_env",
    "secret": "secret_env",
    "token": "secret_env",
}


class FieldError(ValueError):
    """One field of one reporter table is wrong; config.py adds the file and reporter name."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class Configurable(Protocol):
    """A reporter class as the loader sees it."""

    kind: ClassVar[str]

    @classmethod
    def from_config(cls, name: str, fields: Fields) -> Reporter: ...


class Fields:
    """Typed access to one ``[[reporter]]`` table; ``finish()`` rejects keys nobody read."""

    def __init__(self, table: Mapping[str, Any], base_dir: Path) -> None:
        self._table = dict(table)
        self._read: set[str] = set()
        self.base_dir = base_dir

    def _lookup(self, key: str, default: Any) -> tuple[bool, Any]:
        """(present, value): a missing key without a default is an error."""
        self._read.add(key)
        if key in self._table:
            return True, self._table[key]
        if default is _MISSING:
            raise FieldError(key, "missing")
        return False, default

    def text(self, key: str, default: Any = _MISSING) -> Any:
        """A non-empty string (or ``default`` when absent)."""
        present, value = self._lookup(key, default)
        if not present:
            return value
        if not isinstance(value, str):
            raise FieldError(key, f"expected a string, got {_type_name(value)}")
        if not value.strip():
            raise FieldError(key, "must not be empty")
        return value

    def env_name(self, key: str) -> str | None:
        """An optional environment variable name (the secret itself never sits in the file)."""
        value = self.text(key, None)
        if value is not None and not _ENV_RE.fullmatch(value):
            raise FieldError(key, "must name an environment variable (letters, digits, _)")
        return value

    def flag(self, key: str, default: bool) -> bool:
        """A TOML boolean."""
        present, value = self._lookup(key, default)
        if present and not isinstance(value, bool):
            raise FieldError(key, f"expected true or false, got {_type_name(value)}")
        return value

    def integer(self, key: str, default: Any, low: int, high: int) -> Any:
        """An integer in ``[low, high]`` (or ``default`` when absent)."""
        present, value = self._lookup(key, default)
        if not present:
            return value
        # bool is an int in Python, but `port = true` is a mistake, not 1.
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldError(key, f"expected an integer, got {_type_name(value)}")
        if not low <= value <= high:
            raise FieldError(key, f"must be from {low} to {high}, got {value}")
        return value

    def seconds(self, key: str, default: float, high: float) -> float:
        """A positive number of seconds, at most ``high``."""
        present, value = self._lookup(key, default)
        if not present:
            return float(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FieldError(key, f"expected a number of seconds, got {_type_name(value)}")
        if not 0 < value <= high:
            raise FieldError(key, f"must be more than 0 and at most {high:g}, got {value:g}")
        return float(value)

    def texts(self, key: str, default: Any = _MISSING) -> Any:
        """A non-empty list of non-empty strings, as a tuple (or ``default`` when absent)."""
        present, value = self._lookup(key, default)
        if not present:
            return value
        if not isinstance(value, list):
            raise FieldError(key, f"expected a list of strings, got {_type_name(value)}")
        if not value:
            raise FieldError(key, "must not be empty")
        if not all(isinstance(item, str) and item.strip() for item in value):
            raise FieldError(key, "every item must be a non-empty string")
        return tuple(value)

    def finish(self) -> None:
        """Reject keys that no reporter field read (typos, or secrets pasted into the file)."""
        for key in self._table:
            if key not in self._read:
                hint = _SECRET_HINTS.get(key)
                if hint:
                    raise FieldError(
                        key,
                        f"not allowed: put the secret in an environment "
                        f"variable and name it in {hint}",
                    )
                raise FieldError(key, "unknown key")


def _type_name(value: object) -> str:
    names = {
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        list: "a list",
        dict: "a table",
    }
    return names.get(type(value), type(value).__name__)


_DIGEST_RE = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def read_reporters(
    path: str | Path,
    registry: Mapping[str, type[Configurable]],
    digests: dict[str, str] | None = None,
) -> dict[str, Reporter]:
    """Parse the reporters file at ``path`` into name -> reporter (``registry``: kind -> class).

    ``digests`` (when given) receives name -> "HH:MM" for reporters that want one daily digest
    instead of a report per crawl (``digest = "08:00"``, any kind).
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReporterConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ReporterConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ReporterConfigError(f"{path}: not valid TOML: {exc}") from None

    for key in data:
        if key != "reporter":
            raise ReporterConfigError(f"{path}: {key}: unknown key (expected [[reporter]] tables)")
    tables = data.get("reporter", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ReporterConfigError(f"{path}: reporter: expected [[reporter]] tables")

    reporters: dict[str, Reporter] = {}
    for number, table in enumerate(tables, start=1):
        label = f"reporter #{number}"
        try:
            fields = Fields(table, path.parent)
            name = fields.text("name")
            if not _NAME_RE.fullmatch(name):
                raise FieldError("name", 'use letters, digits, "-", "_" or "." only')
            label = f'reporter "{name}"'
            if name in reporters:
                raise FieldError("name", "duplicate (names must be unique in the file)")
            kind = fields.text("kind")
            cls = registry.get(kind)
            if cls is None:
                known = ", ".join(sorted(registry))
                raise FieldError("kind", f'unknown kind "{kind}" (expected one of: {known})')
            digest = fields.text("digest", None)
            if digest is not None and not _DIGEST_RE.fullmatch(digest):
                raise FieldError("digest", 'expected a time of day as "HH:MM", e.g. "08:00"')
            reporter = cls.from_config(name, fields)
            fields.finish()
            if digest is not None and digests is not None:
                digests[name] = digest
        except FieldError as exc:
            raise ReporterConfigError(f"{path}: {label}: {exc}") from None
        reporters[name] = reporter
    return reporters
