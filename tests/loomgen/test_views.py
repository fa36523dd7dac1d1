"""The views the templates read (``loomgen.render.views``): every expression
of an executor, computed from the IR before any template runs.

What the expressions do when generated code runs is tested in both modes by
the behaviour tests and the golden cases; these tests pin the strings.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from loomgen.discover import SourceFile
from loomgen.ir import ModuleIR, PresenceIR, UseCaseIR
from loomgen.parse import analyse
from loomgen.render.names import module_names
from loomgen.render.views import ExistsView, LoadView, UseCaseView, presence, use_case_view
from loomgen.scan import scan_module

SOURCE = """
from dataclasses import dataclass
from typing import Any

from loom.core.command import Command
from loom.core.use_case import Exists, Input, Load, LoadById, OnMissing, UseCase


@dataclass
class User:
    id: int
    email: str


class Cmd(Command):
    email: str


class Invite(UseCase[Any, Any]):
    async def execute(
        self,
        team: int,
        cmd: Cmd = Input(),
        owner: User = LoadById(User, by="team"),
        member: User | None = Load(
            User, from_param="team", against="id", on_missing=OnMissing.RETURN_NONE
        ),
        taken: bool = Exists(User, from_command="email", against="email"),
    ) -> Any:
        return None
"""


def invite() -> UseCaseIR:
    scan = scan_module(SourceFile(Path("/src/app.py"), "app.py", "app"), SOURCE)
    assert not isinstance(scan, Exception)
    modules, problems = analyse([scan])
    assert problems == [] and len(modules[0].use_cases) == 1
    return modules[0].use_cases[0]


def view_of(uc: UseCaseIR) -> UseCaseView:
    return use_case_view(uc, module_names(ModuleIR("app", "app.py", (uc,))))


def test_loads_and_exists_checks_read_their_value_where_it_is() -> None:
    view = view_of(invite())
    assert view.function == "run_invite"
    owner, member = view.loads
    assert owner == LoadView(
        'owner: User = LoadById(User, by="team")',
        '"owner"',
        "owner",
        "User",
        "team",  # a plain parameter: its local, nothing to read
        "",
        '"id"',
        "OnMissing.RAISE",
        True,
        '"default"',
    )
    assert (member.by_id, member.on_missing) == (False, "OnMissing.RETURN_NONE")
    assert view.exists == (
        ExistsView(
            'taken: bool = Exists(User, from_command="email", against="email")',
            '"taken"',
            "taken",
            "User",
            "value",  # read from the command first
            "cmd.email",
            '"email"',
            "OnMissing.RETURN_FALSE",
        ),
    )
    # Every bound name goes to ``execute``, in the interpreter's order.
    assert view.call_arguments == "team=team, cmd=cmd, owner=owner, member=member, taken=taken"


@pytest.mark.parametrize(
    ("field", "read"),
    [
        ("email", "cmd.email"),
        ("class", 'getattr(cmd, "class")'),  # a keyword
        ("ﬁeld", 'getattr(cmd, "ﬁeld")'),  # Python would read ``cmd.field``
    ],
)
def test_a_command_field_is_read_by_name_only_when_the_name_reads_it(field: str, read: str) -> None:
    uc = invite()
    uc = replace(uc, exists=(replace(uc.exists[0], source_name=field),))
    assert view_of(uc).exists[0].value_source == read


def test_a_declaration_comment_stays_on_one_line() -> None:
    uc = invite()
    uc = replace(uc, exists=(replace(uc.exists[0], declaration="taken\n= Exists(\x00)"),))
    assert view_of(uc).exists[0].comment == "taken\\n= Exists(\\x00)"


def test_presence_of_fields_patch_fields_and_their_combinations() -> None:
    email = PresenceIR("", "email")
    note = PresenceIR("", "note", patch=True)
    assert presence(email, "cmd") == "cmd.email is not None"
    assert presence(note, "cmd") == '"note" in fields_set and sent(cmd.note)'
    assert presence(PresenceIR("and", left=email, right=note), "cmd") == (
        'cmd.email is not None and "note" in fields_set and sent(cmd.note)'
    )
    either = PresenceIR("or", left=email, right=note)
    assert presence(either, "cmd") == (
        'cmd.email is not None or ("note" in fields_set and sent(cmd.note))'
    )
    assert presence(PresenceIR("and", left=either, right=email), "c") == (
        '(c.email is not None or ("note" in fields_set and sent(c.note))) and c.email is not None'
    )
