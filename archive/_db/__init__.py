"""The archive's storage: SQLAlchemy tables, engine, migrations.

Private: nothing outside ``archive/`` imports it (tests included); use :mod:`archive.api`.
"""
