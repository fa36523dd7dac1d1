"""Reading ``execute``'s signature: markers, their arguments, plain defaults.

Sources are given as text (``{module name: source}``) and never imported.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from loom.core.engine import CompilationError, UseCaseCompiler
from loom.core.use_case.markers import LookupKind, OnMissing, SourceKind
from loomgen.diagnostics import Severity
from tests.loomgen.reading import analysed, use_case


@pytest.mark.parametrize("written", ['"bogus"', "OnMissing.BOGUS"])
def test_a_bad_on_missing_lists_the_valid_values_in_the_build_and_at_runtime(
    written: str,
) -> None:
    from loom.core.use_case import LoadById, OnMissing

    _, diagnostics = analysed(app__ucs=f"""
        from loom.core.use_case import LoadById, OnMissing, UseCase

        class User: ...

        class GetUser(UseCase):
            async def execute(self, user_id: int, user: User = LoadById(User, by="user_id", on_missing={written})):
                return user
        """)
    valid = (
        "valid values: OnMissing.RAISE, OnMissing.RETURN_NONE, OnMissing.RETURN_FALSE"
        " (or the strings 'raise', 'return_none', 'return_false')"
    )
    assert [
        d.message.endswith(f"LoadById(): on_missing= must be an OnMissing, got {written}; {valid}")
        for d in diagnostics
    ] == [True]
    with pytest.raises(ValueError) as error:
        LoadById(object, by="user_id", on_missing="bogus")  # type: ignore[arg-type]
    assert str(error.value) == f"LoadById(): on_missing= must be an OnMissing, got 'bogus'; {valid}"
    assert [m.value for m in OnMissing] == ["raise", "return_none", "return_false"]


MARKER_SOURCE = """
from typing import Any
from loom.core.use_case import LoadById, UseCase
class Account: ...
{before}
class UC(UseCase[Any, Any]):
    async def execute(self, account_id: int, account: Any = {default}) -> Any: ...
{after}
"""


def test_a_marker_in_a_dict_constant_read_by_key_is_followed() -> None:
    source = MARKER_SOURCE.format(
        before='KEY = "a"\nMARKERS = {"a": LoadById(Account, by="account_id"), "b": 1}',
        default="MARKERS[KEY]",
        after="",
    )
    modules, diagnostics = analysed(app=source)
    assert diagnostics == []
    (load,) = use_case(modules["app"], "UC").loads
    assert (load.source_name, load.entity.expression) == ("account_id", "Account")


@pytest.mark.parametrize(
    ("before", "default", "after"),
    [
        ('M = {"a": LoadById(Account, by="account_id")}', 'M["a"]', 'M["a"] = None'),
        ('M = {"a": LoadById(Account, by="account_id")}', 'M["a"]', "M.clear()"),
        ('M = {"a": LoadById(Account, by="account_id")}', 'M["a"]', "def f():\n    del M['a']"),
        ('M = {"a": LoadById(Account, by="account_id")}', 'M["a"]', "print(M)"),
        ('M = {**{}, "a": LoadById(Account, by="account_id")}', 'M["a"]', ""),
        ('M = [LoadById(Account, by="account_id")]', "M[0]", ""),
        ('M = {"a": LoadById(Account, by="account_id")}', 'M["a"] or None', ""),
        ('M = {"a": LoadById(Account, by="account_id")}', 'None if M else M["a"]', ""),
        ("", "(lambda: 1)()", ""),
    ],
)
def test_a_default_not_provably_plain_leaves_the_class(
    before: str, default: str, after: str
) -> None:
    modules, diagnostics = analysed(
        app=MARKER_SOURCE.format(before=before, default=default, after=after)
    )
    (left,) = modules["app"].interpreted
    assert left.qualname == "UC" and "marker" in left.reason, left
    assert [d.severity for d in diagnostics] == [Severity.WARNING]


@pytest.mark.parametrize("default", ["-1", "(1, 2)", "[]", "{}", "'a' 'b'", "f'{1}'", "lambda: 1"])
def test_literal_defaults_are_plain_defaults(default: str) -> None:
    modules, diagnostics = analysed(app=MARKER_SOURCE.format(before="", default=default, after=""))
    assert diagnostics == [] and modules["app"].interpreted == ()
    assert use_case(modules["app"], "UC").loads == ()


LOAD_BY_ID_FROM_COMMAND = """
from typing import Any
from loom.core.command import Command
from loom.core.use_case import Input, LoadById, OnMissing, UseCase

class Team: ...

class Join(Command):
    team_id: int

class JoinTeam(UseCase[Any, Any]):
    async def execute(
        self, cmd: Join = Input(), team: Team = LoadById(Team, from_command="team_id"{extra})
    ) -> Any: ...
"""


def test_load_by_id_from_a_command_field_becomes_ir() -> None:
    modules, diagnostics = analysed(app=LOAD_BY_ID_FROM_COMMAND.format(extra=""))
    assert diagnostics == []
    (load,) = use_case(modules["app"], "JoinTeam").loads
    assert (load.source_kind, load.source_name, load.lookup_kind, load.against) == (
        SourceKind.COMMAND,
        "team_id",
        LookupKind.BY_ID,
        "id",
    )
    assert (load.profile, load.on_missing) == ("default", OnMissing.RAISE)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            LOAD_BY_ID_FROM_COMMAND.format(extra=', by="team"'),
            "LoadById(): by='team' and from_command='team_id' both name the id; give one of them",
        ),
        (
            LOAD_BY_ID_FROM_COMMAND.format(extra="").replace("cmd: Join = Input(), ", ""),
            "from_command requires Input() parameter (parameter 'team' reads"
            " from_command='team_id', and execute has no Input())",
        ),
    ],
    ids=["by-and-from-command", "without-input"],
)
def test_load_by_id_from_a_command_field_mistakes_are_the_runtimes(
    source: str, message: str
) -> None:
    _, diagnostics = analysed(app=source)
    assert [d.severity for d in diagnostics] == [Severity.ERROR]
    assert message in diagnostics[0].message, diagnostics[0].message
    namespace: dict[str, Any] = {"__name__": "load_by_id_case"}
    with pytest.raises((ValueError, CompilationError)) as error:
        exec(textwrap.dedent(source), namespace)
        UseCaseCompiler().compile(namespace["JoinTeam"])
    assert message in str(error.value)
