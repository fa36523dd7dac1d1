"""Repositories: the query contract (``abc``) and the SQLAlchemy implementation.

``loom.core.repository.abc`` needs nothing beyond the standard library;
``loom.core.repository.sqlalchemy`` needs the ``sqlalchemy`` extra.
"""
