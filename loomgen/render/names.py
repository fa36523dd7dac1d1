"""Names: every module-level, function and local name a generated module uses.

Executor function names are chosen here, once per module, with the other
module-level names (:func:`module_names`); nothing a generated module binds
ever hides a name its functions read.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable, Sequence

from loomgen.ir import DslIR, Import, ModuleIR, Ref, UseCaseIR

RUNTIME_IMPORTS: tuple[tuple[str, str], ...] = (
    ("collections.abc", "Mapping"),
    ("loom.core.engine.steps", "StepRuntime"),
    ("loom.core.engine.steps", "build_command"),
    ("loom.core.engine.steps", "convert_parameter"),
    ("loom.core.engine.steps", "find_repository"),
    ("loom.core.engine.steps", "missing_parameter"),
    ("loom.core.engine.steps", "on_missing_check"),
    ("loom.core.engine.steps", "on_missing_entity"),
    ("loom.core.engine.steps", "parameter_defaults"),
    ("loom.core.engine.steps", "sent"),
    ("loom.core.errors", "RuleViolation"),
    ("loom.core.errors", "RuleViolations"),
    ("loom.core.use_case.markers", "OnMissing"),
    ("loom.core.use_case.rule", "rule_outcome"),
    ("typing", "Any"),
)
MODULE_NAMES = frozenset(
    {name for _, name in RUNTIME_IMPORTS} | {"annotations", "SPECIALIZED_ON", "SHAPES"}
)
LOCAL_NAMES = frozenset(
    {
        "use_case",
        "params",
        "payload",
        "dependencies",
        "load_overrides",
        "runtime",
        "fields_set",
        "from_payload",
        "repository",
        "value",
        "violations",
        "violation",
        "outcome",
        "start",
        "log",
        "observed",
        "error",
    }
)
"""The generated function's own parameters and locals (see ``templates/``).

No module-level name of a generated module is ever one of these, so a
compute, rule, entity, command or module called ``params`` is never hidden
inside the function."""
BUILTINS_USED = frozenset(
    {"isinstance", "KeyError", "BaseException", "bool", "getattr", "type", "dict"}
)


def function_name(qualname: str) -> str:
    """``PlaceOrder`` -> ``run_place_order``; ``Outer.Inner`` -> ``run_outer__inner``."""
    parts = []
    for part in qualname.split("."):
        snake = re.sub(r"(?<=[^\W_])(?=[A-Z][a-z])|(?<=[a-z0-9])(?=[A-Z])", "_", part)
        parts.append(snake.lower())
    return "run_" + "__".join(parts)


def _binding_name(expression: str) -> str:
    """A readable identifier for a dotted or indexed expression:
    ``checks.quota_ok`` -> ``checks_quota_ok``, ``A.computes[0]`` -> ``A_computes_0``."""
    return re.sub(r"\W+", "_", expression).strip("_") or "bound"


def runtime_imports(use_cases: Sequence[UseCaseIR]) -> list[tuple[str, str]]:
    """The runtime names the executors of ``use_cases`` actually use."""
    needed = {"Mapping", "Any", "StepRuntime"}
    for uc in use_cases:
        if any(not p.has_default for p in uc.params):
            needed.add("missing_parameter")
        if any(p.has_default for p in uc.params):
            needed.add("parameter_defaults")
        if any(p.target is not None for p in uc.params):
            needed.add("convert_parameter")
        if uc.input is not None:
            needed.add("build_command")
            if uc.rules:
                needed.update(("RuleViolation", "RuleViolations"))
            if any(r.inline is not None and r.inline.kind in ("check", "forbid") for r in uc.rules):
                needed.add("rule_outcome")
            if any(_reads_patch_field(step.inline) for step in (*uc.computes, *uc.rules)):
                needed.add("sent")
        if uc.loads or uc.exists:
            needed.add("find_repository")
        if uc.loads:
            needed.add("on_missing_entity")
        if uc.exists:
            needed.add("on_missing_check")
        if uc.loads or uc.exists:
            needed.add("OnMissing")
    return [(module, name) for module, name in RUNTIME_IMPORTS if name in needed]


def _reads_patch_field(dsl: DslIR | None) -> bool:
    """Whether inlined code tests a patch field's presence (with ``sent``)."""
    if dsl is None:
        return False
    if dsl.kind == "require_present" and dsl.target_patch:
        return True
    pending = [dsl.predicate]
    while pending:
        predicate = pending.pop()
        if predicate is None:
            continue
        if not predicate.op and predicate.patch:
            return True
        pending.extend((predicate.left, predicate.right))
    return False


class ModuleNames:
    """Chooses the module-level name of every object the generated module binds.

    A plain name is imported (``from app.rules import quota_ok``). Anything
    reached through an attribute or an index (``checks.quota_ok``,
    ``Invite.Entity``, ``PlaceOrder.computes[0]``) is read once, when the
    generated module is imported, into a module-level name of its own
    (``checks_quota_ok = checks.quota_ok``): the executor then calls the
    object the runtime verified, as the interpreter calls the object its plan
    captured, even if the attribute is patched later. The executor function of
    each use case is named last (``executors``), never one of those names.
    """

    def __init__(
        self,
        refs: Iterable[Ref],
        runtime: Sequence[tuple[str, str]] = RUNTIME_IMPORTS,
        defaults_for: Iterable[Ref] = (),
        executors_for: Iterable[str] = (),
        commands_for: Iterable[Ref] = (),
    ) -> None:
        self.runtime = tuple(runtime)
        self.bound: dict[Import, str] = {}
        self.assigned: dict[str, str] = {}  # expression -> module-level name
        refs = list(refs)
        # Builtins the generated code calls, and those it converts to, must
        # never be shadowed by an imported name.
        self.builtins = BUILTINS_USED | {ref.root for ref in refs if ref.origin is None}
        taken = set(MODULE_NAMES) | LOCAL_NAMES | self.builtins

        def free(preferred: str) -> str:
            name, counter = preferred, 2
            while name in taken or keyword.iskeyword(name):
                name = f"{preferred}_{counter}"
                counter += 1
            taken.add(name)
            return name

        for origin in sorted({ref.origin for ref in refs if ref.origin is not None}):
            self.bound[origin] = free(origin.name or origin.module.rpartition(".")[2])
        for expression in sorted({self._spelled(ref) for ref in refs if ref.attributes}):
            self.assigned[expression] = free(_binding_name(expression))
        # The defaults of ``execute``, read from the live class like everything else.
        self.defaults: dict[str, str] = {}
        for ref in defaults_for:
            spelled = self.expression(ref)
            call = f"parameter_defaults({spelled})"
            self.assigned[call] = self.defaults[ref.expression] = free(f"{spelled}_defaults")
        # The ``from_payload`` of each ``Input()`` command class, read once too
        # (``None`` if it has none: build_command then raises the runtime's error).
        self.from_payload: dict[str, str] = {}
        for ref in commands_for:
            # Spelled from its import, not from another binding: the bindings
            # are written in sorted order, so one must not read another.
            spelled = self._spelled(ref)
            read = f'getattr({spelled}, "from_payload", None)'
            if read not in self.assigned:
                self.assigned[read] = free(f"{_binding_name(self.expression(ref))}_from_payload")
            self.from_payload[ref.expression] = self.assigned[read]
        # Every module-level name but the executors': their locals avoid these.
        self.taken = frozenset(taken)
        # One executor function per use case (by qualname), named after it, chosen
        # here once for the module and its registry entries.
        self.executors: dict[str, str] = {
            qualname: free(function_name(qualname)) for qualname in executors_for
        }

    def _spelled(self, ref: Ref) -> str:
        if ref.origin is None:
            return ref.expression
        return ".".join((self.bound[ref.origin], *ref.attributes))

    def expression(self, ref: Ref) -> str:
        """How the generated module's functions spell the object ``ref`` denotes."""
        spelled = self._spelled(ref)
        return self.assigned.get(spelled, spelled)

    def binding_lines(self) -> list[str]:
        """``name = expression`` for every object read through an attribute or index."""
        return [f"{name} = {expression}" for expression, name in sorted(self.assigned.items())]

    def import_lines(self) -> list[str]:
        """Every import the module needs, grouped and sorted (isort's style)."""
        groups: dict[int, dict[str, list[str]]] = {}
        for module, name in self.runtime:
            group = 2 if module.startswith("loom.") else 1
            groups.setdefault(group, {}).setdefault(module, []).append(name)
        plain: list[str] = []
        for origin, local in self.bound.items():
            if not origin.name:
                parent, _, last = origin.module.rpartition(".")
                if not parent and local == origin.module:
                    plain.append(f"import {origin.module}")
                elif not parent:
                    plain.append(f"import {origin.module} as {local}")
                else:
                    clause = last if local == last else f"{last} as {local}"
                    groups.setdefault(3, {}).setdefault(parent, []).append(clause)
                continue
            clause = origin.name if local == origin.name else f"{origin.name} as {local}"
            groups.setdefault(3, {}).setdefault(origin.module, []).append(clause)
        lines: list[str] = []
        for group in sorted(groups):
            if lines:
                lines.append("")
            block = groups[group]
            if group == 3 and plain:
                lines.extend(sorted(plain))
            for module in sorted(block):
                names = ", ".join(sorted(set(block[module])))
                lines.append(f"from {module} import {names}")
        if plain and 3 not in groups:
            lines.extend(["", *sorted(plain)])
        return lines


class LocalNames:
    """Local variable names for one function, never shadowing what it uses."""

    def __init__(self, avoid: Iterable[str]) -> None:
        self.avoid = set(avoid) | LOCAL_NAMES | BUILTINS_USED
        self.locals: dict[str, str] = {}

    def of(self, name: str) -> str:
        local = self.locals.get(name)
        if local is None:
            local = name
            while local in self.avoid:
                local += "_"
            self.avoid.add(local)
            self.locals[name] = local
        return local


def module_names(module: ModuleIR) -> ModuleNames:
    """The module-level names of a generated module, its executors' included."""
    refs = [ref for uc in module.use_cases for ref in uc.specialized_on()]
    refs += [
        step.inline.via
        for uc in module.use_cases
        for step in (*uc.computes, *uc.rules)
        if step.inline is not None and step.inline.via is not None
    ]
    defaults = [uc.use_case for uc in module.use_cases if any(p.has_default for p in uc.params)]
    executors = [uc.qualname for uc in module.use_cases]
    commands = [uc.input.command for uc in module.use_cases if uc.input is not None]
    return ModuleNames(refs, runtime_imports(module.use_cases), defaults, executors, commands)
