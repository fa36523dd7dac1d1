"""The same entities as ``entities``, as loom-kernel wants them (``LoomStruct``).

Imported only by ``record.py``, in loom-kernel's own venv, which installs it as
``tests.migration.entities`` before the use case modules import that.
"""

from __future__ import annotations

from loom.core.model import LoomStruct  # type: ignore[import-not-found]

KERNEL = True


class User(LoomStruct):  # type: ignore[misc]
    id: int
    full_name: str
    email: str


class Product(LoomStruct):  # type: ignore[misc]
    id: int
    name: str
    price: float
    sku: str
