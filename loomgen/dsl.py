"""Reading ``Compute``/``Rule`` declarations from source, to compile them inline.

A declaration such as::

    PRICE_RULE = Rule.check(F(CreateProduct).price, via=price_must_be_positive)

means, in full, "call ``price_must_be_positive(cmd.price)`` and turn its
result into a violation of ``price``". When every part of it can be read
statically (the chain of DSL calls, single-field ``F(...)`` paths whose
patch status the command class's annotations tell, string literals or
constants for ``field=``/``message=``, a named ``via``), :class:`DslReader`
returns a :class:`~loomgen.ir.DslIR` and the executor gets the plain code;
otherwise ``None``, and the declaration is called like any compute or rule.

What is read here becomes the contract's typed fact
(:mod:`loom.core.engine.contract`), the same one the runtime builds from a
live spec (:mod:`loom.core.use_case.declaration`), and the runtime compares
the two encodings before running the executor, so a declaration edited since
the build is never run as it used to read.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Literal

import libcst as cst

from loom.core.command.field import CommandField
from loom.core.engine.contract import (
    ComputeDeclaration,
    FieldPath,
    Presence,
    PresenceOp,
    RequirePresentDeclaration,
    RuleDeclaration,
)
from loom.core.use_case.field_ref import PredicateOp
from loom.core.use_case.rule import DEFAULT_MESSAGE, RuleKind, default_violation_field
from loomgen.hierarchy import KNOWN_MODULES, Hierarchy
from loomgen.ir import DslIR, PresenceIR, Ref
from loomgen.resolve import TYPING_MODULES, Resolver
from loomgen.scan import ModuleScan, Unsupported, identifier, string_annotation

PATCH_POSITION = [field.name for field in fields(CommandField)].index("patch")
"""Where ``patch`` sits among ``CommandField``'s positional arguments: read from the class
itself, so loomgen and the runtime cannot disagree on ``CommandField(False, False, True)``."""

FACTORIES: dict[tuple[str, str], Literal["compute"] | RuleKind] = {
    ("Compute", "set"): "compute",
    ("Rule", "check"): RuleKind.CHECK,
    ("Rule", "forbid"): RuleKind.FORBID,
    ("Rule", "require_present"): RuleKind.REQUIRE_PRESENT,
}


class NotInline(Exception):
    """Something in the declaration cannot be read statically."""


class DslReader:
    """Reads DSL declarations as seen from one module."""

    def __init__(self, resolver: Resolver, hierarchy: Hierarchy) -> None:
        self.resolver = resolver
        self.hierarchy = hierarchy

    def read(
        self, scan: ModuleScan, node: cst.BaseExpression, bound: frozenset[str]
    ) -> DslIR | None:
        """The declaration ``node`` (written in ``scan``), or ``None`` when some
        part of it is not static. ``bound`` are the names a ``from_params`` may use."""
        try:
            return self._read(scan, node, bound)
        except (NotInline, Unsupported):
            return None

    # -- the chain of calls -----------------------------------------------------------

    def _read(self, scan: ModuleScan, node: cst.BaseExpression, bound: frozenset[str]) -> DslIR:
        calls: list[tuple[str, cst.Call]] = []
        current: cst.BaseExpression = node
        while isinstance(current, cst.Call) and isinstance(current.func, cst.Attribute):
            calls.append((identifier(current.func.attr), current))
            current = current.func.value
        calls.reverse()
        if not calls:
            raise NotInline
        factory = self.resolver.loom_name(scan, current)
        kind = FACTORIES.get((factory or "", calls[0][0]))
        if kind is None:
            raise NotInline
        if not isinstance(kind, RuleKind):
            return self._compute(scan, calls, bound)
        return self._rule(scan, kind, calls, bound)

    def _compute(
        self, scan: ModuleScan, calls: list[tuple[str, cst.Call]], bound: frozenset[str]
    ) -> DslIR:
        (_, start), *rest = calls
        (target,) = self._fields(scan, self._positional(start, 1, 1))
        if not rest or rest[0][0] != "from_command":
            raise NotInline
        sources_call = rest[0][1]
        sources = self._fields(scan, self._positional(sources_call, 0, None))
        keywords = self._keywords(sources_call, {"via"})
        via = self._via(scan, keywords.get("via"))
        params: tuple[str, ...] = ()
        predicate: PresenceIR | None = None
        for method, call in rest[1:]:
            if method == "from_params" and via is not None:
                params += self._names(scan, call, bound)
            elif method == "when_present":
                predicate = self._presence(scan, self._positional(call, 1, 1)[0])
            else:
                raise NotInline
        if via is None and len(sources) != 1:
            raise NotInline  # an error at declaration: the runtime reports it
        declaration = ComputeDeclaration(
            target=_path(target),
            sources=tuple(_path(source) for source in sources),
            include_command=not sources,
            via=via is not None,
            params=params,
            predicate=_presence(predicate),
        )
        return DslIR(
            kind="compute",
            target=target[0],
            target_patch=target[1],
            sources=tuple(name for name, _ in sources),
            whole=not sources,
            via=via,
            params=params,
            predicate=predicate,
            field=None,
            message="",
            declaration=declaration,
        )

    def _rule(
        self,
        scan: ModuleScan,
        kind: RuleKind,
        calls: list[tuple[str, cst.Call]],
        bound: frozenset[str],
    ) -> DslIR:
        (_, start), *rest = calls
        predicate: PresenceIR | None = None
        if kind is RuleKind.REQUIRE_PRESENT:
            (target,) = self._fields(scan, self._positional(start, 1, 1))
            keywords = self._keywords(start, {"field", "message"})
            required_field = self._text(scan, keywords.get("field")) or target[0]
            required = self._text(scan, keywords.get("message")) or f"{target[0]} is required"
            for method, call in rest:
                if method != "when_present":
                    raise NotInline
                predicate = self._presence(scan, self._positional(call, 1, 1)[0])
            present = RequirePresentDeclaration(
                _path(target), required_field, required, _presence(predicate)
            )
            return DslIR(
                kind, target[0], target[1], (), False, None, (), predicate, required_field,
                required, present,
            )  # fmt: skip
        if kind is RuleKind.CHECK:
            sources = self._fields(scan, self._positional(start, 1, None))
            keywords = self._keywords(start, {"via", "message"})
            via = self._via(scan, keywords.get("via"))
            declared_field: str | None = sources[0][0]
            whole = False
        else:
            (condition,) = self._positional(start, 1, 1)
            keywords = self._keywords(start, {"message"})
            via = self._via(scan, condition)
            sources, declared_field, whole = (), None, True
        if via is None:
            raise NotInline
        message = self._text(scan, keywords.get("message"))
        params: tuple[str, ...] = ()
        for method, call in rest:
            if method == "from_command":
                sources = self._fields(scan, self._positional(call, 0, None))
                whole = not sources
            elif method == "from_params":
                params += self._names(scan, call, bound)
            elif method == "when_present":
                predicate = self._presence(scan, self._positional(call, 1, 1)[0])
            else:
                raise NotInline
        field = default_violation_field(
            declared_field,
            [name for name, _ in sources],
            params,
            predicate.field if predicate is not None and predicate.op is None else None,
        )
        violation_message = message or DEFAULT_MESSAGE
        rule = RuleDeclaration(
            kind,
            tuple(_path(source) for source in sources),
            whole,
            params,
            _presence(predicate),
            field,
            violation_message,
        )
        return DslIR(
            kind, "", False, tuple(name for name, _ in sources), whole, via, params, predicate,
            field, violation_message, rule,
        )  # fmt: skip

    # -- arguments ----------------------------------------------------------------------

    @staticmethod
    def _positional(call: cst.Call, least: int, most: int | None) -> list[cst.BaseExpression]:
        if any(arg.star for arg in call.args):
            raise NotInline
        values = [arg.value for arg in call.args if arg.keyword is None]
        if len(values) < least or (most is not None and len(values) > most):
            raise NotInline
        return values

    @staticmethod
    def _keywords(call: cst.Call, allowed: set[str]) -> dict[str, cst.BaseExpression]:
        found = {identifier(arg.keyword): arg.value for arg in call.args if arg.keyword is not None}
        if not set(found) <= allowed:
            raise NotInline
        return found

    def _text(self, scan: ModuleScan, node: cst.BaseExpression | None) -> str | None:
        if node is None:
            return None
        _, value = self.resolver.constant(scan, node)
        if isinstance(value, cst.Name) and value.value == "None":
            return None
        if isinstance(value, (cst.SimpleString, cst.ConcatenatedString)):
            text = value.evaluated_value
            if isinstance(text, str):
                return text
        raise NotInline

    def _names(self, scan: ModuleScan, call: cst.Call, bound: frozenset[str]) -> tuple[str, ...]:
        names = tuple(self._text(scan, node) for node in self._positional(call, 1, None))
        if not all(name is not None and name in bound for name in names):
            raise NotInline  # unknown names are a compile error the runtime reports
        return tuple(name for name in names if name is not None)

    def _via(self, scan: ModuleScan, node: cst.BaseExpression | None) -> Ref | None:
        if node is None:
            return None
        if not isinstance(node, (cst.Name, cst.Attribute)):
            raise NotInline
        return self.resolver.reference(scan, node)

    # -- field paths ----------------------------------------------------------------------

    def _fields(
        self, scan: ModuleScan, nodes: list[cst.BaseExpression]
    ) -> tuple[tuple[str, bool], ...]:
        return tuple(self._field(scan, node) for node in nodes)

    def _field(self, scan: ModuleScan, node: cst.BaseExpression) -> tuple[str, bool]:
        """``F(Cmd).name`` -> ``("name", is it a patch field)``; single names only."""
        if isinstance(node, cst.Attribute):
            holder, name = node.value, identifier(node.attr)
        elif isinstance(node, cst.Subscript) and len(node.slice) == 1:
            index = node.slice[0].slice
            text = (
                index.value.evaluated_value
                if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString)
                else None
            )
            if not isinstance(text, str):
                raise NotInline
            holder, name = node.value, text
        else:
            raise NotInline
        if not (
            isinstance(holder, cst.Call)
            and self.resolver.loom_name(scan, holder.func) == "F"
            and len(holder.args) == 1
            and holder.args[0].keyword is None
            and not holder.args[0].star
        ):
            raise NotInline  # a nested path, or not F(...)
        if not name.isidentifier():
            raise NotInline
        return name, self._patch(scan, holder.args[0].value, name)

    def _patch(self, scan: ModuleScan, command: cst.BaseExpression, name: str) -> bool:
        """Whether ``name`` is declared a patch field on the command class (or the
        nearest base declaring it), however the annotation is spelled: ``Patch[...]``,
        ``Annotated[..., CommandField(patch=True)]`` directly or through an alias
        (``PatchStr``, a generic alias), or with ``patch`` given positionally.
        ``F("label")`` names no class: never a patch field."""
        if isinstance(command, cst.SimpleString) and isinstance(command.evaluated_value, str):
            if not command.evaluated_value:
                raise NotInline
            return False
        found = self.resolver.definition_of(self.resolver.reference(scan, command))
        if found.kind != "class" or found.scan is None:
            raise NotInline
        for entry in self.hierarchy.mro(found.scan, found.scan.classes[found.name]):
            if isinstance(entry, str):
                if entry.startswith("unseen:"):
                    raise NotInline  # a base loomgen cannot read may declare it
                continue
            owner_scan, owner = entry
            annotation = owner.annotations.get(name)
            if annotation is not None:
                return self._is_patch(owner_scan, annotation)
        raise NotInline

    def _is_patch(self, scan: ModuleScan, annotation: cst.BaseExpression, depth: int = 0) -> bool:
        """Whether the metadata of ``annotation`` (a field's type, as pydantic reads
        it: only a top-level ``Annotated``, aliases followed) holds a
        ``CommandField`` with ``patch`` true. :class:`NotInline` when it cannot tell."""
        if depth > 20:
            raise NotInline
        if isinstance(annotation, cst.SimpleString):
            parsed = string_annotation(annotation)
            if parsed is None:
                raise NotInline
            return self._is_patch(scan, parsed, depth + 1)
        if isinstance(annotation, cst.BinaryOperation):
            return False  # a union (X | None): no metadata of its own
        if isinstance(annotation, cst.Subscript):
            head = annotation.value
            kind = self.resolver.loom_name(scan, head)
            if kind in ("Patch", "Internal", "Computed"):
                return kind == "Patch"  # loom.core.command's aliases
            if self._typing_name(scan, head) == "Annotated":
                elements = [
                    e.slice.value for e in annotation.slice if isinstance(e.slice, cst.Index)
                ]
                if len(elements) != len(annotation.slice) or not elements:
                    raise NotInline
                if self._is_patch(scan, elements[0], depth + 1):
                    return True  # Annotated[Annotated[T, x], y] is flattened
                return any(self._is_patch_item(scan, item, depth + 1) for item in elements[1:])
            alias = self._alias(scan, head)
            if alias is not None:
                # Patch[str] where Patch = Annotated[T | None, CommandField(patch=True)]:
                # subscripting keeps the metadata.
                return self._is_patch(alias[0], alias[1], depth + 1)
            return self._plain_type(scan, head)
        if isinstance(annotation, (cst.Name, cst.Attribute)):
            if isinstance(annotation, cst.Name) and annotation.value == "None":
                return False
            alias = self._alias(scan, annotation)
            if alias is not None:
                return self._is_patch(alias[0], alias[1], depth + 1)
            return self._plain_type(scan, annotation)
        raise NotInline

    def _is_patch_item(self, scan: ModuleScan, item: cst.BaseExpression, depth: int) -> bool:
        """Whether one ``Annotated`` metadata item is ``CommandField(patch=True)``."""
        if depth > 20:
            raise NotInline
        if isinstance(item, cst.Call):
            name = self.resolver.loom_name(scan, item.func)
            if name != "CommandField":
                definition = self._definition(scan, item.func)
                if definition is not None and definition.kind in ("external", "builtin", "class"):
                    return False  # pydantic's Field(...), a constraint class...
                raise NotInline
            keyword = [a.value for a in item.args if a.keyword and a.keyword.value == "patch"]
            positional = [a.value for a in item.args if a.keyword is None and not a.star]
            if any(a.star for a in item.args):
                raise NotInline
            flags = keyword or positional[PATCH_POSITION : PATCH_POSITION + 1]
            if not flags:
                return False
            flag_scan, flag = self.resolver.constant(scan, flags[0])
            if isinstance(flag, cst.Name) and flag.value in ("True", "False"):
                return flag.value == "True"
            raise NotInline
        if isinstance(
            item, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float, cst.Lambda)
        ):
            return False
        if isinstance(item, (cst.Name, cst.Attribute)):
            alias = self._alias(scan, item)
            if alias is not None:
                return self._is_patch_item(alias[0], alias[1], depth + 1)
            definition = self._definition(scan, item)
            if definition is not None and definition.kind in (
                "external",
                "builtin",
                "class",
                "function",
            ):
                return False
        raise NotInline

    def _definition(self, scan: ModuleScan, node: cst.BaseExpression) -> Any:
        try:
            return self.resolver.definition_of(self.resolver.reference(scan, node))
        except Unsupported:
            return None

    def _alias(
        self, scan: ModuleScan, node: cst.BaseExpression
    ) -> tuple[ModuleScan, cst.BaseExpression] | None:
        """The value of the module-level constant ``node`` names (an alias), if any."""
        definition = self._definition(scan, node)
        if definition is None:
            raise NotInline
        if definition.kind != "assigned":
            return None
        if definition.scan is None or definition.name not in definition.scan.constants:
            raise NotInline  # bound conditionally or more than once
        return definition.scan, definition.scan.constants[definition.name]

    def _typing_name(self, scan: ModuleScan, node: cst.BaseExpression) -> str | None:
        definition = self._definition(scan, node)
        if definition is None:
            return None
        if definition.module in TYPING_MODULES and definition.kind in ("external", "attribute"):
            return str(definition.name).rpartition(".")[2]
        return None

    def _plain_type(self, scan: ModuleScan, node: cst.BaseExpression) -> bool:
        """``False`` for a class, a builtin or a ``typing`` object (no metadata);
        :class:`NotInline` for a name loomgen cannot see."""
        definition = self._definition(scan, node)
        if definition is None:
            raise NotInline
        if definition.kind in ("class", "builtin"):
            return False
        if definition.kind in ("external", "attribute") and definition.scan is None:
            top = str(definition.module).split(".")[0]
            if top in KNOWN_MODULES:
                return False
        raise NotInline

    def _presence(self, scan: ModuleScan, node: cst.BaseExpression) -> PresenceIR:
        if isinstance(node, cst.BinaryOperation):
            if isinstance(node.operator, cst.BitAnd):
                op = PredicateOp.AND
            elif isinstance(node.operator, cst.BitOr):
                op = PredicateOp.OR
            else:
                raise NotInline
            return PresenceIR(
                op, left=self._presence(scan, node.left), right=self._presence(scan, node.right)
            )
        name, patch = self._field(scan, node)
        return PresenceIR(None, name, patch)


def _path(field: tuple[str, bool]) -> FieldPath:
    """A single-name field as the contract's path."""
    return FieldPath((field[0],), (field[1],))


def _presence(predicate: PresenceIR | None) -> Presence | None:
    if predicate is None:
        return None
    if predicate.op is None:
        return _path((predicate.field, predicate.patch))
    left, right = _presence(predicate.left), _presence(predicate.right)
    assert left is not None and right is not None
    return PresenceOp(predicate.op, left, right)
