"""Name resolution: what a name or dotted expression in a scanned module denotes.

The one place that follows imports and aliases across the scanned modules:
to a class or function in the sources, to a module-level constant, to a
builtin, or out of the sources (a ``loom`` name among them). Every question
of the form "is this loom's ``Input``?" or "what string does ``KEY`` hold?"
is answered here.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import libcst as cst

from loomgen.ir import Import, Ref
from loomgen.scan import (
    ClassScan,
    ModuleScan,
    Unstable,
    Unsupported,
    dotted,
    exported,
    identifier,
    one_line,
)

LOOM_NAMES = frozenset(
    {
        "UseCase",
        "Job",
        "Input",
        "LoadById",
        "Load",
        "Exists",
        "OnMissing",
        "Compute",
        "Rule",
        "F",
        "CommandField",
        "Patch",
        "Internal",
        "Computed",
    }
)
"""Public loom names loomgen recognizes, however they are imported."""
TYPING_MODULES = frozenset({"typing", "typing_extensions"})
MAX_DEPTH = 20
"""How many imports or constants deep a name is followed."""


@dataclass(frozen=True)
class Definition:
    """Where a name was finally defined: a scanned module, or outside them."""

    module: str
    name: str
    scan: ModuleScan | None
    kind: str  # "class", "function", "assigned", "module", "external", "builtin"


class Resolver:
    """Resolves names and dotted expressions across every scanned module.

    ``modules`` maps module names to their scans; it is only ever queried by
    name (``get``, ``in``, ``[]``), never iterated, so a mapping that parses
    modules on demand, and records what was asked, works as well as a dict.
    """

    def __init__(self, modules: Sequence[ModuleScan] | Mapping[str, ModuleScan]) -> None:
        self.modules: Mapping[str, ModuleScan] = (
            modules
            if isinstance(modules, Mapping)
            else {scan.source.module: scan for scan in modules}
        )

    def define(self, module: str, name: str, depth: int = 0) -> Definition:
        """Follow imports from ``module.name`` to where the object is defined."""
        scan = self.modules.get(module)
        if scan is None or depth > MAX_DEPTH:
            if name == "" or (module + "." + name) in self.modules:
                target = module if name == "" else f"{module}.{name}"
                return Definition(target, "", self.modules.get(target), "module")
            return Definition(module, name, None, "external")
        if name == "":
            return Definition(module, "", scan, "module")
        why = self.unstable(scan, name)
        if why is not None:
            raise Unstable(scan.tree, f"{why} in {module}")
        if name in scan.classes:
            return Definition(module, name, scan, "class")
        if name in scan.functions:
            return Definition(module, name, scan, "function")
        if name in scan.assigned:
            return Definition(module, name, scan, "assigned")
        imported = scan.imports.get(name)
        if imported is not None:
            return self.define(imported.module, imported.name, depth + 1)
        if f"{module}.{name}" in self.modules:
            return Definition(f"{module}.{name}", "", self.modules[f"{module}.{name}"], "module")
        return Definition(module, name, None, "external")

    def unstable(self, scan: ModuleScan, name: str) -> str | None:
        """Why the top-level ``name`` of ``scan`` may not hold what its first
        binding gave it (see :attr:`ModuleScan.unstable`), or ``None``."""
        why = scan.unstable.get(name)
        if why is not None:
            return why
        for module in scan.stars_after.get(name, ()):
            if _star_may_bind(self.modules.get(module), module, name):
                return f"'{name}' may be rebound by the later `from {module} import *`"
        return None

    def reference(
        self,
        scan: ModuleScan,
        node: cst.BaseExpression,
        class_scope: ClassScan | None = None,
        visible: frozenset[str] | None = None,
    ) -> Ref:
        """A :class:`Ref` for the dotted expression ``node`` as seen from ``scan``,
        or from the body of ``class_scope`` where only the attributes in
        ``visible`` (default: all of them) are bound yet."""
        try:
            path = dotted(node)
        except ValueError:
            raise Unsupported(node, f"'{one_line(scan.code(node))}' is not a plain name") from None
        root, *attributes = path.split(".")
        try:
            return self._reference(scan, node, path, root, attributes, class_scope, visible)
        except Unstable as problem:
            if problem.node is node:
                raise
            raise Unstable(node, problem.message) from None

    def _reference(
        self,
        scan: ModuleScan,
        node: cst.BaseExpression,
        path: str,
        root: str,
        attributes: list[str],
        class_scope: ClassScan | None,
        visible: frozenset[str] | None,
    ) -> Ref:
        attributes_bound = (
            frozenset()
            if class_scope is None
            else (visible if visible is not None else frozenset(class_scope.attributes))
        )
        if class_scope is not None and root in attributes_bound:
            # Defaults in a method signature are evaluated in the class body.
            return class_attribute(scan, class_scope, path)
        why = self.unstable(scan, root)
        if why is not None:
            raise Unstable(node, why)
        if root in scan.classes or root in scan.functions or root in scan.assigned:
            origin = Import(scan.source.module, root)
        elif root in scan.imports:
            imported = scan.imports[root]
            if imported.name:
                found = self.define(imported.module, imported.name)
                origin = (
                    Import(found.module, found.name)
                    if found.kind in ("class", "function", "assigned")
                    else imported
                )
                if found.kind == "module":
                    origin = Import(found.module)
            else:
                origin = imported
        elif hasattr(builtins, root):
            return Ref(path, root, None)
        else:
            raise Unsupported(node, f"cannot resolve the name '{root}' statically")
        bound = origin.name or origin.module.rpartition(".")[2]
        return Ref(".".join((bound, *attributes)), bound, origin)

    def definition_of(self, ref: Ref) -> Definition:
        """Where the object a :class:`Ref` denotes is defined."""
        if ref.origin is None:
            return Definition("builtins", ref.root, None, "builtin")
        found = self.define(ref.origin.module, ref.origin.name)
        for attribute in ref.attributes:
            if found.kind != "module":
                return Definition(found.module, f"{found.name}.{attribute}", None, "attribute")
            found = self.define(found.module, attribute)
        return found

    def loom_name(self, scan: ModuleScan, node: cst.BaseExpression) -> str | None:
        """The public loom name ``node`` denotes (``"Input"``, ``"UseCase"``,
        ``"OnMissing"``...), however it was imported: directly, under another
        name, or through a module (``uc.Input``). ``None`` for anything else.
        A subscript (``UseCase[A, B]``) denotes what it subscripts."""
        if isinstance(node, cst.Subscript):
            node = node.value
        try:
            path = dotted(node)
        except ValueError:
            return None
        root, *attributes = path.split(".")
        why = self.unstable(scan, root)
        if why is not None:
            raise Unstable(node, why)
        if root in scan.imports:
            imported = scan.imports[root]
            try:
                found = self.define(imported.module, imported.name)
            except Unstable as problem:
                raise Unstable(node, problem.message) from None
            rest = list(attributes)
            while found.kind == "module" and found.scan is not None and rest:
                # An attribute of a module loomgen reads: follow what it binds.
                try:
                    found = self.define(found.module, rest.pop(0))
                except Unstable as problem:
                    raise Unstable(node, problem.message) from None
            if found.kind not in ("external", "module"):
                return None  # defined in the sources: not loom's
            path = ".".join(part for part in (found.module, found.name, *rest) if part)
        elif root in scan.classes or root in scan.functions or root in scan.assigned:
            return None
        elif not attributes:
            # Unbound here: a star import. The bare name is trusted.
            return path if path in LOOM_NAMES else None
        module, _, last = path.rpartition(".")
        if (module == "loom" or module.startswith("loom.")) and last in LOOM_NAMES:
            return last
        return None

    def constant(
        self, scan: ModuleScan, node: cst.BaseExpression
    ) -> tuple[ModuleScan, cst.BaseExpression]:
        """The value a module-level constant holds, and the module it is written
        in, following names and imports (``KEY = "email"``, ``from .keys import
        KEY``). ``(scan, node)`` itself when ``node`` is not a name bound once."""
        for _ in range(MAX_DEPTH):
            if not isinstance(node, cst.Name):
                break
            name = identifier(node)
            why = self.unstable(scan, name)
            if why is not None:
                raise Unstable(node, why)
            if name in scan.constants:
                node = scan.constants[name]
                continue
            imported = scan.imports.get(name)
            if imported is None or not imported.name:
                break
            found = self.define(imported.module, imported.name)
            if found.kind != "assigned" or found.scan is None:
                break
            if found.name not in found.scan.constants:
                break
            scan, node = found.scan, found.scan.constants[found.name]
        return scan, node

    def is_protocol(self, scan: ModuleScan, class_scan: ClassScan) -> bool:
        """Whether ``typing.Protocol`` is among the class's own bases."""
        for base in class_scan.bases:
            node = base.value if isinstance(base, cst.Subscript) else base
            try:
                found = self.definition_of(self.reference(scan, node))
            except Unsupported:
                continue
            if found.kind == "external" and found.module in TYPING_MODULES:
                if found.name == "Protocol":
                    return True
        return False

    def class_of(
        self, scan: ModuleScan, node: cst.BaseExpression
    ) -> tuple[ModuleScan, ClassScan] | None:
        """The scanned class a base expression names, if any."""
        if isinstance(node, cst.Subscript):
            node = node.value
        try:
            ref = self.reference(scan, node)
        except Unsupported:
            return None
        found = self.definition_of(ref)
        if found.kind == "class" and found.scan is not None:
            return found.scan, found.scan.classes[found.name]
        return None


def _star_may_bind(found: ModuleScan | None, module: str, name: str) -> bool:
    """Whether ``from module import *`` may bind ``name`` (``found``: its scan)."""
    if found is not None:
        return exported(found, name)
    if module == "loom" or module.startswith("loom."):
        import importlib

        try:
            loaded = importlib.import_module(module)
        except ImportError:
            return True
        names = getattr(loaded, "__all__", None)
        if isinstance(names, (list, tuple)):
            return name in names
        return not name.startswith("_") and hasattr(loaded, name)
    return True  # a module loomgen cannot read may export anything


def class_attribute(scan: ModuleScan, owner: ClassScan, path: str) -> Ref:
    """A :class:`Ref` to ``path`` read on the (possibly nested) class ``owner``."""
    root = owner.qualname.split(".")[0]
    return Ref(f"{owner.qualname}.{path}", root, Import(scan.source.module, root))
