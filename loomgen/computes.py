"""Reading the ``computes`` and ``rules`` lists of a use case.

Each entry becomes a :class:`FunctionIR`: how generated code reaches the
callable (imported by name, or read from the class when it is written in the
list), whether it takes the context argument, and, for a DSL declaration
loomgen can compile inline, its IR.
"""

from __future__ import annotations

import libcst as cst

from loom.core.engine import messages
from loomgen.dsl import DslReader
from loomgen.hierarchy import Found, Hierarchy
from loomgen.ir import DslIR, FunctionIR, Ref
from loomgen.resolve import Resolver, class_attribute
from loomgen.scan import ClassScan, Invalid, ModuleScan, Unsupported, identifier, one_line
from loomgen.signature import literal

DSL_FACTORIES = frozenset({"Compute", "Rule"})
"""Chains rooted at these build compute/rule specs, which always take a context."""


class StepReader:
    """Reads the computes and rules a use case class declares (or inherits)."""

    def __init__(self, resolver: Resolver, hierarchy: Hierarchy, dsl: DslReader) -> None:
        self.resolver = resolver
        self.hierarchy = hierarchy
        self.dsl = dsl

    def functions(
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
            literal_value = literal(held)
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
