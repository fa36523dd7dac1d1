"""Scanning: one module's syntax tree and an index of its top-level names.

Nothing is imported or executed. A :class:`ModuleScan` records, for one
source module, what each top-level name is bound to (an import, a class, a
function, an assignment) so that :mod:`loomgen.resolve` can follow names
across modules without reading the trees again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from loomgen.diagnostics import Diagnostic
from loomgen.discover import SourceFile
from loomgen.ir import Import, Location


class Unsupported(Exception):
    """A construct loomgen cannot specialize on; the use case is interpreted."""

    def __init__(self, node: cst.CSTNode, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


class Invalid(Unsupported):
    """A structural mistake the runtime compiler rejects too."""


# -- scanning one module ---------------------------------------------------------


@dataclass
class ClassScan:
    """A class statement: its bases, simple attributes, ``execute`` and nested classes.

    ``qualname`` is the dotted path from the module (``Outer.Inner``).
    """

    name: str
    node: cst.ClassDef
    bases: tuple[cst.BaseExpression, ...]
    attributes: dict[str, cst.BaseExpression]
    execute: cst.FunctionDef | None
    qualname: str = ""
    classes: dict[str, ClassScan] = field(default_factory=dict)
    order: dict[str, int] = field(default_factory=dict)
    """Statement index of the first binding of each attribute (and of ``execute``)."""

    def visible_before(self, name: str) -> frozenset[str]:
        """The attributes already bound when the statement binding ``name`` runs:
        a class body runs top to bottom, so a default of ``execute`` or an entry
        of ``computes`` sees only the attributes assigned above it."""
        limit = self.order.get(name, len(self.order) + 1_000_000)
        return frozenset(a for a in self.attributes if self.order.get(a, limit) < limit)

    def walk(self) -> Iterator[ClassScan]:
        """This class, then its nested classes, depth first in source order."""
        yield self
        for nested in self.classes.values():
            yield from nested.walk()


@dataclass
class ModuleScan:
    """The top-level facts of one module."""

    source: SourceFile
    tree: cst.Module
    imports: dict[str, Import] = field(default_factory=dict)
    classes: dict[str, ClassScan] = field(default_factory=dict)
    functions: dict[str, cst.FunctionDef] = field(default_factory=dict)
    assigned: set[str] = field(default_factory=set)
    constants: dict[str, cst.BaseExpression] = field(default_factory=dict)
    """Names assigned exactly once, unconditionally, at top level: their value."""
    rebound: set[str] = field(default_factory=set)
    future_annotations: bool = False
    """``from __future__ import annotations``: annotations are evaluated later,
    by the runtime, in the finished class namespace."""

    _positions: dict[cst.CSTNode, CodeRange] | None = None

    @property
    def positions(self) -> dict[cst.CSTNode, CodeRange]:
        """Where each node is; computed on first use (a module only read for its
        definitions, such as a shared domain module, never needs it)."""
        if self._positions is None:
            wrapper = MetadataWrapper(self.tree, unsafe_skip_copy=True)
            self._positions = dict(wrapper.resolve(PositionProvider))
        return self._positions

    def location(self, node: cst.CSTNode) -> Location:
        """Where ``node`` is (computed only if someone reads it)."""
        return Location(self.source.display, find=lambda: self._position(node))

    def _position(self, node: cst.CSTNode) -> tuple[int, int]:
        found = self.positions.get(node)
        if found is None:
            return 1, 1
        return found.start.line, found.start.column + 1

    def code(self, node: cst.CSTNode) -> str:
        return self.tree.code_for_node(node)


def scan_module(source: SourceFile, text: str) -> ModuleScan | Diagnostic:
    """Parse ``text`` and index its imports and top-level definitions.

    CPython compiles the text first (nothing runs): it rejects everything the
    import of the module would reject (duplicate arguments, ``return`` outside
    a function...) and words syntax errors best. libcst then gives the tree.
    """
    try:
        compile(text, source.display, "exec", dont_inherit=True)
    except SyntaxError as error:
        return Diagnostic(
            source.display, error.lineno or 1, error.offset or 1, f"syntax error: {error.msg}"
        )
    except ValueError as error:  # e.g. a NUL byte
        return Diagnostic(source.display, 1, 1, f"syntax error: {error}")
    try:
        tree = cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        return Diagnostic(
            source.display,
            error.editor_line,
            error.editor_column,
            f"syntax error: {error.message}",
        )
    scan = ModuleScan(source, tree)
    package = _package_of(source)
    for statement in tree.body:
        if isinstance(statement, cst.ClassDef):
            scan.classes[identifier(statement.name)] = _scan_class(statement, "")
        elif isinstance(statement, cst.FunctionDef):
            scan.functions[identifier(statement.name)] = statement
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                _scan_small_statement(scan, small, package)
        elif isinstance(statement, (cst.If, cst.Try, cst.With, cst.For, cst.While)):
            # Names bound conditionally: known to exist, not known statically.
            for name in _bound_names(statement):
                scan.assigned.add(name)
                scan.constants.pop(name, None)
                scan.imports.pop(name, None)
    for name in scan.rebound:
        scan.constants.pop(name, None)
    return scan


def _package_of(source: SourceFile) -> str:
    if source.path.name == "__init__.py":
        return source.module
    return source.module.rpartition(".")[0]


def _scan_small_statement(scan: ModuleScan, small: cst.BaseSmallStatement, package: str) -> None:
    if isinstance(small, cst.Import):
        for alias in small.names:
            path = dotted(alias.name)
            if alias.asname is not None:
                local = name_of(alias.asname.name)
                scan.imports[local] = Import(path)
            else:
                root = path.split(".")[0]
                scan.imports[root] = Import(root)
    elif isinstance(small, cst.ImportFrom):
        module = dotted(small.module) if small.module is not None else ""
        if small.relative:
            base = package.split(".") if package else []
            levels = len(small.relative) - 1
            if levels:
                base = base[:-levels] if levels <= len(base) else []
            module = ".".join(part for part in (*base, *(module.split(".") if module else ())))
        if isinstance(small.names, cst.ImportStar):
            return
        if module == "__future__" and any(
            isinstance(alias.name, cst.Name) and alias.name.value == "annotations"
            for alias in small.names
        ):
            scan.future_annotations = True
        for alias in small.names:
            name = dotted(alias.name)
            local = name_of(alias.asname.name) if alias.asname is not None else name
            scan.imports[local] = Import(module, name)
    elif isinstance(small, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
        targets = (
            [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
        )
        for target in targets:
            if isinstance(target, cst.Name):
                name = identifier(target)
                if name in scan.assigned or isinstance(small, cst.AugAssign):
                    scan.rebound.add(name)
                scan.assigned.add(name)
                scan.imports.pop(name, None)
                if small.value is not None and not isinstance(small, cst.AugAssign):
                    scan.constants[name] = small.value


def _bound_names(node: cst.CSTNode) -> Iterator[str]:
    for child in node.children:
        if isinstance(child, (cst.ClassDef, cst.FunctionDef)):
            yield identifier(child.name)
        elif isinstance(child, cst.ImportAlias):
            yield name_of(child.asname.name) if child.asname else dotted(child.name).split(".")[0]
        elif isinstance(child, cst.AssignTarget) and isinstance(child.target, cst.Name):
            yield identifier(child.target)
        else:
            yield from _bound_names(child)


def _scan_class(node: cst.ClassDef, outer: str) -> ClassScan:
    attributes: dict[str, cst.BaseExpression] = {}
    execute: cst.FunctionDef | None = None
    nested: dict[str, ClassScan] = {}
    name = identifier(node.name)
    qualname = f"{outer}.{name}" if outer else name
    order: dict[str, int] = {}
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    for index, statement in enumerate(body):
        if isinstance(statement, cst.FunctionDef) and identifier(statement.name) == "execute":
            execute = statement
            order.setdefault("execute", index)
        elif isinstance(statement, cst.ClassDef):
            nested[identifier(statement.name)] = _scan_class(statement, qualname)
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    for target in small.targets:
                        if isinstance(target.target, cst.Name):
                            attributes[identifier(target.target)] = small.value
                            order.setdefault(identifier(target.target), index)
                elif isinstance(small, cst.AnnAssign) and small.value is not None:
                    if isinstance(small.target, cst.Name):
                        attributes[identifier(small.target)] = small.value
                        order.setdefault(identifier(small.target), index)
    bases = tuple(arg.value for arg in node.bases if arg.keyword is None)
    return ClassScan(name, node, bases, attributes, execute, qualname, nested, order)


def identifier(name: cst.Name) -> str:
    """The identifier as Python sees it: NFKC-normalized (``ﬁx`` is ``fix``)."""
    return unicodedata.normalize("NFKC", name.value)


def dotted(node: cst.BaseExpression | cst.Attribute | cst.Name) -> str:
    """``a.b.c`` for a name or attribute chain; ``ValueError`` for anything else."""
    if isinstance(node, cst.Name):
        return identifier(node)
    if isinstance(node, cst.Attribute):
        return f"{dotted(node.value)}.{identifier(node.attr)}"
    raise ValueError("not a dotted name")


def name_of(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return identifier(node)
    raise ValueError("not a name")


_SPACES = re.compile(r"\s*\n\s*")


def one_line(code: str) -> str:
    """Source text on one line, for comments (never contains a line break)."""
    text = _SPACES.sub(" ", code.strip())
    text = re.sub(r"\(\s+", "(", text)
    text = re.sub(r",?\s+\)", ")", text)
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )
