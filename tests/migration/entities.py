"""The application's entities for loom: the one part written per runtime.

loom-kernel requires ``UseCase[Model, ...]``'s model to be one of its
``LoomStruct`` classes; loom takes any class. The use case code in
``quickstart`` and ``dsl_guide`` is the same for both: ``record.py`` puts
``kernel_entities`` in this module's place when it runs under loom-kernel.
"""

from __future__ import annotations

from dataclasses import dataclass

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
