"""Front end: read use case modules with libcst and build the IR.

Nothing is imported or executed: every fact comes from the syntax tree. A
use case is a class deriving (directly or through classes in the scanned
sources) from loom's ``UseCase`` or ``Job``. What cannot be resolved
statically (computed marker arguments, decorated ``execute``, names bound at
runtime...) becomes a warning at ``path:line:col`` and the use case is left
to the interpreter; structural mistakes the runtime compiler would reject
(two ``Input()``, a marker naming no parameter...) are errors.
"""

from __future__ import annotations

import ast
import builtins
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from loomgen.diagnostics import Diagnostic, Severity
from loomgen.discover import SourceFile
from loomgen.ir import (
    ExistsIR,
    FunctionIR,
    Import,
    InputIR,
    LoadIR,
    Location,
    ModuleIR,
    ParamIR,
    Ref,
    UseCaseIR,
)

LOOM_BASES = {"UseCase": "UseCase", "Job": "Job"}
MARKERS = ("Input", "LoadById", "Load", "Exists")
ON_MISSING = {"RAISE": "raise", "RETURN_NONE": "return_none", "RETURN_FALSE": "return_false"}
BUILTIN_CLASSES = frozenset(
    name for name in dir(builtins) if isinstance(getattr(builtins, name), type)
)
NEVER_CONVERTED = frozenset({"object"})
TYPING_MODULES = frozenset({"typing", "typing_extensions"})


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
    name: str
    node: cst.ClassDef
    bases: tuple[cst.BaseExpression, ...]
    attributes: dict[str, cst.BaseExpression]
    execute: cst.FunctionDef | None


@dataclass
class ModuleScan:
    """The top-level facts of one module."""

    source: SourceFile
    tree: cst.Module
    imports: dict[str, Import] = field(default_factory=dict)
    classes: dict[str, ClassScan] = field(default_factory=dict)
    functions: dict[str, cst.FunctionDef] = field(default_factory=dict)
    assigned: set[str] = field(default_factory=set)

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
            scan.classes[identifier(statement.name)] = _scan_class(statement)
        elif isinstance(statement, cst.FunctionDef):
            scan.functions[identifier(statement.name)] = statement
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                _scan_small_statement(scan, small, package)
        elif isinstance(statement, (cst.If, cst.Try, cst.With, cst.For, cst.While)):
            # Names bound conditionally: known to exist, not known statically.
            for name in _bound_names(statement):
                scan.assigned.add(name)
    return scan


def _package_of(source: SourceFile) -> str:
    if source.path.name == "__init__.py":
        return source.module
    return source.module.rpartition(".")[0]


def _scan_small_statement(scan: ModuleScan, small: cst.BaseSmallStatement, package: str) -> None:
    if isinstance(small, cst.Import):
        for alias in small.names:
            dotted = _dotted(alias.name)
            if alias.asname is not None:
                local = _name_of(alias.asname.name)
                scan.imports[local] = Import(dotted)
            else:
                root = dotted.split(".")[0]
                scan.imports[root] = Import(root)
    elif isinstance(small, cst.ImportFrom):
        module = _dotted(small.module) if small.module is not None else ""
        if small.relative:
            base = package.split(".") if package else []
            levels = len(small.relative) - 1
            if levels:
                base = base[:-levels] if levels <= len(base) else []
            module = ".".join(part for part in (*base, *(module.split(".") if module else ())))
        if isinstance(small.names, cst.ImportStar):
            return
        for alias in small.names:
            name = _dotted(alias.name)
            local = _name_of(alias.asname.name) if alias.asname is not None else name
            scan.imports[local] = Import(module, name)
    elif isinstance(small, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
        targets = (
            [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
        )
        for target in targets:
            if isinstance(target, cst.Name):
                scan.assigned.add(identifier(target))
                scan.imports.pop(identifier(target), None)


def _bound_names(node: cst.CSTNode) -> Iterator[str]:
    for child in node.children:
        if isinstance(child, (cst.ClassDef, cst.FunctionDef)):
            yield identifier(child.name)
        elif isinstance(child, cst.ImportAlias):
            yield _name_of(child.asname.name) if child.asname else _dotted(child.name).split(".")[0]
        elif isinstance(child, cst.AssignTarget) and isinstance(child.target, cst.Name):
            yield identifier(child.target)
        else:
            yield from _bound_names(child)


def _scan_class(node: cst.ClassDef) -> ClassScan:
    attributes: dict[str, cst.BaseExpression] = {}
    execute: cst.FunctionDef | None = None
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    for statement in body:
        if isinstance(statement, cst.FunctionDef) and identifier(statement.name) == "execute":
            execute = statement
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    for target in small.targets:
                        if isinstance(target.target, cst.Name):
                            attributes[identifier(target.target)] = small.value
                elif isinstance(small, cst.AnnAssign) and small.value is not None:
                    if isinstance(small.target, cst.Name):
                        attributes[identifier(small.target)] = small.value
    bases = tuple(arg.value for arg in node.bases if arg.keyword is None)
    return ClassScan(identifier(node.name), node, bases, attributes, execute)


def identifier(name: cst.Name) -> str:
    """The identifier as Python sees it: NFKC-normalized (``ﬁx`` is ``fix``)."""
    return unicodedata.normalize("NFKC", name.value)


def _dotted(node: cst.BaseExpression | cst.Attribute | cst.Name) -> str:
    if isinstance(node, cst.Name):
        return identifier(node)
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{identifier(node.attr)}"
    raise ValueError("not a dotted name")


def _name_of(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return identifier(node)
    raise ValueError("not a name")


# -- resolving names across the scanned modules ------------------------------------


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
        if scan is None or depth > 20:
            if name == "" or (module + "." + name) in self.modules:
                target = module if name == "" else f"{module}.{name}"
                return Definition(target, "", self.modules.get(target), "module")
            return Definition(module, name, None, "external")
        if name == "":
            return Definition(module, "", scan, "module")
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

    def reference(
        self, scan: ModuleScan, node: cst.BaseExpression, class_scope: ClassScan | None = None
    ) -> Ref:
        """A :class:`Ref` for the dotted expression ``node`` as seen from ``scan``."""
        try:
            dotted = _dotted(node)
        except ValueError:
            raise Unsupported(node, f"'{_one_line(scan.code(node))}' is not a plain name") from None
        root, *attributes = dotted.split(".")
        if class_scope is not None and root in class_scope.attributes:
            # Defaults in a method signature are evaluated in the class body.
            return Ref(
                f"{class_scope.name}.{dotted}",
                class_scope.name,
                Import(scan.source.module, class_scope.name),
            )
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
            return Ref(dotted, root, None)
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

    def loom_base(self, scan: ModuleScan, node: cst.BaseExpression) -> str | None:
        """``"UseCase"``/``"Job"`` when ``node`` names loom's base class."""
        if isinstance(node, cst.Subscript):
            node = node.value
        try:
            dotted = _dotted(node)
        except ValueError:
            return None
        root, *attributes = dotted.split(".")
        last = dotted.split(".")[-1]
        if root in scan.imports:
            imported = scan.imports[root]
            found = self.define(imported.module, imported.name)
            module = found.module if found.kind in ("external", "module") else ""
            if attributes and found.kind == "module":
                module, last = ".".join((found.module, *attributes[:-1])), attributes[-1]
            elif found.kind == "external":
                last = found.name if not attributes else attributes[-1]
            if (module == "loom" or module.startswith("loom.")) and last in LOOM_BASES:
                return LOOM_BASES[last]
            return None
        if root in scan.classes or root in scan.functions or root in scan.assigned:
            return None
        return LOOM_BASES.get(dotted)

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


# -- building the IR ---------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    """A class attribute or method found on a class or one of its scanned bases."""

    scan: ModuleScan
    owner: ClassScan
    node: cst.CSTNode


class Analyzer:
    """Turns scanned modules into :class:`ModuleIR` values plus diagnostics."""

    def __init__(
        self, scans: Sequence[ModuleScan], modules: Mapping[str, ModuleScan] | None = None
    ) -> None:
        """Analyse the use cases of ``scans``, resolving names across ``modules``
        (default: ``scans`` themselves)."""
        self.scans = sorted(scans, key=lambda scan: scan.source.module)
        self.resolver = Resolver(self.scans if modules is None else modules)
        self.diagnostics: list[Diagnostic] = []
        self._kinds: dict[tuple[str, str], str | None] = {}
        self._mros: dict[tuple[str, str], list[MroEntry]] = {}

    def run(self) -> list[ModuleIR]:
        modules = []
        for scan in self.scans:
            use_cases = []
            for class_scan in scan.classes.values():
                kind = self.kind_of(scan, class_scan)
                if kind is None:
                    continue
                built = self.use_case(scan, class_scan, kind)
                if built is not None:
                    use_cases.append(built)
            if use_cases:
                modules.append(ModuleIR(scan.source.module, scan.source.display, tuple(use_cases)))
        return modules

    def report(self, scan: ModuleScan, problem: Unsupported, subject: str) -> None:
        severity = Severity.ERROR if isinstance(problem, Invalid) else Severity.WARNING
        suffix = "" if severity is Severity.ERROR else " (left to the interpreter)"
        location = scan.location(problem.node)
        self.diagnostics.append(
            Diagnostic(
                location.path,
                location.line,
                location.column,
                f"{subject}: {problem.message}{suffix}",
                severity,
            )
        )

    # Which classes are use cases ------------------------------------------------

    def kind_of(self, scan: ModuleScan, class_scan: ClassScan, depth: int = 0) -> str | None:
        key = (scan.source.module, class_scan.name)
        if key in self._kinds:
            return self._kinds[key]
        self._kinds[key] = None  # guards against cycles
        kind = None
        for base in class_scan.bases:
            kind = self.resolver.loom_base(scan, base)
            if kind is None and depth < 50:
                parent = self.resolver.class_of(scan, base)
                if parent is not None:
                    kind = self.kind_of(parent[0], parent[1], depth + 1)
            if kind is not None:
                break
        self._kinds[key] = kind
        return kind

    def lookup(self, scan: ModuleScan, class_scan: ClassScan, attribute: str) -> _Found | None:
        """Find ``attribute`` the way Python does: along the class's C3 MRO.

        loom's ``UseCase``/``Job`` define all four attributes loomgen reads
        (an abstract ``execute``, empty ``computes``/``rules``, ``read_only =
        False``), so reaching one of them means "the default" (``None``).
        Bases outside the scanned sources are assumed not to define them.
        """
        for entry in self.mro(scan, class_scan):
            if isinstance(entry, str):
                if entry in LOOM_BASES:
                    return None
                continue
            owner_scan, owner = entry
            if attribute == "execute" and owner.execute is not None:
                return _Found(owner_scan, owner, owner.execute)
            if attribute != "execute" and attribute in owner.attributes:
                return _Found(owner_scan, owner, owner.attributes[attribute])
        return None

    def mro(self, scan: ModuleScan, class_scan: ClassScan, depth: int = 0) -> list[MroEntry]:
        """The C3 linearization of a scanned class (loom bases as ``"UseCase"``/``"Job"``)."""
        key = (scan.source.module, class_scan.name)
        cached = self._mros.get(key)
        if cached is not None:
            return cached
        if depth > 50:
            raise Unsupported(class_scan.node, "class hierarchy too deep to follow")
        sequences: list[list[MroEntry]] = []
        direct: list[MroEntry] = []
        for base in class_scan.bases:
            loom = self.resolver.loom_base(scan, base)
            parent = None if loom is not None else self.resolver.class_of(scan, base)
            if loom is not None:
                entry: MroEntry = loom
                sequences.append([loom])
            elif parent is not None:
                entry = parent
                sequences.append(self.mro(*parent, depth=depth + 1))
            else:
                entry = f"external:{_one_line(scan.code(base))}"
                sequences.append([entry])
            direct.append(entry)
        merged = _c3_merge([*sequences, direct])
        if merged is None:
            raise Unsupported(
                class_scan.node, "its bases have no consistent method resolution order"
            )
        result: list[MroEntry] = [(scan, class_scan), *merged]
        self._mros[key] = result
        return result

    # One use case -----------------------------------------------------------------

    def use_case(self, scan: ModuleScan, class_scan: ClassScan, kind: str) -> UseCaseIR | None:
        subject = f"{scan.source.module}:{class_scan.name}"
        try:
            found = self.lookup(scan, class_scan, "execute")
        except Unsupported as problem:
            self.report(scan, problem, subject)
            return None
        if found is None:
            return None  # abstract: execute comes from loom's base class
        execute = found.node
        assert isinstance(execute, cst.FunctionDef)
        if any(_is_abstract(d) for d in execute.decorators):
            return None
        try:
            if execute.decorators:
                raise Unsupported(execute.decorators[0], "execute() is decorated")
            return self._build(scan, class_scan, kind, found)
        except Unsupported as problem:
            self.report(problem_scan(problem, scan, found), problem, subject)
            return None

    def _build(
        self, scan: ModuleScan, class_scan: ClassScan, kind: str, found: _Found
    ) -> UseCaseIR:
        execute = found.node
        assert isinstance(execute, cst.FunctionDef)
        execute_scan, owner = found.scan, found.owner
        params: list[ParamIR] = []
        input_ir: InputIR | None = None
        loads: list[LoadIR] = []
        exists: list[ExistsIR] = []
        parameters = execute.params
        if parameters.posonly_params:
            first = parameters.posonly_params
            if len(first) > 1 or _param_name(first[0]) != "self":
                culprit = first[1] if _param_name(first[0]) == "self" else first[0]
                raise Invalid(
                    culprit,
                    f"parameter '{_param_name(culprit)}' is positional-only;"
                    " the executor passes arguments by name",
                )
        ordered = [*parameters.posonly_params, *parameters.params, *parameters.kwonly_params]
        for index, param in enumerate(ordered):
            name = _param_name(param)
            if index == 0 and name == "self":
                continue
            where = _Where(execute_scan, self.resolver, owner)
            declaration = where.declaration(param)
            location = where.scan.location(param)
            marker = where.marker(param.default) if param.default is not None else None
            if marker is None:
                params.append(ParamIR(name, where.conversion_target(param), declaration, location))
                continue
            call, marker_name = marker
            arguments = where.arguments(call, marker_name)
            if marker_name == "Input":
                if input_ir is not None:
                    raise Invalid(
                        param,
                        f"parameter '{name}': only one Input() is allowed,"
                        f" '{input_ir.name}' already is one",
                    )
                input_ir = InputIR(name, where.command_type(param), declaration, location)
            elif marker_name == "LoadById":
                loads.append(
                    LoadIR(
                        name,
                        arguments.entity,
                        "param",
                        arguments.text("by", "id"),
                        "by_id",
                        "id",
                        arguments.text("profile", "default"),
                        arguments.policy("raise"),
                        declaration,
                        location,
                    )
                )
            else:
                source_kind, source_name = arguments.source()
                against = arguments.required_text("against")
                if marker_name == "Load":
                    loads.append(
                        LoadIR(
                            name,
                            arguments.entity,
                            source_kind,
                            source_name,
                            "by_field",
                            against,
                            arguments.text("profile", "default"),
                            arguments.policy("raise"),
                            declaration,
                            location,
                        )
                    )
                else:
                    exists.append(
                        ExistsIR(
                            name,
                            arguments.entity,
                            source_kind,
                            source_name,
                            against,
                            arguments.policy("return_false"),
                            declaration,
                            location,
                        )
                    )
        plain = {p.name for p in params}
        steps: list[LoadIR | ExistsIR] = [*loads, *exists]
        for step in steps:
            marker_label = (
                "Exists"
                if isinstance(step, ExistsIR)
                else ("LoadById" if step.lookup_kind == "by_id" else "Load")
            )
            node = _param_node(ordered, step.name)
            if step.source_kind == "param" and step.source_name not in plain:
                argument = "by" if marker_label == "LoadById" else "from_param"
                raise Invalid(
                    node,
                    f"parameter '{step.name}': {marker_label}({argument}={step.source_name!r})"
                    " names no plain parameter of execute",
                )
            if step.source_kind == "command" and input_ir is None:
                raise Invalid(
                    node,
                    f"parameter '{step.name}': {marker_label}(from_command="
                    f"{step.source_name!r}) needs an Input() parameter",
                )
        computes = self._functions(scan, class_scan, "computes")
        rules = self._functions(scan, class_scan, "rules")
        return UseCaseIR(
            module=scan.source.module,
            qualname=class_scan.name,
            use_case=Ref(
                class_scan.name, class_scan.name, Import(scan.source.module, class_scan.name)
            ),
            kind=kind,
            is_async=execute.asynchronous is not None,
            read_only=self._read_only(scan, class_scan),
            params=tuple(params),
            input=input_ir,
            loads=tuple(loads),
            exists=tuple(exists),
            computes=computes,
            rules=rules,
            location=scan.location(class_scan.node),
            execute_location=execute_scan.location(execute),
        )

    def _read_only(self, scan: ModuleScan, class_scan: ClassScan) -> bool:
        found = self.lookup(scan, class_scan, "read_only")
        if found is None:
            return False
        node = found.node
        if isinstance(node, cst.Name) and node.value in ("True", "False"):
            return node.value == "True"
        raise Unsupported(node, "read_only must be the literal True or False")

    def _functions(
        self, scan: ModuleScan, class_scan: ClassScan, attribute: str
    ) -> tuple[FunctionIR, ...]:
        found = self.lookup(scan, class_scan, attribute)
        if found is None:
            return ()
        node = found.node
        if not isinstance(node, (cst.List, cst.Tuple)):
            raise Unsupported(node, f"{attribute} must be a literal list or tuple of functions")
        steps = []
        for index, element in enumerate(node.elements):
            if isinstance(element, cst.StarredElement):
                raise Unsupported(element, f"{attribute}[{index}] is a starred expression")
            value = element.value
            ref = self.resolver.reference(found.scan, value, found.owner)
            steps.append(
                FunctionIR(
                    ref,
                    self._accepts_context(found.scan, value, ref, f"{attribute}[{index}]"),
                    f"{attribute}[{index}]: {_one_line(found.scan.code(value))}",
                    found.scan.location(value),
                )
            )
        return tuple(steps)

    def _accepts_context(self, scan: ModuleScan, node: cst.CSTNode, ref: Ref, label: str) -> bool:
        definition = self.resolver.definition_of(ref)
        if definition.kind != "function" or definition.scan is None:
            raise Unsupported(
                node, f"{label}: cannot see the signature of '{ref.expression}' statically"
            )
        function = definition.scan.functions[definition.name]
        if function.decorators:
            raise Unsupported(node, f"{label}: '{ref.expression}' is decorated")
        # Mirrors loom's compiler: a function that can take three positional
        # arguments gets the context; one that can only take two does not.
        parameters = function.params
        star = isinstance(parameters.star_arg, cst.Param)
        positional = [*parameters.posonly_params, *parameters.params]
        required = sum(1 for p in positional if p.default is None)
        keyword_only_required = any(p.default is None for p in parameters.kwonly_params)

        def binds(count: int) -> bool:
            return (
                not keyword_only_required
                and required <= count
                and (len(positional) >= count or star)
            )

        if binds(3):
            return True
        if binds(2):
            return False
        raise Invalid(
            node,
            f"{label}: '{ref.expression}' must accept (command, fields_set)"
            " or (command, fields_set, context)",
        )


MroEntry = tuple[ModuleScan, ClassScan] | str
"""A class in a linearization: a scanned class, or a name for one outside the sources."""


def _mro_key(entry: MroEntry) -> tuple[str, str]:
    if isinstance(entry, str):
        return ("", entry)
    return (entry[0].source.module, entry[1].name)


def _c3_merge(sequences: list[list[MroEntry]]) -> list[MroEntry] | None:
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


def problem_scan(problem: Unsupported, scan: ModuleScan, found: _Found) -> ModuleScan:
    """The module whose tree holds the node a problem points at."""
    return scan if problem.node in scan.positions else found.scan


def _is_abstract(decorator: cst.Decorator) -> bool:
    try:
        return _dotted(decorator.decorator).split(".")[-1] == "abstractmethod"
    except ValueError:
        return False


def _param_name(param: cst.Param) -> str:
    return identifier(param.name)


def _param_node(ordered: Sequence[cst.Param], name: str) -> cst.Param:
    return next(p for p in ordered if _param_name(p) == name)


_SPACES = re.compile(r"\s*\n\s*")


def _one_line(code: str) -> str:
    """Source text on one line, for comments (never contains a line break)."""
    text = _SPACES.sub(" ", code.strip())
    text = re.sub(r"\(\s+", "(", text)
    text = re.sub(r",?\s+\)", ")", text)
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


@dataclass
class _Arguments:
    """The arguments of one marker call."""

    marker: str
    call: cst.Call
    entity: Ref
    values: dict[str, str]
    policy_value: str | None

    def text(self, name: str, default: str) -> str:
        return self.values.get(name, default)

    def required_text(self, name: str) -> str:
        if name not in self.values:
            raise Invalid(self.call, f"{self.marker}() needs {name}=")
        return self.values[name]

    def policy(self, default: str) -> str:
        return self.policy_value if self.policy_value is not None else default

    def source(self) -> tuple[str, str]:
        has_param = "from_param" in self.values
        has_command = "from_command" in self.values
        if has_param == has_command:
            raise Invalid(
                self.call, f"{self.marker}() takes exactly one of from_param= or from_command="
            )
        if has_param:
            return "param", self.values["from_param"]
        return "command", self.values["from_command"]


_ALLOWED = {
    "Input": (),
    "LoadById": ("entity_type", "by", "profile", "on_missing"),
    "Load": ("entity_type", "from_param", "from_command", "against", "profile", "on_missing"),
    "Exists": ("entity_type", "from_param", "from_command", "against", "on_missing"),
}


@dataclass
class _Where:
    """Resolution helpers bound to the module and class that declare ``execute``."""

    scan: ModuleScan
    resolver: Resolver
    owner: ClassScan

    def declaration(self, param: cst.Param) -> str:
        text = identifier(param.name)
        if param.annotation is not None:
            text += f": {_one_line(self.scan.code(param.annotation.annotation))}"
        if param.default is not None:
            text += f" = {_one_line(self.scan.code(param.default))}"
        return text

    def marker(self, default: cst.BaseExpression) -> tuple[cst.Call, str] | None:
        if not isinstance(default, cst.Call):
            return None
        try:
            dotted = _dotted(default.func)
        except ValueError:
            return None
        root, *attributes = dotted.split(".")
        last = dotted.split(".")[-1]
        if last not in MARKERS:
            return None
        if root in self.scan.imports:
            imported = self.scan.imports[root]
            found = self.resolver.define(imported.module, imported.name)
            module = found.module
            if found.kind == "external" and not attributes:
                last = found.name
            if not (module == "loom" or module.startswith("loom.")):
                return None
            return (default, last) if last in MARKERS else None
        if root in self.scan.functions or root in self.scan.classes or root in self.scan.assigned:
            return None
        return (default, dotted) if dotted in MARKERS else None

    def arguments(self, call: cst.Call, marker: str) -> _Arguments:
        allowed = _ALLOWED[marker]
        positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
        if any(arg.star for arg in call.args):
            raise Unsupported(call, f"{marker}() with *args or **kwargs")
        if marker == "Input":
            if call.args:
                raise Invalid(call, "Input() takes no arguments")
            return _Arguments(marker, call, Ref("", "", None), {}, None)
        keywords = {
            identifier(arg.keyword): arg.value for arg in call.args if arg.keyword is not None
        }
        for keyword in keywords:
            if keyword not in allowed:
                raise Invalid(call, f"{marker}() got an unexpected keyword argument '{keyword}'")
        if len(positional) > 1:
            raise Invalid(call, f"{marker}() takes the entity type as its only positional argument")
        if positional and "entity_type" in keywords:
            raise Invalid(call, f"{marker}() got the entity type twice")
        entity_node = positional[0].value if positional else keywords.pop("entity_type", None)
        if entity_node is None:
            raise Invalid(call, f"{marker}() needs the entity type")
        entity = self.resolver.reference(self.scan, entity_node, self.owner)
        values: dict[str, str] = {}
        policy: str | None = None
        for keyword, value in sorted(keywords.items()):
            if keyword == "on_missing":
                policy = self.policy(value)
                continue
            if keyword in ("from_param", "from_command") and _is_none(value):
                continue
            values[keyword] = self.string(value, f"{marker}({keyword}=...)")
        return _Arguments(marker, call, entity, values, policy)

    def string(self, node: cst.BaseExpression, label: str) -> str:
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            value = node.evaluated_value
            if isinstance(value, str):
                if not value:
                    raise Invalid(node, f"{label} must be a non-empty string")
                return value
        raise Unsupported(node, f"{label} must be a string literal")

    def policy(self, node: cst.BaseExpression) -> str:
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            value = node.evaluated_value
            if isinstance(value, str) and value in ON_MISSING.values():
                return value
            raise Invalid(node, f"on_missing={_one_line(self.scan.code(node))} is not an OnMissing")
        if isinstance(node, cst.Attribute):
            try:
                owner = _dotted(node.value)
            except ValueError:
                owner = ""
            if owner.split(".")[-1] == "OnMissing":
                member = identifier(node.attr)
                if member not in ON_MISSING:
                    raise Invalid(node, f"OnMissing has no member {member}")
                return ON_MISSING[member]
        raise Unsupported(node, "on_missing= must be written as OnMissing.<MEMBER>")

    def conversion_target(self, param: cst.Param) -> Ref | None:
        """The class values are converted to, or ``None`` when they pass as they are."""
        if param.annotation is None:
            return None
        return self._target(param.annotation.annotation)

    def _target(self, node: cst.BaseExpression) -> Ref | None:
        if isinstance(node, cst.SimpleString):
            value = node.evaluated_value
            if not isinstance(value, str):
                return None
            try:
                parsed = cst.parse_expression(value)
            except cst.ParserSyntaxError:
                return None
            if not isinstance(parsed, (cst.Name, cst.Attribute)):
                return None
            ref = self.resolver.reference(self.scan, parsed, self.owner)
            return self._classify(node, ref)
        if not isinstance(node, (cst.Name, cst.Attribute)):
            return None
        if isinstance(node, cst.Name) and node.value == "None":
            return None
        return self._classify(node, self.resolver.reference(self.scan, node, self.owner))

    def _classify(self, node: cst.CSTNode, ref: Ref) -> Ref | None:
        definition = self.resolver.definition_of(ref)
        if definition.kind == "builtin":
            if ref.root in NEVER_CONVERTED:
                return None
            if ref.root in BUILTIN_CLASSES and not ref.attributes:
                return ref
            raise Unsupported(node, f"'{ref.expression}' is not a class")
        if definition.kind == "external" and definition.module in TYPING_MODULES:
            return None
        if definition.kind == "class" and definition.scan is not None:
            if self.resolver.is_protocol(definition.scan, definition.scan.classes[definition.name]):
                return None  # protocols are never converted
            return ref
        if definition.kind == "external":
            return ref
        if definition.kind == "function":
            return None  # a function is not a class: values pass as given
        raise Unsupported(node, f"cannot tell statically whether '{ref.expression}' is a class")

    def command_type(self, param: cst.Param) -> Ref:
        if param.annotation is None:
            raise Unsupported(param, "the Input() parameter needs a command class annotation")
        node = param.annotation.annotation
        if isinstance(node, cst.SimpleString) and isinstance(node.evaluated_value, str):
            try:
                node = cst.parse_expression(node.evaluated_value)
            except cst.ParserSyntaxError:
                raise Unsupported(param, "unreadable command annotation") from None
        if not isinstance(node, (cst.Name, cst.Attribute)):
            raise Unsupported(param, "the Input() annotation must name a command class")
        return self.resolver.reference(self.scan, node, self.owner)


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def analyse(scans: Sequence[ModuleScan]) -> tuple[list[ModuleIR], list[Diagnostic]]:
    """Build the IR of every use case in ``scans``.

    Each module is analysed on its own (fresh state, names resolved across all
    of ``scans``), so its result depends only on the modules it looks at: the
    build cache relies on this.
    """
    index = {scan.source.module: scan for scan in scans}
    modules: list[ModuleIR] = []
    diagnostics: list[Diagnostic] = []
    for scan in sorted(scans, key=lambda scan: scan.source.module):
        found, problems = analyse_module(scan, index)
        if found is not None:
            modules.append(found)
        diagnostics.extend(problems)
    return modules, sorted(diagnostics)


def analyse_module(
    scan: ModuleScan, modules: Mapping[str, ModuleScan]
) -> tuple[ModuleIR | None, list[Diagnostic]]:
    """The IR of the use cases of one module (``None`` if it has none) and its problems."""
    analyzer = Analyzer([scan], modules)
    found = analyzer.run()
    return (found[0] if found else None), sorted(analyzer.diagnostics)
