"""The archive's exceptions. Each message is one line that says what is wrong and where.

PolicywatchError
 ├── UsageError            bad input from a user: a URL, a date, an id (CLI exit status 2)
 │    └── DatabaseURLError a database URL that cannot be used (password never shown)
 └── NotFoundError         a document or version that the archive does not hold
"""

from __future__ import annotations


class PolicywatchError(Exception):
    """Base of every error policywatch reports to a user as one line."""


class UsageError(PolicywatchError, ValueError):
    """A value given by the user cannot be used."""


class DatabaseURLError(UsageError):
    """The database URL is malformed, names an unknown driver, or cannot be reached."""


class NotFoundError(PolicywatchError, LookupError):
    """The archive holds no such document or version."""
