"""Pure text algorithms: normalise, segment, align, numbers, diff, lineage (no SQLAlchemy)."""
