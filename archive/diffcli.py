"""``policywatch diff OLD NEW``: diff two text files and print the result.

Kept apart from the archive CLI so the command starts fast: it imports only the diff
modules (stdlib, rapidfuzz, OpenCC lazily), never the database or crawler stacks.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from archive.diff import diff_texts
from archive.render import RENDERERS, render_diff


def _read(path: str) -> str:
    # Extracted texts are UTF-8; a stray byte should not stop a diff.
    return Path(path).read_text(encoding="utf-8", errors="replace")


def main(argv: list[str] | None = None) -> int:
    """Parse ``OLD NEW [--format F] [--color/--no-color]``, print the diff; 0 on success."""
    parser = argparse.ArgumentParser(prog="policywatch diff", description=__doc__.split("\n")[0])
    parser.add_argument("old", help="old version (plain text, one paragraph per line)")
    parser.add_argument("new", help="new version")
    parser.add_argument("--format", default="json", choices=sorted(RENDERERS))
    parser.add_argument(
        "--color",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="colour the text format (default: when stdout is a terminal)",
    )
    args = parser.parse_args(argv)
    try:
        old, new = _read(args.old), _read(args.new)
    except OSError as exc:
        sys.stderr.write(f"policywatch diff: cannot read {exc.filename}: {exc.strerror}\n")
        return 2
    color = sys.stdout.isatty() if args.color is None else args.color
    result = diff_texts(old, new)
    sys.stdout.write(
        render_diff(result, args.format, old_label=args.old, new_label=args.new, color=color)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
