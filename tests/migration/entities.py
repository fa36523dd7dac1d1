"""The application's entities: the one part written per runtime.

loom-kernel requires ``UseCase[Model, ...]``'s model to be one of its
``LoomStruct`` classes; loom takes any class. The use case code in
``quickstart`` and ``dsl_guide`` is the same for both.
"""

from __future__ import annotations

from dataclasses import dataclass

try:
    from loom.core.model import LoomStruct  # type: ignore[import-not-found]
except ImportError:  # loom
    KERNEL = False

    @dataclass
    class User:
        id: int
        full_name: str
        email: str

    @dataclass
    class Product:
        id: int
        name: str
        price: float
        sku: str

else:  # loom-kernel, in the venv that recorded the expected results
    KERNEL = True

    class User(LoomStruct):  # type: ignore[no-redef]
        id: int
        full_name: str
        email: str

    class Product(LoomStruct):  # type: ignore[no-redef]
        id: int
        name: str
        price: float
        sku: str
