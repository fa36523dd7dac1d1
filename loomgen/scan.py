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

from loomgen.diagnostics import Diagnostic, printable
from loomgen.discover import SourceFile
from loomgen.ir import Import, Location


class Unsupported(Exception):
    """A construct loomgen cannot specialize on; the use case is interpreted."""

    def __init__(self, node: cst.CSTNode, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


class Unstable(Unsupported):
    """A name whose binding loomgen cannot pin down: see :attr:`ModuleScan.unstable`."""


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
    annotations: dict[str, cst.BaseExpression] = field(default_factory=dict)
    """Annotated class attributes (model fields): name -> annotation."""
    functions: dict[str, cst.FunctionDef] = field(default_factory=dict)
    """Functions defined in the class body (methods), but ``execute``."""
    dynamic: str | None = None
    """Why the class may be changed while or after it is created (a class
    decorator, ``__init_subclass__``, a metaclass...), or ``None``."""

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
    unstable: dict[str, str] = field(default_factory=dict)
    """Top-level names that may not hold, when a use case is prepared, what
    their first binding gave them: bound again, deleted, assigned through
    ``global`` or a walrus, or possibly replaced by a later star import.
    Name -> why."""
    patched: dict[str, str] = field(default_factory=dict)
    """Top-level names whose object module-level code changes after it is bound
    (``Invite.rules = [...]``, ``setattr(Invite, ...)``, ``Invite.rules.append(...)``):
    name -> why."""
    stars_after: dict[str, list[str]] = field(default_factory=dict)
    """Top-level names and the modules star-imported after their first binding
    (``from x import *``): such a name is unstable when ``x`` may export it."""
    conditional: list[ClassScan] = field(default_factory=list)
    """Classes defined under a top-level ``if``/``try``/``with``/loop/``match``."""
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
    _find_unstable(scan, package)
    for statement in tree.body:
        if isinstance(statement, cst.ClassDef):
            scan.classes[identifier(statement.name)] = _scan_class(statement, "")
        elif isinstance(statement, cst.FunctionDef):
            scan.functions[identifier(statement.name)] = statement
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                _scan_small_statement(scan, small, package)
        elif isinstance(statement, cst.BaseCompoundStatement):
            # Names bound conditionally: known to exist, not known statically.
            scan.conditional.extend(_scan_class(node, "") for node in _nested_classes(statement))
            for name in _bound_names(statement):
                scan.assigned.add(name)
                scan.constants.pop(name, None)
                scan.imports.pop(name, None)
    for name in scan.rebound:
        scan.constants.pop(name, None)
    return scan


class _Bindings(cst.CSTVisitor):
    """Every binding of a module-level name, in the order the module runs them."""

    def __init__(self, package: str) -> None:
        self.package = package
        self.events: list[tuple[str, str, object]] = []
        """``(name, how, what)``: what an import binds, else the node."""
        self.globals: dict[str, str] = {}
        self.patched: dict[str, str] = {}
        self.depth = 0  # inside a function or class body (own scope)

    def patch(self, target: cst.BaseExpression, why: str) -> None:
        root = target
        while isinstance(root, (cst.Attribute, cst.Subscript)):
            root = root.value
        if self.depth == 0 and isinstance(root, cst.Name) and root is not target:
            name = identifier(root)
            self.patched.setdefault(name, f"{why} changes '{name}' after it is defined")

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Name) and func.value in ("setattr", "delattr") and node.args:
            first = node.args[0].value
            if isinstance(first, cst.Name):
                self.patched.setdefault(
                    identifier(first),
                    f"{func.value}() changes '{identifier(first)}' after it is defined",
                )
        elif isinstance(func, cst.Attribute) and isinstance(
            func.value, (cst.Attribute, cst.Subscript)
        ):
            self.patch(func.value, "a method call on one of its attributes")

    def bind(self, name: str, how: str, what: object) -> None:
        if self.depth == 0:
            self.events.append((name, how, what))

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.bind(identifier(node.name), "class", node)
        self.depth += 1
        return True

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self.depth -= 1

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.bind(identifier(node.name), "def", node)
        self.depth += 1
        return True

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.depth -= 1

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        self.depth += 1
        return True

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self.depth -= 1

    def visit_Global(self, node: cst.Global) -> None:
        for item in node.names:
            self.globals.setdefault(identifier(item.name), "declared `global` in a function")

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            path = dotted(alias.name)
            if alias.asname is not None:
                self.bind(name_of(alias.asname.name), "import", ("import", path))
            else:
                root = path.split(".")[0]
                self.bind(root, "import", ("import", root))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = dotted(node.module) if node.module is not None else ""
        module = "." * len(node.relative) + module
        if isinstance(node.names, cst.ImportStar):
            self.bind("*", "star", module)
            return
        for alias in node.names:
            name = dotted(alias.name)
            local = name_of(alias.asname.name) if alias.asname is not None else name
            self.bind(local, "import", (module, name))

    def _targets(self, target: cst.BaseExpression, how: str, node: cst.CSTNode) -> None:
        if isinstance(target, cst.Name):
            self.bind(identifier(target), how, node)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._targets(element.value, how, node)
        elif isinstance(target, cst.StarredElement):
            self._targets(target.value, how, node)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._targets(node.target, "assignment", node)
        self.patch(node.target, "an assignment to one of its attributes")

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._targets(node.target, "assignment", node)
            self.patch(node.target, "an assignment to one of its attributes")

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._targets(node.target, "augmented assignment", node)
        self.patch(node.target, "an augmented assignment to one of its attributes")

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._targets(node.target, "walrus (:=)", node)

    def visit_For(self, node: cst.For) -> None:
        self._targets(node.target, "for loop", node)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self.depth += 1  # comprehension variables are local to it

    def leave_CompFor(self, node: cst.CompFor) -> None:
        self.depth -= 1

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._targets(node.asname.name, "with ... as", node)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self._targets(node.name.name, "except ... as", node)

    def visit_Del(self, node: cst.Del) -> None:
        self._targets(node.target, "del", node)
        if isinstance(node.target, (cst.Tuple, cst.List)):
            for element in node.target.elements:
                self.patch(element.value, "del of one of its attributes")
        else:
            self.patch(node.target, "del of one of its attributes")

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        if node.name is not None:
            self.bind(identifier(node.name), "match pattern", node)

    def visit_MatchStar(self, node: cst.MatchStar) -> None:
        if node.name is not None:
            self.bind(identifier(node.name), "match pattern", node)

    def visit_MatchMapping(self, node: cst.MatchMapping) -> None:
        if node.rest is not None:
            self.bind(identifier(node.rest), "match pattern", node)


def _find_unstable(scan: ModuleScan, package: str) -> None:
    """Fill ``scan.unstable``: names whose first binding may not be what a use
    case meets (see :attr:`ModuleScan.unstable`)."""
    visitor = _Bindings(package)
    scan.tree.visit(visitor)
    first: dict[str, object] = {}
    for name, how, what in visitor.events:
        if how == "star":
            if what in ("typing", "typing_extensions", "__future__"):
                continue  # they export no name a use case's facts depend on
            module = _absolute_module(str(what), package)
            for earlier in first:
                scan.stars_after.setdefault(earlier, []).append(module)
            continue
        if name not in first:
            first[name] = what if how == "import" else None
            continue
        if how == "import" and first[name] == what:
            continue  # the same import again binds the same object
        scan.unstable.setdefault(name, f"'{name}' is bound again after its definition ({how})")
    for name, why in visitor.globals.items():
        scan.unstable.setdefault(name, f"'{name}' is {why}")
    scan.patched = visitor.patched


def _absolute_module(written: str, package: str) -> str:
    """``..x`` written in ``package`` -> the absolute module name."""
    dots = len(written) - len(written.lstrip("."))
    if not dots:
        return written
    base = package.split(".") if package else []
    if dots > 1:
        base = base[: -(dots - 1)] if dots - 1 <= len(base) else []
    rest = written[dots:]
    return ".".join([*base, *([rest] if rest else [])])


def exported(scan: ModuleScan, name: str) -> bool:
    """Whether ``from <scan's module> import *`` may bind ``name``."""
    listed = scan.constants.get("__all__")
    if isinstance(listed, (cst.List, cst.Tuple)):
        values = [
            e.value.evaluated_value
            for e in listed.elements
            if isinstance(e.value, cst.SimpleString)
        ]
        if len(values) == len(listed.elements):
            return name in values
    if "__all__" in scan.assigned:
        return True  # computed: it may list anything
    if name.startswith("_"):
        return False
    return (
        name in scan.classes
        or name in scan.functions
        or name in scan.assigned
        or name in scan.imports
        or name in scan.stars_after
        or bool(_star_modules(scan))
    )


def _star_modules(scan: ModuleScan) -> list[str]:
    return sorted({module for modules in scan.stars_after.values() for module in modules})


def _nested_classes(node: cst.CSTNode) -> Iterator[cst.ClassDef]:
    """Classes defined in a compound statement, not inside a function or class."""
    for child in node.children:
        if isinstance(child, cst.ClassDef):
            yield child
        elif not isinstance(child, (cst.FunctionDef, cst.Lambda)):
            yield from _nested_classes(child)


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


class _BodyBindings(cst.CSTVisitor):
    """Every name a statement binds in the scope it runs in (a class body):
    assignments of any form, imports, ``def``/``class``, loop, ``with``,
    ``except`` and ``match`` targets, walruses. Nested scopes are not entered."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def add(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.names.add(identifier(target))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.add(element.value)
        elif isinstance(target, cst.StarredElement):
            self.add(target.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.names.add(identifier(node.name))
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.names.add(identifier(node.name))
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_CompFor(self, node: cst.CompFor) -> bool:
        return False

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        if node.asname is not None:
            self.add(node.asname.name)
        else:
            self.names.add(dotted(node.name).split(".")[0])

    def visit_ImportStar(self, node: cst.ImportStar) -> None:
        self.names.add("*")

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.add(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.add(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.add(node.target)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.add(node.target)

    def visit_For(self, node: cst.For) -> None:
        self.add(node.target)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self.add(node.asname.name)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self.add(node.name.name)

    def visit_Del(self, node: cst.Del) -> None:
        self.add(node.target)

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        if node.name is not None:
            self.names.add(identifier(node.name))

    def visit_MatchStar(self, node: cst.MatchStar) -> None:
        if node.name is not None:
            self.names.add(identifier(node.name))

    def visit_MatchMapping(self, node: cst.MatchMapping) -> None:
        if node.rest is not None:
            self.names.add(identifier(node.rest))


def _names_bound_in(statement: cst.CSTNode) -> set[str]:
    visitor = _BodyBindings()
    statement.visit(visitor)
    return visitor.names


_COMPOUND = {
    "If": "an if",
    "Try": "a try",
    "TryStar": "a try",
    "For": "a for",
    "While": "a while",
    "With": "a with",
    "Match": "a match",
}


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
    annotations: dict[str, cst.BaseExpression] = {}
    functions: dict[str, cst.FunctionDef] = {}
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    dynamic = None
    if node.decorators:
        dynamic = "a class decorator may change the class"
    elif any(arg.keyword is not None for arg in node.bases):
        dynamic = "its class statement passes keywords (a metaclass may change the class)"
    elif any(arg.star for arg in node.bases):
        dynamic = "its bases are unpacked with *"
    for index, statement in enumerate(body):
        if isinstance(statement, cst.FunctionDef) and identifier(statement.name) == "execute":
            execute = statement
            order.setdefault("execute", index)
        elif isinstance(statement, cst.FunctionDef):
            functions[identifier(statement.name)] = statement
            if identifier(statement.name) in ("__init_subclass__", "__class_getitem__"):
                dynamic = dynamic or (
                    f"{qualname} defines {identifier(statement.name)}, which may change the class"
                )
        elif isinstance(statement, cst.ClassDef):
            nested[identifier(statement.name)] = _scan_class(statement, qualname)
        elif isinstance(statement, cst.BaseCompoundStatement):
            bound = sorted(_names_bound_in(statement))
            if bound and dynamic is None:
                kind = _COMPOUND.get(type(statement).__name__, "a compound")
                dynamic = (
                    f"'{bound[0]}' is bound under {kind} statement in the body of {qualname}:"
                    " which binding runs is decided when the class is created"
                )
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    for target in small.targets:
                        if isinstance(target.target, cst.Name):
                            attributes[identifier(target.target)] = small.value
                            order.setdefault(identifier(target.target), index)
                elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                    annotations[identifier(small.target)] = small.annotation.annotation
                    if small.value is not None:
                        attributes[identifier(small.target)] = small.value
                        order.setdefault(identifier(small.target), index)
    bases = tuple(arg.value for arg in node.bases if arg.keyword is None)
    return ClassScan(
        name,
        node,
        bases,
        attributes,
        execute,
        qualname,
        nested,
        order,
        annotations,
        functions,
        dynamic,
    )


def string_annotation(node: cst.SimpleString) -> cst.BaseExpression | None:
    """The expression a quoted annotation (``"Patch[int]"``) holds, as Python
    would evaluate it; ``None`` when the string is not one expression."""
    value = node.evaluated_value
    if not isinstance(value, str):
        return None
    try:
        return cst.parse_expression(value)
    except cst.ParserSyntaxError:
        return None


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
    text = re.sub(r"\s+\.(?=\w)", ".", text)  # a chain of calls split over lines
    return printable(text)
