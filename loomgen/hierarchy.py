"""Class hierarchies: which scanned classes are use cases, and Python's C3 order.

Attributes (``execute``, ``computes``, ``rules``, ``read_only``) are looked
up the way Python looks them up, along the class's method resolution order,
computed here with the C3 algorithm over scanned classes and loom's bases.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import libcst as cst

from loomgen.resolve import MAX_DEPTH, Resolver
from loomgen.scan import ClassScan, ModuleScan, Unstable, Unsupported, identifier, one_line

LOOM_BASES = frozenset({"UseCase", "Job"})

MroEntry = tuple[ModuleScan, ClassScan] | str
"""A class in a linearization: a scanned class, or a name for one outside the sources
(``external:module.Name`` for a class loomgen knows defines none of the attributes it
reads, ``unseen:Name`` for one it cannot read)."""

KNOWN_MODULES = frozenset(sys.stdlib_module_names) | {
    "builtins",
    "typing_extensions",
    "loom",
    "pydantic",
}
"""Bases from these (top-level) modules never define ``execute``, ``computes``,
``rules`` or ``read_only`` (loom's ``UseCase``/``Job`` are handled on their own)."""


def unseen(entry: MroEntry) -> str | None:
    """The base an MRO entry stands for, when loomgen cannot read it."""
    if isinstance(entry, str) and entry.startswith("unseen:"):
        return entry.partition(":")[2]
    return None


def cannot_see(base: str) -> str:
    return (
        f"cannot see base {base}: it is neither in the sources nor in a module loomgen can"
        " read on the import path"
    )


@dataclass(frozen=True)
class Found:
    """A class attribute or method found on a class or one of its scanned bases."""

    scan: ModuleScan
    owner: ClassScan
    node: cst.CSTNode


class Hierarchy:
    """Use case kinds and method resolution orders, memoized per class."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self._kinds: dict[tuple[str, str], str | None] = {}
        self._mros: dict[tuple[str, str], list[MroEntry]] = {}

    def base_kind(self, scan: ModuleScan, base: cst.BaseExpression) -> str | None:
        """``"UseCase"``/``"Job"`` when ``base`` names one of loom's base classes."""
        for _ in range(MAX_DEPTH):
            name = self.resolver.loom_name(scan, base)
            if name is not None:
                return name if name in LOOM_BASES else None
            alias = self._alias(scan, base)
            if alias is None:
                return None
            scan, base = alias
        return None

    def _alias(
        self, scan: ModuleScan, base: cst.BaseExpression
    ) -> tuple[ModuleScan, cst.BaseExpression] | None:
        """What a module-level alias used as a base holds (``AnyUseCase =
        UseCase[Any, Any]``, ``Plain = UseCase``, written here or imported from
        a module loomgen reads), with the module it is written in; ``None``
        when ``base`` is no such alias."""
        node = base.value if isinstance(base, cst.Subscript) else base
        if not isinstance(node, cst.Name):
            return None
        name = identifier(node)
        why = self.resolver.unstable(scan, name)
        if why is not None:
            raise Unstable(node, why)
        holder = scan
        if name not in scan.constants:
            imported = scan.imports.get(name)
            if imported is None or not imported.name:
                return None
            try:
                found = self.resolver.define(imported.module, imported.name)
            except Unstable as problem:
                raise Unstable(node, problem.message) from None
            if found.kind != "assigned" or found.scan is None:
                return None
            holder, name = found.scan, found.name
        value = holder.constants.get(name)
        if not isinstance(value, (cst.Name, cst.Attribute, cst.Subscript)):
            return None
        patched = holder.patched.get(name)
        if patched is not None:
            raise Unsupported(node, patched)
        return holder, value

    def kind_of(self, scan: ModuleScan, class_scan: ClassScan, depth: int = 0) -> str | None:
        """``"UseCase"`` or ``"Job"`` when the class derives from one, else ``None``."""
        key = (scan.source.module, class_scan.qualname)
        if key in self._kinds:
            return self._kinds[key]
        self._kinds[key] = None  # guards against cycles
        kind = None
        for base in class_scan.bases:
            kind = self.base_kind(scan, base)
            if kind is None and depth < 50:
                parent = self.class_of(scan, class_scan, base)
                if parent is not None:
                    kind = self.kind_of(parent[0], parent[1], depth + 1)
            if kind is not None:
                break
        self._kinds[key] = kind
        return kind

    def class_of(
        self, scan: ModuleScan, class_scan: ClassScan, base: cst.BaseExpression
    ) -> tuple[ModuleScan, ClassScan] | None:
        """The scanned class a base of ``class_scan`` names. A nested class's bases
        are evaluated in the body of the class enclosing it, where an earlier
        nested class (a sibling) is a plain name."""
        node = base.value if isinstance(base, cst.Subscript) else base
        parent = _parent(scan, class_scan)
        if parent is not None and isinstance(node, cst.Name):
            sibling = parent.classes.get(node.value)
            if sibling is not None and sibling is not class_scan:
                return scan, sibling
            if node.value in parent.attributes or node.value in parent.functions:
                return None
        return self.resolver.class_of(scan, base)

    def unseen_base(self, scan: ModuleScan, class_scan: ClassScan) -> str | None:
        """Why loomgen cannot tell whether ``class_scan`` is a use case: the first of
        its bases (or their bases) it cannot read; ``None`` when it sees them all."""
        try:
            for entry in self.mro(scan, class_scan):
                name = unseen(entry)
                if name is not None:
                    return cannot_see(name)
        except Unsupported as problem:
            return problem.message
        return None

    def check_static(self, scan: ModuleScan, class_scan: ClassScan) -> None:
        """Raise :class:`Unsupported` when something in the class's hierarchy may
        change the class at runtime in ways loomgen cannot follow."""
        for entry in self.mro(scan, class_scan):
            name = unseen(entry)
            if name is not None:
                raise Unsupported(class_scan.node, cannot_see(name))
            if isinstance(entry, str):
                continue
            owner_scan, owner = entry
            if owner.dynamic is not None:
                raise Unsupported(class_scan.node, owner.dynamic)
            patched = owner_scan.patched.get(owner.qualname.split(".")[0])
            if patched is not None:
                raise Unsupported(class_scan.node, patched)
            if "execute" in owner.attributes:
                raise Unsupported(
                    owner.attributes["execute"],
                    f"{owner.qualname}.execute is assigned, not defined with def",
                )

    def lookup(self, scan: ModuleScan, class_scan: ClassScan, attribute: str) -> Found | None:
        """Find ``attribute`` the way Python does: along the class's C3 MRO.

        loom's ``UseCase``/``Job`` define all four attributes loomgen reads
        (an abstract ``execute``, empty ``computes``/``rules``, ``read_only =
        False``), so reaching one of them means "the default" (``None``).
        Bases outside the scanned sources are assumed not to define them.
        """
        for entry in self.mro(scan, class_scan):
            name = unseen(entry)
            if name is not None:
                raise Unsupported(class_scan.node, cannot_see(name))
            if isinstance(entry, str):
                if entry in LOOM_BASES:
                    return None
                continue
            owner_scan, owner = entry
            if attribute == "execute" and "execute" in owner.attributes:
                raise Unsupported(
                    owner.attributes["execute"],
                    f"{owner.qualname}.execute is assigned, not defined with def",
                )
            if attribute == "execute" and owner.execute is not None:
                return Found(owner_scan, owner, owner.execute)
            if attribute != "execute" and attribute in owner.attributes:
                return Found(owner_scan, owner, owner.attributes[attribute])
        return None

    def mro(self, scan: ModuleScan, class_scan: ClassScan, depth: int = 0) -> list[MroEntry]:
        """The C3 linearization of a scanned class (loom bases as ``"UseCase"``/``"Job"``)."""
        key = (scan.source.module, class_scan.qualname)
        cached = self._mros.get(key)
        if cached is not None:
            return cached
        if depth > 50:
            raise Unsupported(class_scan.node, "class hierarchy too deep to follow")
        sequences: list[list[MroEntry]] = []
        direct: list[MroEntry] = []
        for base in class_scan.bases:
            loom = self.base_kind(scan, base)
            parent = None if loom is not None else self.class_of(scan, class_scan, base)
            if loom is not None:
                entry: MroEntry = loom
                sequences.append([loom])
            elif parent is not None:
                entry = parent
                sequences.append(self.mro(*parent, depth=depth + 1))
            else:
                entry = self._outside(scan, base)
                sequences.append([entry])
            direct.append(entry)
        merged = c3_merge([*sequences, direct])
        if merged is None:
            raise Unsupported(
                class_scan.node, "its bases have no consistent method resolution order"
            )
        result: list[MroEntry] = [(scan, class_scan), *merged]
        self._mros[key] = result
        return result

    def _outside(self, scan: ModuleScan, base: cst.BaseExpression) -> str:
        """The MRO entry of a base that is no scanned class."""
        node = base.value if isinstance(base, cst.Subscript) else base
        written = one_line(scan.code(base))
        try:
            found = self.resolver.definition_of(self.resolver.reference(scan, node))
        except Unsupported:
            return f"unseen:{written}"
        if found.kind == "builtin":
            return f"external:builtins.{found.name}"
        if found.kind in ("external", "attribute") and found.scan is None:
            if found.module.split(".")[0] in KNOWN_MODULES:
                return f"external:{found.module}.{found.name}"
        return f"unseen:{written}"


def _parent(scan: ModuleScan, class_scan: ClassScan) -> ClassScan | None:
    """The class whose body defines ``class_scan`` (``None`` at module level)."""
    outer, _, _ = class_scan.qualname.rpartition(".")
    if not outer:
        return None
    parts = outer.split(".")
    found = scan.classes.get(parts[0])
    if found is None:
        found = next((c for c in scan.conditional if c.name == parts[0]), None)
    for part in parts[1:]:
        if found is None:
            return None
        found = found.classes.get(part)
    return found


def _mro_key(entry: MroEntry) -> tuple[str, str]:
    if isinstance(entry, str):
        return ("", entry)
    return (entry[0].source.module, entry[1].qualname)


def c3_merge(sequences: list[list[MroEntry]]) -> list[MroEntry] | None:
    """Python's C3 merge; ``None`` when no consistent order exists."""
    pending = [list(sequence) for sequence in sequences if sequence]
    result: list[MroEntry] = []
    while pending:
        for sequence in pending:
            head = _mro_key(sequence[0])
            if not any(head in map(_mro_key, other[1:]) for other in pending):
                chosen = sequence[0]
                break
        else:
            return None
        result.append(chosen)
        chosen_key = _mro_key(chosen)
        pending = [
            [entry for entry in sequence if _mro_key(entry) != chosen_key] for sequence in pending
        ]
        pending = [sequence for sequence in pending if sequence]
    return result
