"""Reading the signature of ``execute``: which parameter is plain, which is a marker.

A parameter's default is followed statically (a marker call written there, a
module constant or class attribute holding one, a helper returning one, an
entry of a dict only ever read by key) until it is a marker call, provably no
marker, or something loomgen cannot tell (:class:`Unsupported`). The arguments
of a marker call and the class a plain parameter's values are converted to are
read here too.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass

import libcst as cst

from loom.core.engine import messages
from loom.core.engine.contract import MARKERS
from loom.core.use_case.markers import OnMissing, bad_policy
from loomgen.hierarchy import KNOWN_MODULES
from loomgen.ir import Ref
from loomgen.resolve import TYPING_MODULES, Resolver
from loomgen.scan import (
    ClassScan,
    Invalid,
    ModuleScan,
    Unsupported,
    identifier,
    one_line,
    string_annotation,
)

_POLICY_VALUES = frozenset(policy.value for policy in OnMissing)
BUILTIN_CLASSES = frozenset(
    name for name in dir(builtins) if isinstance(getattr(builtins, name), type)
)
NEVER_CONVERTED = frozenset({"object"})
TYPING_ALIASES = {"Text": "str"}
"""``typing`` names that are plain builtin classes at runtime."""


def literal(node: cst.BaseExpression) -> object | None:
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


@dataclass
class Arguments:
    """The arguments of one marker call, as read from source."""

    marker: str
    call: cst.Call
    entity: Ref
    values: dict[str, str]
    policy: OnMissing | None

    def build(self) -> object:
        """The marker object the runtime's own factory makes of these arguments
        (the entity type left out: the IR holds it as a :class:`Ref`).

        The factory (:data:`loom.core.engine.contract.MARKERS`) decides the
        defaults and what the call means (which source, which lookup), and
        rejects what it rejects at runtime, with the runtime's message.
        """
        signature = MARKERS[self.marker]
        missing = [name for name in signature.required if name not in self.values]
        given: dict[str, object] = dict(self.values)
        given.update((name, name) for name in missing)  # checked below, after the factory's own
        if self.policy is not None:
            given["on_missing"] = self.policy
        try:
            made = (
                signature.factory(object, **given) if signature.arguments else signature.factory()
            )
        except ValueError as error:
            raise Invalid(self.call, str(error)) from None
        if missing:
            raise Invalid(self.call, f"{self.marker}() needs {missing[0]}=")
        return made


@dataclass
class Where:
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
    ) -> tuple[cst.Call, str, Where] | None:
        """The marker call a parameter's default is, and where to read its
        arguments: written there, held by a module constant (``CURRENT =
        LoadById(...)``), or returned by a helper without parameters whose body
        is one ``return`` of it. ``None`` when the default is provably no
        marker; :class:`Unsupported` when loomgen cannot tell."""
        if depth > 20:
            raise Unsupported(default, "the default is too deep an alias to follow")
        if isinstance(default, cst.Call):
            name = self.resolver.loom_name(self.scan, default.func)
            if name is not None and name in MARKERS:
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
            return Where(
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
    ) -> tuple[cst.Call, str, Where] | None:
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
        key = literal(key_node)
        if key is None:
            raise unknown
        found: cst.BaseExpression | None = None
        for element in value.elements:
            if not isinstance(element, cst.DictElement):
                raise unknown  # **spread: keys not known statically
            entry_key = literal(element.key)
            if entry_key is None:
                raise unknown
            if entry_key == key:
                found = element.value  # the last one wins, as in Python
        if found is None:
            raise unknown
        return self.marker(found, depth + 1)

    def _call_marker(self, call: cst.Call, depth: int) -> tuple[cst.Call, str, Where] | None:
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
                helper = Where(definition.scan, self.resolver, None, self.use_case, self.param_name)
                return helper.marker(returned, depth + 1)
        elif definition.kind in ("external", "attribute") and definition.scan is None:
            if str(definition.module).split(".")[0] in KNOWN_MODULES:
                return None  # datetime.now(), Decimal("1"), field(...)
        raise Unsupported(call, f"cannot tell statically whether {written}() returns a marker")

    def arguments(self, call: cst.Call, marker: str) -> Arguments:
        allowed = MARKERS[marker].arguments
        positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
        if any(arg.star for arg in call.args):
            raise Unsupported(call, f"{marker}() with *args or **kwargs")
        if marker == "Input":
            if call.args:
                raise Invalid(call, "Input() takes no arguments")
            return Arguments(marker, call, Ref("", "", None), {}, None)
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
        literal_value = literal(entity_value)
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
        policy: OnMissing | None = None
        for keyword, value in sorted(keywords.items()):
            label = f"{marker}({keyword}=...)"
            if keyword == "on_missing":
                policy = self.policy(value, label)
                continue
            scan, resolved = self.resolver.constant(self.scan, value)
            if keyword in ("from_param", "from_command") and _is_none(resolved):
                continue
            values[keyword] = self.string(resolved, value, label)
        return Arguments(marker, call, entity, values, policy)

    def string(self, node: cst.BaseExpression, written: cst.BaseExpression, label: str) -> str:
        """The string a marker argument holds: a literal, or a constant holding one."""
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            value = node.evaluated_value
            if isinstance(value, str):
                if not value:
                    raise Invalid(written, f"{label} must be a non-empty string")
                return value
        raise Unsupported(written, f"{label} is computed at runtime")

    def policy(self, written: cst.BaseExpression, label: str) -> OnMissing:
        """The ``on_missing=`` written: ``OnMissing.MEMBER``, or its string value
        (as the runtime accepts it), directly or through a constant."""
        scan, node = self.resolver.constant(self.scan, written)
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            value = node.evaluated_value
            if isinstance(value, str) and value in _POLICY_VALUES:
                return OnMissing(value)
            raise Invalid(
                written, bad_policy(label.partition("(")[0], one_line(self.scan.code(written)))
            )
        if (
            isinstance(node, cst.Attribute)
            and self.resolver.loom_name(scan, node.value) == OnMissing.__name__
        ):
            member = identifier(node.attr)
            if member not in OnMissing.__members__:
                raise Invalid(written, bad_policy(label.partition("(")[0], f"OnMissing.{member}"))
            return OnMissing[member]
        raise Unsupported(written, f"{label} is computed at runtime")

    def conversion_target(self, param: cst.Param) -> Ref | None:
        """The class values are converted to, or ``None`` when they pass as they are."""
        if param.annotation is None:
            return None
        return self._target(param.annotation.annotation)

    def _target(self, node: cst.BaseExpression, postponed: bool = False) -> Ref | None:
        if isinstance(node, cst.SimpleString):
            parsed = string_annotation(node)
            return None if parsed is None else self._target(parsed, postponed=True)
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
            aliased = Where(definition.scan, self.resolver, None)
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
