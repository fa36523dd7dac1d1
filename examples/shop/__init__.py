"""A small shop (users, products, orders) on loom and a real SQLite database.

``domain`` holds the entities, ``commands`` the request payloads, ``db`` the
SQLite connection pool and unit of work, ``repositories`` the per-entity data
access, ``usecases`` and ``jobs`` the operations, ``app`` the wiring and
``demo`` a scripted run (``python -m examples.shop.demo``).
"""
