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

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import libcst as cst

from loom.core.engine import messages
from loom.core.use_case.markers import bad_policy
from loomgen.diagnostics import INHERITED_BY, Diagnostic, Severity, merge_inherited
from loomgen.dsl import DslReader
from loomgen.hierarchy import KNOWN_MODULES, Found, Hierarchy
from loomgen.ir import (
    DslIR,
    ExistsIR,
    FunctionIR,
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
from loomgen.resolve import TYPING_MODULES, Resolver, class_attribute
from loomgen.scan import (
    ClassScan,
    Invalid,
    ModuleScan,
    Unstable,
    Unsupported,
    dotted,
    identifier,
    one_line,
)

MARKERS = frozenset({"Input", "LoadById", "Load", "Exists"})
ON_MISSING = {"RAISE": "raise", "RETURN_NONE": "return_none", "RETURN_FALSE": "return_false"}
BUILTIN_CLASSES = frozenset(
    name for name in dir(builtins) if isinstance(getattr(builtins, name), type)
)
NEVER_CONVERTED = frozenset({"object"})
TYPING_ALIASES = {"Text": "str"}
"""``typing`` names that are plain builtin classes at runtime."""
DSL_FACTORIES = frozenset({"Compute", "Rule"})
"""Chains rooted at these build compute/rule specs, which always take a context."""


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
        self.dsl = DslReader(self.resolver, self.hierarchy)
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
        where = _Where(found.scan, self.resolver, found.owner, class_scan.qualname)
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
            if marker_name == "Input":
                if input_ir is not None:
                    raise Invalid(
                        param, messages.second_input(class_scan.qualname, name, input_ir.name)
                    )
                input_ir = InputIR(name, where.command_type(param), declaration, location)
            elif marker_name == "LoadById":
                loads.append(
                    LoadIR(
                        name=name,
                        entity=arguments.entity,
                        source_kind="param",
                        source_name=arguments.text("by", "id"),
                        lookup_kind="by_id",
                        against="id",
                        profile=arguments.text("profile", "default"),
                        on_missing=arguments.policy("raise"),
                        declaration=declaration,
                        location=location,
                    )
                )
            else:
                source_kind, source_name = arguments.source()
                against = arguments.required_text("against")
                if marker_name == "Load":
                    loads.append(
                        LoadIR(
                            name=name,
                            entity=arguments.entity,
                            source_kind=source_kind,
                            source_name=source_name,
                            lookup_kind="by_field",
                            against=against,
                            profile=arguments.text("profile", "default"),
                            on_missing=arguments.policy("raise"),
                            declaration=declaration,
                            location=location,
                        )
                    )
                else:
                    exists.append(
                        ExistsIR(
                            name=name,
                            entity=arguments.entity,
                            source_kind=source_kind,
                            source_name=source_name,
                            against=against,
                            on_missing=arguments.policy("return_false"),
                            declaration=declaration,
                            location=location,
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
            node = names[step.name]
            if step.source_kind == "param" and step.source_name not in plain:
                raise Invalid(
                    node,
                    messages.unknown_source_param(
                        class_scan.qualname, step.name, marker_label, step.source_name, plain
                    ),
                )
            if step.source_kind == "command" and input_ir is None:
                raise Invalid(
                    node,
                    messages.command_source_without_input(
                        class_scan.qualname, step.name, marker_label, step.source_name
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
        computes = self._functions(scan, class_scan, "computes", bound)
        rules = self._functions(scan, class_scan, "rules", bound)
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
        where: _Where,
        class_scan: ClassScan,
        input_ir: InputIR,
        steps: Sequence[LoadIR | ExistsIR],
        names: Mapping[str, cst.Param],
    ) -> None:
        """A ``from_command`` naming no field of a command class loomgen can read
        whole is the error the runtime raises at startup."""
        readable = [step for step in steps if step.source_kind == "command"]
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
            marker_label = (
                "Exists"
                if isinstance(step, ExistsIR)
                else ("LoadById" if step.lookup_kind == "by_id" else "Load")
            )
            raise Invalid(
                names[step.name],
                messages.unknown_command_field(
                    class_scan.qualname,
                    step.name,
                    marker_label,
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

    def _functions(
        self, scan: ModuleScan, class_scan: ClassScan, attribute: str, bound: frozenset[str]
    ) -> tuple[FunctionIR, ...]:
        found = self.hierarchy.lookup(scan, class_scan, attribute)
        if found is None:
            return ()
        node = found.node
        if not isinstance(node, (cst.List, cst.Tuple)):
            raise Unsupported(node, f"{attribute} must be a literal list or tuple")
        steps = []
        for index, element in enumerate(node.elements):
            if isinstance(element, cst.StarredElement):
                raise Unsupported(element, f"{attribute}[{index}] is a starred expression")
            value = element.value
            label = f"{attribute}[{index}]"
            _, held = self.resolver.constant(found.scan, value)
            literal_value = _literal(held)
            if literal_value is not None:
                raise Invalid(
                    value,
                    messages.step_not_callable(
                        f"{class_scan.qualname}.{label}", repr(literal_value)
                    ),
                )
            ref, accepts_context = self._function(scan, class_scan, found, value, label)
            declaration = f"{label}: {one_line(found.scan.code(value))}"
            inline = self._inline(found.scan, value, bound)
            if inline is not None:
                declared, dsl = inline
                declaration = f"{label}: {declared}"
                steps.append(FunctionIR(ref, True, declaration, found.scan.location(value), dsl))
                continue
            steps.append(FunctionIR(ref, accepts_context, declaration, found.scan.location(value)))
        return tuple(steps)

    def _inline(
        self, scan: ModuleScan, value: cst.BaseExpression, bound: frozenset[str]
    ) -> tuple[str, DslIR] | None:
        """A DSL declaration written in the list, or held by the constant ``value``
        names, read for inline compilation: ``(the declaration quoted, its IR)``."""
        if isinstance(value, cst.Call):
            dsl = self.dsl.read(scan, value, bound)
            return None if dsl is None else (one_line(scan.code(value)), dsl)
        holder_scan, holder = self.resolver.constant(scan, value)
        if isinstance(value, cst.Attribute):  # module.CONSTANT
            definition = self.resolver.definition_of(self.resolver.reference(scan, value))
            if definition.kind == "assigned" and definition.scan is not None:
                holder_scan = definition.scan
                holder = definition.scan.constants.get(definition.name, value)
        if holder is value or not isinstance(holder, cst.Call):
            return None
        dsl = self.dsl.read(holder_scan, holder, bound)
        if dsl is None:
            return None
        return f"{one_line(scan.code(value))} = {one_line(holder_scan.code(holder))}", dsl

    def _function(
        self,
        scan: ModuleScan,
        class_scan: ClassScan,
        found: Found,
        value: cst.BaseExpression,
        label: str,
    ) -> tuple[Ref, bool]:
        """How generated code reaches one compute or rule, and whether it takes
        the context argument.

        A name of a function (or of a module constant holding a lambda or a DSL
        spec) is imported; any other expression the signature of which can be
        seen (a lambda, a DSL chain written in the list) is read from the class
        itself, ``UseCase.computes[0]``, when the generated module is imported:
        the very object the runtime's plan holds.
        """
        if (
            isinstance(value, cst.Name)
            and identifier(value) in found.owner.functions
            and identifier(value) not in found.owner.attributes
        ):
            # A function defined in the class body, above the list: on the class
            # it is the very function object the list holds.
            function = found.owner.functions[identifier(value)]
            if function.decorators:
                raise Unsupported(value, f"{label}: '{identifier(value)}' is decorated")
            ref = class_attribute(found.scan, found.owner, identifier(value))
            return ref, _accepts_context(value, function.params, label, identifier(value))
        if isinstance(value, (cst.Name, cst.Attribute)):
            ref = self.resolver.reference(
                found.scan, value, found.owner, found.owner.visible_before(label.partition("[")[0])
            )
            definition = self.resolver.definition_of(ref)
            if definition.kind == "function" and definition.scan is not None:
                function = definition.scan.functions[definition.name]
                if function.decorators:
                    raise Unsupported(value, f"{label}: '{ref.expression}' is decorated")
                return ref, _accepts_context(value, function.params, label, ref.expression)
            if definition.kind == "assigned" and definition.scan is not None:
                holder = definition.scan.constants.get(definition.name)
                if holder is not None:
                    accepts = self._expression_context(definition.scan, holder, label)
                    if accepts is not None:
                        return ref, accepts
            raise Unsupported(
                value, f"{label}: cannot see the signature of '{ref.expression}' statically"
            )
        accepts = self._expression_context(found.scan, value, label)
        if accepts is None:
            raise Unsupported(
                value,
                f"{label}: cannot see the signature of '{one_line(found.scan.code(value))}'"
                " statically",
            )
        return class_attribute(scan, class_scan, label), accepts

    def _expression_context(
        self, scan: ModuleScan, value: cst.BaseExpression, label: str
    ) -> bool | None:
        """Whether a lambda or DSL spec takes the context; ``None`` for other expressions."""
        if isinstance(value, cst.Lambda):
            return _accepts_context(value, value.params, label, "lambda")
        root: cst.BaseExpression = value
        while isinstance(root, (cst.Call, cst.Attribute)):
            root = root.func if isinstance(root, cst.Call) else root.value
        if root is not value and self.resolver.loom_name(scan, root) in DSL_FACTORIES:
            return True
        return None


def _literal(node: cst.BaseExpression) -> object | None:
    """The value of a string or number literal (never a class), else ``None``."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        return node.evaluated_value
    if isinstance(node, (cst.Integer, cst.Float)):
        return node.evaluated_value
    return None


_LITERALS = (
    cst.SimpleString,
    cst.ConcatenatedString,
    cst.FormattedString,
    cst.Integer,
    cst.Float,
    cst.Imaginary,
    cst.List,
    cst.Tuple,
    cst.Set,
    cst.Dict,
    cst.ListComp,
    cst.SetComp,
    cst.DictComp,
    cst.GeneratorExp,
    cst.Lambda,
)


def _never_marker(node: cst.BaseExpression) -> bool:
    """Whether a default is provably no marker object: a literal, a container
    display or comprehension (a new list, tuple, dict...), a lambda, or a sign
    applied to a number."""
    if isinstance(node, _LITERALS):
        return True
    if isinstance(node, cst.UnaryOperation):
        return isinstance(node.expression, (cst.Integer, cst.Float, cst.Imaginary))
    return False


def _only_read_by_key(scan: ModuleScan, name: str) -> bool:
    """Whether every mention of ``name`` in the module, in any scope, is its one
    binding or a read ``name[...]`` (so the dict it holds is never changed)."""

    class Finder(cst.CSTVisitor):
        def __init__(self) -> None:
            self.mentions = 0
            self.reads = 0
            self.stores: set[int] = set()

        def mark(self, target: cst.BaseExpression) -> None:
            if isinstance(target, (cst.Tuple, cst.List)):
                for element in target.elements:
                    self.mark(element.value)
            elif isinstance(target, cst.StarredElement):
                self.mark(target.value)
            else:
                self.stores.add(id(target))

        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            self.mark(node.target)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            self.mark(node.target)

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            self.mark(node.target)

        def visit_Del(self, node: cst.Del) -> None:
            self.mark(node.target)

        def visit_For(self, node: cst.For) -> None:
            self.mark(node.target)

        def visit_CompFor(self, node: cst.CompFor) -> None:
            self.mark(node.target)

        def visit_WithItem(self, node: cst.WithItem) -> None:
            if node.asname is not None:
                self.mark(node.asname.name)

        def visit_Subscript(self, node: cst.Subscript) -> None:
            if (
                isinstance(node.value, cst.Name)
                and identifier(node.value) == name
                and id(node) not in self.stores
            ):
                self.reads += 1

        def visit_Name(self, node: cst.Name) -> None:
            if identifier(node) == name:
                self.mentions += 1

    finder = Finder()
    scan.tree.visit(finder)
    return finder.mentions == finder.reads + 1 and name not in scan.patched


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


def _accepts_context(node: cst.CSTNode, parameters: cst.Parameters, label: str, what: str) -> bool:
    """Mirrors loom's compiler: a callable that can take three positional
    arguments gets the context; one that can only take two does not."""
    star = isinstance(parameters.star_arg, cst.Param)
    positional = [*parameters.posonly_params, *parameters.params]
    required = sum(1 for p in positional if p.default is None)
    keyword_only_required = any(p.default is None for p in parameters.kwonly_params)

    def binds(count: int) -> bool:
        return (
            not keyword_only_required and required <= count and (len(positional) >= count or star)
        )

    if binds(3):
        return True
    if binds(2):
        return False
    raise Invalid(node, messages.bad_step_signature(label, what))


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
            raise Invalid(self.call, messages.one_source(self.marker))
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
    owner: ClassScan | None
    """``None``: an expression evaluated at module level (a constant's value)."""
    use_case: str = ""
    """The use case's qualified name, for messages."""
    param_name: str | None = None
    """The parameter whose marker is being read, for messages."""

    def ref(self, node: cst.BaseExpression, postponed: bool = False) -> Ref:
        """``node`` as a default or annotation of ``execute`` sees it: defaults
        and annotations evaluated at once see the class attributes assigned
        above ``execute``; a postponed annotation (a string, or any annotation
        under ``from __future__ import annotations``) is resolved by the
        runtime in the finished class."""
        if self.owner is None:
            return self.resolver.reference(self.scan, node)
        if postponed or self.scan.future_annotations:
            return self.resolver.reference(self.scan, node, self.owner)
        return self.resolver.reference(
            self.scan, node, self.owner, self.owner.visible_before("execute")
        )

    def declaration(self, param: cst.Param) -> str:
        text = identifier(param.name)
        if param.annotation is not None:
            text += f": {one_line(self.scan.code(param.annotation.annotation))}"
        if param.default is not None:
            text += f" = {one_line(self.scan.code(param.default))}"
        return text

    def marker(
        self, default: cst.BaseExpression, depth: int = 0
    ) -> tuple[cst.Call, str, _Where] | None:
        """The marker call a parameter's default is, and where to read its
        arguments: written there, held by a module constant (``CURRENT =
        LoadById(...)``), or returned by a helper without parameters whose body
        is one ``return`` of it. ``None`` when the default is provably no
        marker; :class:`Unsupported` when loomgen cannot tell."""
        if depth > 20:
            raise Unsupported(default, "the default is too deep an alias to follow")
        if isinstance(default, cst.Call):
            name = self.resolver.loom_name(self.scan, default.func)
            if name in MARKERS:
                return default, name, self
            return self._call_marker(default, depth)
        if isinstance(default, cst.Subscript):
            return self._subscript_marker(default, depth)
        if not isinstance(default, (cst.Name, cst.Attribute)):
            if _never_marker(default):
                return None  # a literal, a container display, a lambda: never a marker
            written = one_line(self.scan.code(default))
            raise Unsupported(default, f"cannot tell statically whether {written} is a marker")
        if isinstance(default, cst.Name) and default.value in ("None", "True", "False", "Ellipsis"):
            return None
        ref = self.ref(default)
        definition = self.resolver.definition_of(ref)
        written = one_line(self.scan.code(default))
        if (
            self.owner is not None
            and ref.origin is not None
            and ref.expression.startswith(self.owner.qualname + ".")
        ):
            # A class attribute assigned above execute.
            attribute = ref.expression[len(self.owner.qualname) + 1 :]
            value = self.owner.attributes.get(attribute)
            if value is None or "." in attribute:
                raise Unsupported(default, f"cannot tell statically whether {written} is a marker")
            return self.marker(value, depth + 1)
        if definition.kind == "assigned":
            if definition.scan is None or definition.name not in definition.scan.constants:
                raise Unsupported(default, f"cannot tell statically whether {written} is a marker")
            value = definition.scan.constants[definition.name]
            return _Where(
                definition.scan, self.resolver, None, self.use_case, self.param_name
            ).marker(value, depth + 1)
        if definition.kind in ("class", "function", "builtin", "module"):
            return None
        if str(definition.module).split(".")[0] in KNOWN_MODULES:
            return None  # a standard library or loom object (math.pi, OnMissing.RAISE)
        raise Unsupported(
            default, f"cannot tell statically whether {written} is a marker (cannot see it)"
        )

    def _subscript_marker(
        self, default: cst.Subscript, depth: int
    ) -> tuple[cst.Call, str, _Where] | None:
        """``MARKERS["user"]``: the entry of a dict literal held by a constant of
        the same module, which the module only ever reads by key (never
        rebinds, stores into, deletes from, passes or imports elsewhere)."""
        written = one_line(self.scan.code(default))
        unknown = Unsupported(default, f"cannot tell statically whether {written} is a marker")
        holder = default.value
        if not isinstance(holder, cst.Name) or len(default.slice) != 1:
            raise unknown
        index = default.slice[0].slice
        if not isinstance(index, cst.Index) or index.star is not None:
            raise unknown
        ref = self.ref(holder)
        if self.owner is not None and ref.expression.startswith(self.owner.qualname + "."):
            raise unknown  # a class attribute
        definition = self.resolver.definition_of(ref)
        name = identifier(holder)
        if (
            definition.kind != "assigned"
            or definition.scan is not self.scan
            or definition.name != name
        ):
            raise unknown
        value = self.scan.constants.get(name)
        if not isinstance(value, cst.Dict) or not _only_read_by_key(self.scan, name):
            raise unknown
        _, key_node = self.resolver.constant(self.scan, index.value)
        key = _literal(key_node)
        if key is None:
            raise unknown
        found: cst.BaseExpression | None = None
        for element in value.elements:
            if not isinstance(element, cst.DictElement):
                raise unknown  # **spread: keys not known statically
            entry_key = _literal(element.key)
            if entry_key is None:
                raise unknown
            if entry_key == key:
                found = element.value  # the last one wins, as in Python
        if found is None:
            raise unknown
        return self.marker(found, depth + 1)

    def _call_marker(self, call: cst.Call, depth: int) -> tuple[cst.Call, str, _Where] | None:
        """A default that calls something other than a marker class."""
        written = one_line(self.scan.code(call.func))
        try:
            definition = self.resolver.definition_of(self.ref(call.func))
        except Unsupported:
            raise Unsupported(
                call, f"cannot tell statically whether {written}() returns a marker"
            ) from None
        if definition.kind in ("builtin", "class"):
            return None
        if definition.kind == "function" and definition.scan is not None:
            function = definition.scan.functions[definition.name]
            body = function.body.body if isinstance(function.body, cst.IndentedBlock) else ()
            params = function.params
            if (
                not function.decorators
                and not call.args
                and not (params.params or params.posonly_params or params.kwonly_params)
                and not isinstance(params.star_arg, cst.Param)
                and params.star_kwarg is None
                and len(body) == 1
                and isinstance(body[0], cst.SimpleStatementLine)
                and len(body[0].body) == 1
                and isinstance(body[0].body[0], cst.Return)
                and body[0].body[0].value is not None
            ):
                returned = body[0].body[0].value
                helper = _Where(
                    definition.scan, self.resolver, None, self.use_case, self.param_name
                )
                return helper.marker(returned, depth + 1)
        elif definition.kind in ("external", "attribute") and definition.scan is None:
            if str(definition.module).split(".")[0] in KNOWN_MODULES:
                return None  # datetime.now(), Decimal("1"), field(...)
        raise Unsupported(call, f"cannot tell statically whether {written}() returns a marker")

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
        _, entity_value = self.resolver.constant(self.scan, entity_node)
        literal_value = _literal(entity_value)
        if literal_value is not None:
            assert self.param_name is not None
            raise Invalid(
                entity_node,
                messages.entity_not_a_class(
                    self.use_case, self.param_name, marker, repr(literal_value)
                ),
            )
        entity = self.ref(entity_node)
        values: dict[str, str] = {}
        policy: str | None = None
        for keyword, value in sorted(keywords.items()):
            label = f"{marker}({keyword}=...)"
            if keyword == "on_missing":
                policy = self.policy(value, label)
                continue
            scan, resolved = self.resolver.constant(self.scan, value)
            if keyword in ("from_param", "from_command") and _is_none(resolved):
                continue
            values[keyword] = self.string(resolved, value, label)
        return _Arguments(marker, call, entity, values, policy)

    def string(self, node: cst.BaseExpression, written: cst.BaseExpression, label: str) -> str:
        """The string a marker argument holds: a literal, or a constant holding one."""
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            value = node.evaluated_value
            if isinstance(value, str):
                if not value:
                    raise Invalid(written, f"{label} must be a non-empty string")
                return value
        raise Unsupported(written, f"{label} is computed at runtime")

    def policy(self, written: cst.BaseExpression, label: str) -> str:
        scan, node = self.resolver.constant(self.scan, written)
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            value = node.evaluated_value
            if isinstance(value, str) and value in ON_MISSING.values():
                return value
            raise Invalid(
                written, bad_policy(label.partition("(")[0], one_line(self.scan.code(written)))
            )
        if (
            isinstance(node, cst.Attribute)
            and self.resolver.loom_name(scan, node.value) == "OnMissing"
        ):
            member = identifier(node.attr)
            if member not in ON_MISSING:
                raise Invalid(written, bad_policy(label.partition("(")[0], f"OnMissing.{member}"))
            return ON_MISSING[member]
        raise Unsupported(written, f"{label} is computed at runtime")

    def conversion_target(self, param: cst.Param) -> Ref | None:
        """The class values are converted to, or ``None`` when they pass as they are."""
        if param.annotation is None:
            return None
        return self._target(param.annotation.annotation)

    def _target(self, node: cst.BaseExpression, postponed: bool = False) -> Ref | None:
        if isinstance(node, cst.SimpleString):
            value = node.evaluated_value
            if not isinstance(value, str):
                return None
            try:
                parsed = cst.parse_expression(value)
            except cst.ParserSyntaxError:
                return None
            return self._target(parsed, postponed=True)
        if isinstance(node, cst.Subscript):
            # Annotated[T, ...] is T to the runtime (its metadata is dropped).
            if self._typing_name(node.value, postponed) == "Annotated" and node.slice:
                first = node.slice[0].slice
                if isinstance(first, cst.Index):
                    return self._target(first.value, postponed)
            return None
        if not isinstance(node, (cst.Name, cst.Attribute)):
            return None
        if isinstance(node, cst.Name) and node.value == "None":
            return None
        return self._classify(node, self.ref(node, postponed))

    def _typing_name(self, node: cst.BaseExpression, postponed: bool) -> str | None:
        """The name a ``typing`` object is known by, when ``node`` denotes one."""
        try:
            ref = self.ref(node, postponed)
        except Unsupported:
            return None
        definition = self.resolver.definition_of(ref)
        if definition.kind == "external" and definition.module in TYPING_MODULES:
            return definition.name
        if definition.kind == "attribute" and definition.module in TYPING_MODULES:
            return definition.name.rpartition(".")[2]
        return None

    def _classify(self, node: cst.CSTNode, ref: Ref) -> Ref | None:
        definition = self.resolver.definition_of(ref)
        if definition.kind == "builtin":
            if ref.root in NEVER_CONVERTED:
                return None
            if ref.root in BUILTIN_CLASSES and not ref.attributes:
                return ref
            raise Unsupported(node, f"'{ref.expression}' is not a class")
        if definition.module in TYPING_MODULES and definition.kind in ("external", "module"):
            alias = TYPING_ALIASES.get(ref.attributes[-1] if ref.attributes else definition.name)
            return Ref(alias, alias, None) if alias is not None else None
        if definition.kind == "class" and definition.scan is not None:
            if self.resolver.is_protocol(definition.scan, definition.scan.classes[definition.name]):
                return None  # protocols are never converted
            return ref
        top = definition.module.split(".")[0]
        if definition.kind == "external" and top in KNOWN_MODULES and top != "pydantic":
            return ref  # the standard library (UUID, Decimal, date...) or loom
        if definition.kind == "function":
            return None  # a function is not a class: values pass as given
        if definition.kind == "assigned" and definition.scan is not None:
            value = definition.scan.constants.get(definition.name)
            aliased = _Where(definition.scan, self.resolver, None)
            if isinstance(value, cst.Call):
                if aliased._typing_name(value.func, False) in ("NewType", "TypeVar"):
                    return None  # NewType("UserId", int) is no class: values pass as given
            elif isinstance(value, cst.BinaryOperation):
                if isinstance(value.operator, cst.BitOr):
                    return None  # a union (int | None) is no class
            elif isinstance(value, (cst.Name, cst.Attribute, cst.Subscript, cst.SimpleString)):
                return aliased._target(
                    value
                )  # an alias: Amount = Decimal, MaybeInt = Optional[int]
        if definition.kind == "external":
            raise Unsupported(
                node,
                f"cannot tell statically whether '{ref.expression}' is a class: module"
                f" {definition.module} is neither in the sources nor readable on the import path",
            )
        raise Unsupported(node, f"cannot tell statically whether '{ref.expression}' is a class")

    def command_type(self, param: cst.Param) -> Ref:
        if param.annotation is None:
            raise Unsupported(param, "the Input() parameter needs a command class annotation")
        node = param.annotation.annotation
        postponed = False
        if isinstance(node, cst.SimpleString) and isinstance(node.evaluated_value, str):
            try:
                node = cst.parse_expression(node.evaluated_value)
            except cst.ParserSyntaxError:
                raise Unsupported(param, "unreadable command annotation") from None
            postponed = True
        if not isinstance(node, (cst.Name, cst.Attribute)):
            raise Unsupported(param, "the Input() annotation must name a command class")
        return self.ref(node, postponed)


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
    return modules, merge_inherited(diagnostics)


def analyse_module(
    scan: ModuleScan, modules: Mapping[str, ModuleScan]
) -> tuple[ModuleIR | None, list[Diagnostic]]:
    """The IR of the use cases of one module (``None`` if it has none) and its problems."""
    analyzer = Analyzer([scan], modules)
    found = analyzer.run()
    return (found[0] if found else None), merge_inherited(analyzer.diagnostics)


__all__ = ["Analyzer", "Location", "analyse", "analyse_module", "mangle"]
