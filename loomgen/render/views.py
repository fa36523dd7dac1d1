"""Views: the plain strings the templates lay out, one view per executor.

Every expression and name of an executor function is computed here (from
the IR and the module's :class:`~loomgen.render.names.ModuleNames`); the
templates only lay the strings out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from loom.core.engine.shapes import section_digests
from loom.core.use_case.markers import LookupKind, OnMissing, SourceKind
from loomgen.diagnostics import printable
from loomgen.discover import is_importable_name
from loomgen.ir import DslIR, ExistsIR, FunctionIR, LoadIR, PresenceIR, Ref, UseCaseIR
from loomgen.render.black_form import literal
from loomgen.render.names import LocalNames, ModuleNames


@dataclass(frozen=True)
class ParamView:
    comment: str
    key: str
    local: str
    target: str
    default: str
    """The expression of its default (``""``: it has none, it is required)."""


@dataclass(frozen=True)
class InputView:
    comment: str
    key: str
    local: str
    command: str
    from_payload: str
    """The module-level name holding the command class's ``from_payload`` (or ``None``)."""


@dataclass(frozen=True)
class LookupView:
    """What a load and an exists check share: a repository lookup."""

    comment: str
    key: str
    local: str
    entity: str
    value: str
    """The local holding the looked-up value (``"value"``: read from the command)."""
    value_source: str
    """The expression ``value`` is read from (``""``: a plain parameter, no read)."""
    against: str
    on_missing: str


@dataclass(frozen=True)
class LoadView(LookupView):
    by_id: bool
    profile: str


@dataclass(frozen=True)
class ExistsView(LookupView):
    """An existence check: a lookup and nothing more."""


@dataclass(frozen=True)
class FunctionView:
    comment: str
    function: str
    context: str
    dsl: DslView | None = None


@dataclass(frozen=True)
class DslView:
    """A DSL declaration's plain code: every expression precomputed."""

    kind: str
    condition: str
    """When the declaration applies (``when_present``): an expression, or ``""``."""
    value: str
    """compute: the new field value; check/forbid: the evaluator call."""
    target: str
    """compute: the field's literal; require_present: the "absent" test."""
    field: str
    message: str


@dataclass(frozen=True)
class UseCaseView:
    key: str
    qualname: str
    name: str
    function: str
    use_case: str
    params: tuple[ParamView, ...]
    param_names: str
    """The names of the plain parameters, as a tuple literal (for ``missing_parameter``)."""
    input: InputView | None
    command: str
    """The local holding the command (``""``: the use case takes none)."""
    loads: tuple[LoadView, ...]
    exists: tuple[ExistsView, ...]
    computes: tuple[FunctionView, ...]
    """Empty without a command: computes and rules read it (so does the interpreter)."""
    rules: tuple[FunctionView, ...]
    execute_comment: str
    is_async: bool
    call_arguments: str
    specialized_on: str
    inlined: str
    fingerprint: str
    shape_digests: str


def presence(predicate: PresenceIR, command: str) -> str:
    """``when_present`` as an expression: a patch field is present when the
    payload carried it, any other when it is not ``None``."""
    if not predicate.op:
        if predicate.patch:
            # The spec reads the attribute too (see loom's ``sent``).
            return f"{literal(predicate.field)} in fields_set and sent({command}.{predicate.field})"
        return f"{command}.{predicate.field} is not None"
    assert predicate.left is not None and predicate.right is not None
    parts = [presence(predicate.left, command), presence(predicate.right, command)]
    wrapped = [
        f"({part})" if side.op or (side.patch and predicate.op == "or") else part
        for part, side in zip(parts, (predicate.left, predicate.right), strict=True)
    ]
    return f" {predicate.op} ".join(wrapped)


def dsl_view(
    dsl: DslIR, command: str, locals_of: dict[str, str], expr: Callable[[Ref], str]
) -> DslView:
    """The expressions of one inlined declaration."""
    condition = "" if dsl.predicate is None else presence(dsl.predicate, command)
    if dsl.kind == "require_present":
        absent = (
            f"{literal(dsl.target)} not in fields_set or not sent({command}.{dsl.target})"
            if dsl.target_patch
            else f"{command}.{dsl.target} is None"
        )
        if condition and dsl.target_patch:
            absent = f"({absent})"
        assert dsl.field is not None
        return DslView(dsl.kind, condition, "", absent, literal(dsl.field), literal(dsl.message))
    if dsl.whole:
        arguments = [command] if dsl.kind == "compute" else [command, "fields_set"]
    else:
        arguments = [f"{command}.{name}" for name in dsl.sources]
    arguments += [locals_of[name] for name in dsl.params]
    if dsl.via is None:
        value = arguments[0]
    else:
        value = f"{expr(dsl.via)}({', '.join(arguments)})"
    if dsl.kind == "compute":
        return DslView(dsl.kind, condition, value, literal(dsl.target), "", "")
    field = literal(dsl.field) if dsl.field is not None else f"type({command}).__name__"
    return DslView(dsl.kind, condition, value, "", field, literal(dsl.message))


def inlined(uc: UseCaseIR, expr: Callable[[Ref], str]) -> str:
    """``SPECIALIZED_ON``'s third part: per inlined declaration, its index among
    the specialized objects, the structure it was read as, and the functions
    the code calls in its place."""
    first = len(uc.specialized_on()) - len(uc.computes) - len(uc.rules)
    entries = []
    for offset, step in enumerate((*uc.computes, *uc.rules)):
        if step.inline is not None:
            functions = () if step.inline.via is None else (expr(step.inline.via),)
            entries.append(
                _tuple((str(first + offset), literal(step.inline.description), _tuple(functions)))
            )
    return _tuple(entries)


def _on_missing(policy: OnMissing) -> str:
    """``OnMissing.RETURN_NONE`` as generated code spells it."""
    return f"OnMissing.{policy.name}"


def _tuple(items: Iterable[str]) -> str:
    values = list(items)
    return "(" + ", ".join(values) + ("," if len(values) == 1 else "") + ")"


def use_case_view(uc: UseCaseIR, names: ModuleNames) -> UseCaseView:
    """Precompute every name and expression of one executor function."""
    expr = names.expression
    locals_ = LocalNames(names.taken | names.builtins)
    name = literal(uc.qualname)
    bound: list[tuple[str, str]] = []  # (parameter name, local), in the interpreter's order

    params = []
    for p in uc.params:
        local = locals_.of(p.name)
        bound.append((p.name, local))
        params.append(
            ParamView(
                printable(p.declaration),
                literal(p.name),
                local,
                expr(p.target) if p.target is not None else "",
                (
                    f"{names.defaults[uc.use_case.expression]}[{literal(p.name)}]"
                    if p.has_default
                    else ""
                ),
            )
        )
    input_view = None
    command = ""
    if uc.input is not None:
        command = locals_.of(uc.input.name)
        bound.append((uc.input.name, command))
        input_view = InputView(
            printable(uc.input.declaration),
            literal(uc.input.name),
            command,
            expr(uc.input.command),
            names.from_payload[uc.input.command.expression],
        )

    def lookup(step: LoadIR | ExistsIR) -> tuple[str, str, str, str, str, str, str, str]:
        """The :class:`LookupView` fields of a load or an exists check, in order."""
        if step.source_kind is SourceKind.PARAM:
            value, source = locals_.of(step.source_name), ""
        # ``command.<name>`` reads the attribute called exactly ``name`` only if
        # ``name`` is an identifier Python need not NFKC-normalize (``ﬁ`` reads ``fi``):
        # the test an importable module name passes.
        elif is_importable_name(step.source_name):
            value, source = "value", f"{command}.{step.source_name}"
        else:
            value, source = "value", f"getattr({command}, {literal(step.source_name)})"
        local = locals_.of(step.name)
        bound.append((step.name, local))
        return (
            printable(step.declaration),
            literal(step.name),
            local,
            expr(step.entity),
            value,
            source,
            literal(step.against),
            _on_missing(step.on_missing),
        )

    loads = tuple(
        LoadView(*lookup(step), step.lookup_kind is LookupKind.BY_ID, literal(step.profile))
        for step in uc.loads
    )
    exists = tuple(ExistsView(*lookup(check)) for check in uc.exists)

    context = "{" + ", ".join(f"{literal(key)}: {local}" for key, local in bound) + "}"

    locals_of = dict(bound)

    def functions(steps: Sequence[FunctionIR]) -> tuple[FunctionView, ...]:
        return tuple(
            FunctionView(
                printable(
                    step.declaration
                    + (" (with context)" if step.accepts_context and not step.inline else "")
                ),
                expr(step.function),
                context if step.accepts_context else "",
                None if step.inline is None else dsl_view(step.inline, command, locals_of, expr),
            )
            for step in steps
        )

    return UseCaseView(
        key=literal(uc.qualname),
        qualname=uc.qualname,
        name=name,
        function=names.executors[uc.qualname],
        use_case=expr(uc.use_case),
        params=tuple(params),
        param_names=_tuple(literal(p.name) for p in uc.params),
        input=input_view,
        command=command,
        loads=loads,
        exists=exists,
        computes=functions(uc.computes) if uc.input is not None else (),
        rules=functions(uc.rules) if uc.input is not None else (),
        execute_comment=printable(f"{uc.qualname}.execute ({'async' if uc.is_async else 'sync'})"),
        is_async=uc.is_async,
        call_arguments=", ".join(f"{key}={local}" for key, local in bound),
        specialized_on=_tuple(expr(ref) for ref in uc.specialized_on()),
        inlined=inlined(uc, expr),
        fingerprint=literal(uc.fingerprint),
        shape_digests=literal(section_digests(uc.shape())),
    )
