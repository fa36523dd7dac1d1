"""Failures the differential and hostile-source tests found, kept as plain tests.

Each test holds the minimal source hypothesis shrank to (tidied by hand) and
the requests that expose the difference. A test here that fails names a bug
that is not fixed yet; ``tests/differential/sourcegen.py``'s ``KNOWN_BUGS`` keeps
the fuzzer away from it meanwhile.
"""

from __future__ import annotations

import pytest

from tests.differential.harness import HIT, MISS, RepoSpec, Request, Workspace, check_sources

PRELUDE = """\
from typing import Any

from loom.core.use_case import Exists, Input, Load, LoadById, OnMissing, UseCase
from tests.differential.harness import compute_step, finish, rule_step
"""


def check(workspace: Workspace, source: str, *requests: Request, debug: bool = False) -> None:
    names = sorted({r.use_case for r in requests})
    check_sources(
        workspace, {"ucs.py": PRELUDE + source}, list(requests), debug=debug, use_cases=names
    )


def test_parameter_annotated_none_gets_a_generated_executor(workspace: Workspace) -> None:
    """``x: None`` is ``NoneType`` to the runtime (a class: values are converted by
    calling it), but loomgen treated the ``None`` annotation as "no conversion",
    so the fingerprints differed and generated mode refused the use case."""
    check(
        workspace,
        """
class UC0(UseCase[Any, Any]):
    def execute(self, x: None) -> Any:
        return finish("UC0", locals())
""",
        Request("UC0", params={"x": None}),
        Request("UC0", params={"x": 1}),
    )


def test_non_nfkc_class_name_gets_a_generated_executor(workspace: Workspace) -> None:
    """Python normalises identifiers to NFKC: ``class Ｆull`` (fullwidth F) is
    ``Full`` at runtime. loomgen kept the raw spelling, so the registry key
    ``module:Ｆull`` never matched the live class ``module:Full``."""
    check(
        workspace,
        """
class Ｆull(UseCase[Any, Any]):
    def execute(self) -> Any:
        return finish("Full", locals())
""",
        Request("Full", params={}),
    )


def test_non_nfkc_parameter_name_gets_a_generated_executor(workspace: Workspace) -> None:
    """``ﬁx`` (with the U+FB01 ligature) is the parameter ``fix`` at runtime: the
    interpreter binds ``params["fix"]``. loomgen kept ``ﬁx`` (fingerprint
    mismatch, and generated code would read ``params["ﬁx"]``)."""
    check(
        workspace,
        """
class UC0(UseCase[Any, Any]):
    def execute(self, ﬁx: int) -> Any:
        return finish("UC0", locals())
""",
        Request("UC0", params={"fix": "5"}),
        Request("UC0", params={}),
    )


def test_marker_naming_a_non_nfkc_parameter_builds(workspace: Workspace) -> None:
    """``by="fix"`` names the parameter spelled ``ﬁx`` (Python sees ``fix``): the
    runtime compiler accepts it, so loomgen must not call it an error."""
    check(
        workspace,
        """
class User:
    pass


class UC0(UseCase[Any, Any]):
    async def execute(self, ﬁx: int, user: User = LoadById(User, by="fix")) -> Any:
        return finish("UC0", locals())
""",
        Request("UC0", params={"fix": 1}, repos=(RepoSpec("User", answers=(HIT,)),)),
        Request("UC0", params={"fix": 2}, repos=(RepoSpec("User", answers=(MISS,)),)),
    )


def test_parameter_named_like_a_conversion_builtin(workspace: Workspace) -> None:
    """A parameter called ``int`` became the local ``int`` in the generated
    function, shadowing the builtin its own conversion (and every other
    ``int`` parameter's) uses: ``UnboundLocalError`` instead of "missing
    required parameter", and ``isinstance(int, int)`` TypeErrors."""
    check(
        workspace,
        """
class UC0(UseCase[Any, Any]):
    def execute(self, x: int, int: str, str: int) -> Any:
        return finish("UC0", locals())
""",
        Request("UC0", params={"x": 0}),
        Request("UC0", params={"x": "1", "int": 2, "str": "3"}),
        Request("UC0", params={"x": 1, "int": "a", "str": "b"}),
    )


def test_module_level_names_shadowing_builtins_the_generated_code_uses(
    workspace: Workspace,
) -> None:
    """The generated module imports the source's objects under their own names;
    a compute called ``isinstance`` or ``bool``, or an entity called
    ``KeyError``, then shadows the builtin the generated code relies on
    (``isinstance`` for conversions, ``bool`` around ``exists_by``, ``KeyError``
    for missing parameters)."""
    check(
        workspace,
        """
from loom.core.command import Command


class KeyError:
    pass


class Cmd(Command):
    name: str = "n"


def isinstance(cmd, fields_set):
    return compute_step("isinstance", "identity", cmd, fields_set, None)


def bool(cmd, fields_set):
    return compute_step("bool", "identity", cmd, fields_set, None)


class UC0(UseCase[Any, Any]):
    computes = [isinstance, bool]

    async def execute(
        self,
        x: int,
        cmd: Cmd = Input(),
        taken: Any = Exists(KeyError, from_param="x", against="id"),
    ) -> Any:
        return finish("UC0", locals())
""",
        Request(
            "UC0", params={"x": "1"}, payload={}, repos=(RepoSpec("KeyError", answers=(HIT,)),)
        ),
        Request("UC0", params={}, payload={}),
    )


def test_attributes_of_loom_bases_count_in_the_mro(workspace: Workspace) -> None:
    """``class UC2(UC1, UC0)`` with ``UC1(Job)`` and ``UC0(UseCase)``: Python's
    MRO is UC2, UC1, Job, UC0, UseCase..., so ``rules`` is ``Job.rules == ()``.
    loomgen searched only the scanned classes, depth first, and took
    ``UC0.rules``: a different plan (fingerprint mismatch)."""
    check(
        workspace,
        """
from loom.core.job import Job


def r0(cmd, fields_set):
    rule_step("r0", "ok", cmd, fields_set, None)


class UC0(UseCase[Any, Any]):
    rules = [r0]

    def execute(self) -> Any:
        return finish("UC0", locals())


class UC1(Job[Any]):
    def execute(self) -> Any:
        return finish("UC1", locals())


class UC2(UC1, UC0):
    def execute(self) -> Any:
        return finish("UC2", locals())
""",
        Request("UC2", params={}),
    )


def test_diamond_inheritance_follows_the_mro(workspace: Workspace) -> None:
    """``D(B, C)`` with ``B(A)`` and ``C(A)``: ``D.computes`` is ``C.computes``
    (MRO D, B, C, A), not ``A.computes`` as a depth-first search finds."""
    check(
        workspace,
        """
from loom.core.command import Command


class Cmd(Command):
    name: str = "n"


def c0(cmd, fields_set):
    return compute_step("c0", "tag", cmd, fields_set, None)


def c1(cmd, fields_set):
    return compute_step("c1", "tag", cmd, fields_set, None)


class A(UseCase[Any, Any]):
    computes = [c0]

    async def execute(self, cmd: Cmd = Input()) -> Any:
        return finish("A", locals())


class B(A):
    pass


class C(A):
    computes = [c1]


class D(B, C):
    pass
""",
        Request("D", payload={}),
        Request("A", payload={}),
    )


def test_from_command_attribute_that_is_not_nfkc_normal(workspace: Workspace) -> None:
    """``from_command="ﬁ"`` is read with ``getattr(cmd, "ﬁ")`` by the interpreter;
    the generated ``cmd.ﬁ`` is compiled by Python as ``cmd.fi`` (identifiers in
    code are NFKC-normalised, strings are not): another attribute altogether.
    Found by ``test_hostile_strings_keep_exact_values_and_run_nothing``."""
    check(
        workspace,
        """
from loom.core.command import Command


class User:
    pass


class Cmd(Command):
    email: str = "e"


setattr(Cmd, "ﬁ", "from-weird-attribute")


class UC(UseCase[Any, Any]):
    async def execute(
        self, cmd: Cmd = Input(), c: Any = Load(User, from_command="ﬁ", against="a")
    ) -> Any:
        return finish("UC", locals())
""",
        Request("UC", payload={}, repos=(RepoSpec("User", answers=(HIT,)),)),
    )


COMPILE_ERRORS = [
    (
        "async def execute(\n        self,\n        user_id: int,",
        "async def execute(\n        self,\n        user_id: int,\n        user_id: str,",
    ),
    ("    return cmd\n", "    return cmd\n\n\nreturn 1\n"),
    ("class User:\n    pass", "class User:\n    nonlocal x"),
    ("    pass\n", "    break\n"),
    ("    return cmd\n", "    return await cmd\n"),
]


@pytest.mark.parametrize(
    ("old", "new"),
    COMPILE_ERRORS,
    ids=["duplicate-argument", "return", "nonlocal", "break", "await"],
)
def test_sources_python_refuses_to_compile_are_errors(old: str, new: str) -> None:
    """libcst parses ``def execute(self, x: int, x: str)``, which CPython's
    compiler rejects ("duplicate argument"); loomgen generated an executor for
    a module that cannot even be imported instead of reporting a syntax error
    at ``path:line:col`` (exit 2, package untouched). Same for ``return``
    outside a function, ``nonlocal`` at module level, ``break`` outside a loop,
    ``await`` in a plain ``def``. Suggested: also ``compile()`` each source (or
    run ``symtable``) after libcst parsed it, reporting ``SyntaxError`` at its
    ``lineno:offset``."""
    from tests.faults.test_hostile_sources import (
        GOOD_SOURCE,
        check_refused,
        project,
        run_cli,
        tree,
    )

    source = GOOD_SOURCE.replace(old, new, 1)
    assert source != GOOD_SOURCE
    with pytest.raises(SyntaxError) as python:
        compile(source, "app/ucs.py", "exec", dont_inherit=True)
    with project() as root:
        before = tree(root / "gen")
        (root / "app" / "ucs.py").write_text(source)
        code, out, err = run_cli(root)
        matches = check_refused(root, code, out, err, before)
        assert any(
            m["path"] == "app/ucs.py" and int(m["line"]) == python.value.lineno for m in matches
        ), err


def test_sources_are_decoded_like_python_does(workspace: Workspace) -> None:
    """A source declaring ``# -*- coding: latin-1 -*-`` is decoded as latin-1 by
    Python (PEP 263), but loomgen read every file as UTF-8: bytes that happen to
    be valid UTF-8 gave other strings (the profile ``"Ã©"``, bytes C3 A9, became
    ``"é"``), so the executor hard-coded another profile and the runtime
    refused it as stale; bytes that are not UTF-8 (a lone E9) made the build
    fail with "cannot read". Suggested: decode as Python does
    (``tokenize.open``/``tokenize.detect_encoding``, or hand libcst the bytes)."""
    source = "# -*- coding: latin-1 -*-\n" + PRELUDE + """
class User:
    pass


class UC0(UseCase[Any, Any]):
    async def execute(self, x: int, user: User = LoadById(User, by="x", profile="\xc3\xa9")) -> Any:
        return finish("UC0", locals())
"""
    check_sources(
        workspace,
        {"ucs.py": source},
        [Request("UC0", params={"x": 1}, repos=(RepoSpec("User", answers=(HIT,)),))],
        use_cases=["UC0"],
        encoding="latin-1",
    )


def test_source_names_clashing_with_executor_function_names(workspace: Workspace) -> None:
    """The executor of ``UC0`` is the generated function ``run_uc0``; a compute
    (or entity, command...) the source also calls ``run_uc0`` is imported into
    the generated module under that name, and the ``async def run_uc0``
    replaces it: ``SPECIALIZED_ON`` then lists the executor instead of the
    compute (refused as "built for other objects"), and the executor would
    call itself. Suggested: choose executor names outside ``ModuleNames.taken``
    (or import the source's objects under names no executor can take)."""
    check(
        workspace,
        """
from loom.core.command import Command


class Cmd(Command):
    name: str = "n"


def run_uc0(cmd, fields_set):
    return compute_step("run_uc0", "tag", cmd, fields_set, None)


class UC0(UseCase[Any, Any]):
    computes = [run_uc0]

    async def execute(self, cmd: Cmd = Input()) -> Any:
        return finish("UC0", locals())
""",
        Request("UC0", payload={}),
    )
