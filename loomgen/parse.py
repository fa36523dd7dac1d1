"""Front end: build the IR of every use case from scanned modules.

Nothing is imported or executed: every fact comes from the syntax trees that
:mod:`loomgen.scan` indexed, names are followed by :mod:`loomgen.resolve`
and attributes looked up along the C3 order of :mod:`loomgen.hierarchy`.

A use case is a class deriving (directly or through classes in the scanned
sources) from loom's ``UseCase`` or ``Job``. What cannot be resolved
statically (a marker argument computed at runtime, a decorated ``execute``,
a compute whose signature cannot be seen...) is a warning at
``path:line:col``; the use case is then recorded in the registry as left to
the interpreter, with that reason. Structural mistakes the runtime compiler
would reject too (two ``Input()``, a marker naming no parameter...) are
errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import libcst as cst

from loom.core.engine import messages
from loom.core.engine.contract import marker_label
from loom.core.use_case.markers import (
    ExistsMarker,
    InputMarker,
    LoadByIdMarker,
    LoadMarker,
    SourceKind,
)
from loomgen.computes import StepReader
from loomgen.diagnostics import INHERITED_BY, Diagnostic, Severity, merge_inherited
from loomgen.dsl import DslReader
from loomgen.hierarchy import Found, Hierarchy
from loomgen.ir import (
    ExistsIR,
    Import,
    InputIR,
    InterpretedIR,
    LoadIR,
    Location,
    ModuleIR,
    ParamIR,
    Ref,
    UseCaseIR,
)
from loomgen.resolve import Resolver
from loomgen.scan import ClassScan, Invalid, ModuleScan, Unstable, Unsupported, dotted, identifier
from loomgen.signature import Where


class Analyzer:
    """Turns scanned modules into :class:`ModuleIR` values plus diagnostics."""

    def __init__(
        self, scans: Sequence[ModuleScan], modules: Mapping[str, ModuleScan] | None = None
    ) -> None:
        """Analyse the use cases of ``scans``, resolving names across ``modules``
        (default: ``scans`` themselves)."""
        self.scans = sorted(scans, key=lambda scan: scan.source.module)
        self.resolver = Resolver(self.scans if modules is None else modules)
        self.hierarchy = Hierarchy(self.resolver)
        self.steps = StepReader(
            self.resolver, self.hierarchy, DslReader(self.resolver, self.hierarchy)
        )
        self.diagnostics: list[Diagnostic] = []

    def run(self) -> list[ModuleIR]:
        modules = []
        for scan in self.scans:
            use_cases: list[UseCaseIR] = []
            interpreted: list[InterpretedIR] = []
            for top in scan.classes.values():
                for class_scan in top.walk():
                    try:
                        kind = self.hierarchy.kind_of(scan, class_scan)
                    except Unsupported as problem:
                        # A base loomgen cannot pin down: if the class may be a
                        # use case, say so rather than pass over it in silence.
                        if _may_be_use_case(class_scan):
                            subject = f"{scan.source.module}:{class_scan.qualname}"
                            self.report(scan, problem, subject)
                            interpreted.append(InterpretedIR(class_scan.qualname, problem.message))
                        continue
                    if kind is None:
                        unseen = self.hierarchy.unseen_base(scan, class_scan)
                        if unseen is not None and _may_be_use_case(class_scan):
                            subject = f"{scan.source.module}:{class_scan.qualname}"
                            self.report(scan, Unsupported(class_scan.node, unseen), subject)
                            interpreted.append(InterpretedIR(class_scan.qualname, unseen))
                        continue
                    built = self.use_case(scan, class_scan, kind)
                    if isinstance(built, UseCaseIR):
                        use_cases.append(built)
                    elif built is not None:
                        interpreted.append(built)
            for class_scan in scan.conditional:
                for nested in class_scan.walk():
                    self._conditional(scan, nested, interpreted)
            if use_cases or interpreted:
                modules.append(
                    ModuleIR(
                        scan.source.module,
                        scan.source.display,
                        tuple(use_cases),
                        tuple(interpreted),
                    )
                )
        return modules

    def _conditional(
        self, scan: ModuleScan, class_scan: ClassScan, interpreted: list[InterpretedIR]
    ) -> None:
        """A class defined under ``if``/``try``/``with``/a loop: which definition
        the module runs is decided at import, so it is left to the interpreter
        (when it is, or may be, a use case)."""
        try:
            kind = self.hierarchy.kind_of(scan, class_scan)
        except Unsupported:
            kind = None
        if kind is None and not (
            _may_be_use_case(class_scan) and self.hierarchy.unseen_base(scan, class_scan)
        ):
            return
        reason = (
            "defined under an if/try/with/loop statement: which definition runs is"
            " decided when the module is imported"
        )
        if any(skipped.qualname == class_scan.qualname for skipped in interpreted):
            return
        self.report(
            scan,
            Unsupported(class_scan.node, reason),
            f"{scan.source.module}:{class_scan.qualname}",
        )
        interpreted.append(InterpretedIR(class_scan.qualname, reason))

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

    # One use case -----------------------------------------------------------------

    def use_case(
        self, scan: ModuleScan, class_scan: ClassScan, kind: str
    ) -> UseCaseIR | InterpretedIR | None:
        """The IR of one use case class; why it is left to the interpreter; or
        ``None`` when it is abstract or invalid (nothing to record)."""
        subject = f"{scan.source.module}:{class_scan.qualname}"
        try:
            root = class_scan.qualname.split(".")[0]
            why = self.resolver.unstable(scan, root)
            if why is not None:
                raise Unstable(class_scan.node, why)
            found = self.hierarchy.lookup(scan, class_scan, "execute")
            if found is not None:
                self.hierarchy.check_static(scan, class_scan)
        except Unsupported as problem:
            self.report(scan, problem, subject)
            return (
                None
                if isinstance(problem, Invalid)
                else InterpretedIR(class_scan.qualname, problem.message)
            )
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
            where = problem_scan(problem, scan, found)
            if (
                isinstance(problem, Invalid)
                and found.owner is not class_scan
                and _within(problem.node, execute)
            ):
                # The mistake is in an execute this class inherits: it is reported
                # once, as the owner's, naming every class that inherits it.
                owner = found.owner.qualname
                message = problem.message.replace(
                    f"{class_scan.qualname}.execute", f"{owner}.execute"
                )
                self.report(
                    where,
                    Invalid(problem.node, f"{message}{INHERITED_BY}{subject})"),
                    f"{found.scan.source.module}:{owner}",
                )
                return None
            self.report(where, problem, subject)
            if isinstance(problem, Invalid):
                return None
            return InterpretedIR(class_scan.qualname, problem.message)

    def _build(self, scan: ModuleScan, class_scan: ClassScan, kind: str, found: Found) -> UseCaseIR:
        execute = found.node
        assert isinstance(execute, cst.FunctionDef)
        where = Where(found.scan, self.resolver, found.owner, class_scan.qualname)
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
                    messages.positional_only(class_scan.qualname, _param_name(culprit)),
                )
        ordered = [*parameters.posonly_params, *parameters.params, *parameters.kwonly_params]
        names: dict[str, cst.Param] = {}
        for index, param in enumerate(ordered):
            written = _param_name(param)
            if index == 0 and written == "self":
                continue
            # Parameter names are mangled like every identifier in a class body.
            name = mangle(written, found.owner.name)
            names[name] = param
            declaration = where.declaration(param)
            location = where.scan.location(param)
            where.param_name = name
            marker = where.marker(param.default) if param.default is not None else None
            if marker is None:
                params.append(
                    ParamIR(
                        name,
                        where.conversion_target(param),
                        declaration,
                        location,
                        has_default=param.default is not None,
                    )
                )
                continue
            call, marker_name, written_in = marker
            arguments = written_in.arguments(call, marker_name)
            # The runtime's factory makes the marker; the IR takes its facts the
            # way the compiler builds a plan step from it.
            made = arguments.build()
            if isinstance(made, InputMarker):
                if input_ir is not None:
                    raise Invalid(
                        param, messages.second_input(class_scan.qualname, name, input_ir.name)
                    )
                input_ir = InputIR(name, where.command_type(param), declaration, location)
            elif isinstance(made, (LoadByIdMarker, LoadMarker)):
                loads.append(
                    LoadIR(
                        name=name,
                        entity=arguments.entity,
                        source_kind=made.source_kind,
                        source_name=made.source_name,
                        lookup_kind=made.lookup_kind,
                        against=made.against,
                        profile=made.profile,
                        on_missing=made.on_missing,
                        declaration=declaration,
                        location=location,
                    )
                )
            else:
                assert isinstance(made, ExistsMarker), made
                exists.append(
                    ExistsIR(
                        name=name,
                        entity=arguments.entity,
                        source_kind=made.source_kind,
                        source_name=made.source_name,
                        against=made.against,
                        on_missing=made.on_missing,
                        declaration=declaration,
                        location=location,
                    )
                )
        plain = {p.name for p in params}
        steps: list[LoadIR | ExistsIR] = [*loads, *exists]
        for step in steps:
            label = marker_label(None if isinstance(step, ExistsIR) else step.lookup_kind)
            node = names[step.name]
            if step.source_kind is SourceKind.PARAM and step.source_name not in plain:
                raise Invalid(
                    node,
                    messages.unknown_source_param(
                        class_scan.qualname, step.name, label, step.source_name, plain
                    ),
                )
            if step.source_kind is SourceKind.COMMAND and input_ir is None:
                raise Invalid(
                    node,
                    messages.command_source_without_input(
                        class_scan.qualname, step.name, label, step.source_name
                    ),
                )
        if input_ir is not None:
            self._check_command_fields(where, class_scan, input_ir, steps, names)
        bound = frozenset(
            [p.name for p in params]
            + ([input_ir.name] if input_ir is not None else [])
            + [step.name for step in loads]
            + [step.name for step in exists]
        )
        computes = self.steps.functions(scan, class_scan, "computes", bound)
        rules = self.steps.functions(scan, class_scan, "rules", bound)
        return UseCaseIR(
            module=scan.source.module,
            qualname=class_scan.qualname,
            use_case=_class_ref(scan, class_scan),
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
            execute_location=found.scan.location(execute),
        )

    def _check_command_fields(
        self,
        where: Where,
        class_scan: ClassScan,
        input_ir: InputIR,
        steps: Sequence[LoadIR | ExistsIR],
        names: Mapping[str, cst.Param],
    ) -> None:
        """A ``from_command`` naming no field of a command class loomgen can read
        whole is the error the runtime raises at startup."""
        readable = [step for step in steps if step.source_kind is SourceKind.COMMAND]
        if not readable:
            return
        definition = self.resolver.definition_of(input_ir.command)
        if definition.kind != "class" or definition.scan is None:
            return
        if _touched_at_module_level(definition.scan, definition.name):
            return  # setattr(Cmd, ...), Cmd.extra = ...: attributes added at import
        known: set[str] = set()
        model = False  # the runtime checks fields of pydantic models only
        for entry in self.hierarchy.mro(definition.scan, definition.scan.classes[definition.name]):
            if isinstance(entry, str):
                outside = _outside_class(entry)
                if outside is None:
                    return  # a base loomgen cannot read may have the field
                known.update(dir(outside))
                model = model or _is_model(outside)
                continue
            owner = entry[1]
            if owner.dynamic is not None:
                return
            known.update(owner.annotations, owner.attributes, owner.functions, owner.classes)
            if owner.execute is not None:
                known.add("execute")
        if not model:
            return
        for step in readable:
            if step.source_name in known:
                continue
            label = marker_label(None if isinstance(step, ExistsIR) else step.lookup_kind)
            raise Invalid(
                names[step.name],
                messages.unknown_command_field(
                    class_scan.qualname,
                    step.name,
                    label,
                    step.source_name,
                    input_ir.command.expression.rpartition(".")[2],
                    entity=step.entity.expression.rpartition(".")[2],
                ),
            )

    def _read_only(self, scan: ModuleScan, class_scan: ClassScan) -> bool:
        found = self.hierarchy.lookup(scan, class_scan, "read_only")
        if found is None:
            return False
        node = found.node
        assert isinstance(node, cst.BaseExpression)
        _, value = self.resolver.constant(found.scan, node)
        if isinstance(value, cst.Name) and value.value in ("True", "False"):
            return value.value == "True"
        raise Unsupported(node, "read_only must be True or False (or a constant holding one)")


def _outside_class(entry: str) -> type | None:
    """The class an ``external:module.Name`` MRO entry stands for, when it is one
    of loom's or pydantic's (whose attributes loomgen may ask Python for);
    ``None`` for any other."""
    import importlib

    if not entry.startswith("external:"):
        return None
    module, _, name = entry.partition(":")[2].rpartition(".")
    if not (module == "loom" or module.startswith(("loom.", "pydantic", "builtins", "typing"))):
        return None
    try:
        found = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None
    return found if isinstance(found, type) else None


def _touched_at_module_level(scan: ModuleScan, name: str) -> bool:
    """Whether a top-level statement other than an import or a class or function
    definition mentions ``name`` (it may add attributes to the class)."""

    class Finder(cst.CSTVisitor):
        found = False

        def visit_Name(self, node: cst.Name) -> None:
            if node.value == name:
                self.found = True

    for statement in scan.tree.body:
        if isinstance(statement, (cst.ClassDef, cst.FunctionDef)):
            continue
        if isinstance(statement, cst.SimpleStatementLine) and all(
            isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body
        ):
            continue
        finder = Finder()
        statement.visit(finder)
        if finder.found:
            return True
    return False


def _is_model(found: type) -> bool:
    from pydantic import BaseModel

    return issubclass(found, BaseModel)


def _may_be_use_case(class_scan: ClassScan) -> bool:
    """Whether a class whose bases loomgen cannot see may be a use case: it
    defines or assigns ``execute``, or declares ``computes``/``rules``."""
    return (
        class_scan.execute is not None
        or "execute" in class_scan.attributes
        or "computes" in class_scan.attributes
        or "rules" in class_scan.attributes
    )


def _class_ref(scan: ModuleScan, class_scan: ClassScan) -> Ref:
    root = class_scan.qualname.split(".")[0]
    return Ref(class_scan.qualname, root, Import(scan.source.module, root))


def mangle(name: str, class_name: str) -> str:
    """``name`` as Python stores it when written in the body of ``class_name``:
    ``__n`` in ``class A`` is ``_A__n``."""
    stripped = class_name.lstrip("_")
    if not name.startswith("__") or name.endswith("__") or not stripped:
        return name
    return f"_{stripped}{name}"


def _within(node: cst.CSTNode, tree: cst.CSTNode) -> bool:
    """Whether ``node`` is ``tree`` or one of its descendants."""
    pending = [tree]
    while pending:
        current = pending.pop()
        if current is node:
            return True
        pending.extend(current.children)
    return False


def problem_scan(problem: Unsupported, scan: ModuleScan, found: Found) -> ModuleScan:
    """The module whose tree holds the node a problem points at."""
    return scan if problem.node in scan.positions else found.scan


def _is_abstract(decorator: cst.Decorator) -> bool:
    try:
        return dotted(decorator.decorator).split(".")[-1] == "abstractmethod"
    except ValueError:
        return False


def _param_name(param: cst.Param) -> str:
    return identifier(param.name)


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
    return modules, merge_inherited(diagnostics)


def analyse_module(
    scan: ModuleScan, modules: Mapping[str, ModuleScan]
) -> tuple[ModuleIR | None, list[Diagnostic]]:
    """The IR of the use cases of one module (``None`` if it has none) and its problems."""
    analyzer = Analyzer([scan], modules)
    found = analyzer.run()
    return (found[0] if found else None), merge_inherited(analyzer.diagnostics)


__all__ = ["Analyzer", "Location", "analyse", "analyse_module", "mangle"]
