"""The names a generated module binds (``loomgen.render.names``).

Every module-level name (imports, objects read through an attribute, the
defaults of ``execute``, the executor functions) is chosen once, per module,
and never hides a name the generated functions read: their parameters and
locals, the builtins they call, or another module-level name. The generated
behaviour these names protect is tested end to end in
``tests/differential/test_regressions.py`` (names clashing with builtins, with
executor functions, with locals).
"""

from __future__ import annotations

import pytest

from loomgen.ir import Import, Ref
from loomgen.render.names import (
    BUILTINS_USED,
    LOCAL_NAMES,
    MODULE_NAMES,
    LocalNames,
    ModuleNames,
    function_name,
)


def imported(module: str, name: str) -> Ref:
    return Ref(name, name, Import(module, name))


@pytest.mark.parametrize(
    ("qualname", "expected"),
    [
        ("PlaceOrder", "run_place_order"),
        ("Outer.Inner", "run_outer__inner"),
        ("HTTPServerUp", "run_http_server_up"),
        ("uc0", "run_uc0"),
        ("UC0", "run_uc0"),
    ],
)
def test_executor_functions_are_named_after_the_use_case(qualname: str, expected: str) -> None:
    assert function_name(qualname) == expected


def test_executor_names_are_chosen_once_and_clash_with_nothing() -> None:
    # A compute the source calls ``run_uc0``, and two classes whose names snake alike.
    names = ModuleNames([imported("app.rules", "run_uc0")], executors_for=["UC0", "Uc0", "Other"])
    assert names.bound == {Import("app.rules", "run_uc0"): "run_uc0"}
    assert names.executors == {"UC0": "run_uc0_2", "Uc0": "run_uc0_3", "Other": "run_other"}
    # The executors' own locals only avoid what the functions read, not each other.
    assert "run_uc0" in names.taken and "run_uc0_2" not in names.taken


def test_imported_names_never_hide_locals_builtins_or_runtime_names() -> None:
    refs = [
        imported("app.models", "params"),  # a local of every executor
        imported("app.models", "isinstance"),  # a builtin the executors call
        imported("app.models", "StepRuntime"),  # a runtime import
        Ref("int", "int", None),  # a builtin a parameter converts to
        imported("app.other", "int"),
    ]
    names = ModuleNames(refs)
    chosen = {origin.module + ":" + origin.name: local for origin, local in names.bound.items()}
    assert chosen == {
        "app.models:params": "params_2",
        "app.models:isinstance": "isinstance_2",
        "app.models:StepRuntime": "StepRuntime_2",
        "app.other:int": "int_2",
    }
    assert "int" in names.builtins and BUILTINS_USED <= names.builtins
    assert not set(chosen.values()) & (LOCAL_NAMES | MODULE_NAMES | names.builtins)
    assert names.expression(refs[0]) == "params_2"
    assert names.expression(refs[3]) == "int"


def test_objects_behind_an_attribute_are_read_once_into_a_name_of_their_own() -> None:
    checks = Ref("checks.quota_ok", "checks", Import("app", "checks"))
    nested = Ref("PlaceOrder.computes", "PlaceOrder", Import("app.ucs", "PlaceOrder"))
    names = ModuleNames([checks, nested], defaults_for=[imported("app.ucs", "PlaceOrder")])
    assert names.expression(checks) == "checks_quota_ok"
    assert names.expression(nested) == "PlaceOrder_computes"
    assert names.defaults == {"PlaceOrder": "PlaceOrder_defaults"}
    assert names.binding_lines() == [
        "PlaceOrder_computes = PlaceOrder.computes",
        "checks_quota_ok = checks.quota_ok",
        "PlaceOrder_defaults = parameter_defaults(PlaceOrder)",
    ]


def test_imports_are_grouped_and_sorted() -> None:
    refs = [
        imported("app.rules", "quota_ok"),
        imported("app.models", "User"),
        Ref("json", "json", Import("json")),
        Ref("pkg.sub", "sub", Import("pkg.sub")),
        Ref("np", "np", Import("numpy")),  # bound under the module's own name
        Ref("params", "params", Import("params")),  # a module called like a local
    ]
    names = ModuleNames(refs, runtime=[("typing", "Any"), ("loom.core.errors", "RuleViolation")])
    assert names.import_lines() == [
        "from typing import Any",
        "",
        "from loom.core.errors import RuleViolation",
        "",
        "import json",
        "import numpy",
        "import params as params_2",
        "from app.models import User",
        "from app.rules import quota_ok",
        "from pkg import sub",
    ]


def test_locals_never_shadow_what_the_function_reads() -> None:
    locals_ = LocalNames({"User", "quota_ok"})
    assert locals_.of("user") == "user"
    assert locals_.of("User") == "User_"
    assert locals_.of("params") == "params_"  # the executor's own parameter
    assert locals_.of("bool") == "bool_"  # a builtin it calls
    assert locals_.of("User") == "User_"  # asked again: the same local
    assert locals_.of("User_") == "User__"  # and nothing else takes it
