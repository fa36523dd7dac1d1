"""The forms of the differential survey (:mod:`tests.differential.test_survey`).

Each :class:`Form` is one source module of a project (``app/<name>.py``,
occasionally with helper modules), the use case classes in it to call, and
the outcome the survey asserts for it:

- ``COMPILED``: the build compiles every class and the runtime runs the
  generated executor (``generated`` and ``auto``);
- ``LEFT``: the build (or, for a class no build can see, the runtime) leaves
  it to the interpreter and says why;
- ``EITHER``: one of the two, whichever loomgen can prove; never refused,
  never silent.

``everyday`` marks what a team writes without trying to trick the tool (the
survey reports the compiled fraction of those). The others are the kinds an
adversarial pass found, every form ``docs/`` lists, and odd but
legal Python. ``lib/`` is a package *outside* the sources: loomgen may read it,
never compile it.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any

COMPILED = "compiled"
LEFT = "left"
EITHER = "either"

PARAMS = {"n": 1, "user_id": 7, "email": "a@b.c", "limit": 5}
"""Every call passes all of these; each ``execute`` takes the ones it declares."""
PAYLOADS: tuple[Any, ...] = ({"name": " Ada ", "note": "hi"}, {"name": "bad"})
"""Two calls per class: one that passes every rule, one that a ``no_bad`` rule refuses."""
REPOS = {"app.common:User": {"get": True, "exists": True}, "lib.entities:Account": {}}

HEADER = """\
from typing import Annotated, Any, ClassVar, Optional

from loom.core.command import Command
from loom.core.errors import RuleViolation
from loom.core.job import Job
from loom.core.use_case import (
    CommandField,
    Compute,
    Exists,
    F,
    Input,
    Load,
    LoadById,
    OnMissing,
    Rule,
    UseCase,
)

from app.common import Cmd, PatchCmd, User, is_bad, name_problem, no_bad, shout, sign, tidy

"""

COMMON = '''\
"""What many survey forms share (a source module with no use case)."""

from dataclasses import dataclass
from typing import Annotated, Any

from loom.core.command import Command
from loom.core.errors import RuleViolation
from loom.core.use_case import CommandField


@dataclass(frozen=True)
class User:
    id: int
    email: str = ""


class Cmd(Command):
    name: str
    note: str | None = None


class PatchCmd(Command):
    name: Annotated[str | None, CommandField(patch=True)] = None
    note: Annotated[str | None, CommandField(patch=True)] = None


def tidy(cmd: Any, fields_set: frozenset[str]) -> Any:
    return cmd.model_copy(update={"name": cmd.name.strip().lower()})


def sign(cmd: Any, fields_set: frozenset[str], context: Any) -> Any:
    return cmd.model_copy(update={"note": f"{cmd.note}/{sorted(context)}"})


def no_bad(cmd: Any, fields_set: frozenset[str]) -> None:
    if cmd.name == "bad":
        raise RuleViolation("name", "bad name")


def shout(value: Any) -> Any:
    return None if value is None else str(value).upper()


def is_bad(cmd: Any, fields_set: frozenset[str]) -> bool:
    return cmd.name == "bad"


def name_problem(name: Any) -> str | None:
    return "bad name" if name == "bad" else None
'''

LIB = {
    "lib/__init__.py": "",
    "lib/entities.py": """
        from dataclasses import dataclass


        @dataclass(frozen=True)
        class Account:
            id: int
    """,
    "lib/types.py": """
        from typing import NewType, Optional

        UserId = NewType("UserId", int)
        MaybeInt = Optional[int]
        Count = int
    """,
    "lib/settings.py": """
        PROFILE = "full"
        KEY = "user_id"
    """,
    "lib/commands.py": """
        from loom.core.command import Command


        class LibCmd(Command):
            name: str
            note: str | None = None
    """,
    "lib/steps.py": """
        from typing import Any

        from loom.core.errors import RuleViolation


        def lib_tidy(cmd: Any, fields_set: frozenset[str]) -> Any:
            return cmd.model_copy(update={"name": cmd.name.strip().upper()})


        def lib_rule(cmd: Any, fields_set: frozenset[str]) -> None:
            if cmd.name == "bad":
                raise RuleViolation("name", "lib says bad")
    """,
    "lib/core.py": """
        from loom.core.use_case import Input, LoadById, UseCase

        __all__ = ["Input", "LoadById", "UseCase"]
    """,
    "lib/base.py": '''
        from typing import Any

        from loom.core.use_case import UseCase

        from lib.steps import lib_tidy


        class AppUseCase(UseCase[Any, Any]):
            """A team's shared base, in a package the build does not compile."""


        class TidyingUseCase(UseCase[Any, Any]):
            computes = [lib_tidy]


        class ReadOnlyUseCase(UseCase[Any, Any]):
            read_only = True


        class Stamped(UseCase[Any, Any]):
            def __init_subclass__(cls, **kwargs: Any) -> None:
                super().__init_subclass__(**kwargs)
                cls.read_only = True
    ''',
    "lib/mixins.py": """
        from typing import Any

        from lib.steps import lib_rule


        class Audited:
            rules = [lib_rule]


        class ReadOnly:
            read_only = True


        class Runs:
            async def execute(self, n: int) -> Any:
                return ("mixin", n)
    """,
    "lib/patch.py": """
        from typing import Annotated, TypeVar

        from loom.core.use_case import CommandField

        T = TypeVar("T")
        PatchStr = Annotated[str | None, CommandField(patch=True)]
        Patch = Annotated[T | None, CommandField(patch=True)]
    """,
    "lib/star.py": """
        from typing import Any


        def helper(cmd: Any, fields_set: frozenset[str]) -> Any:
            return cmd.model_copy(update={"note": "from lib.star"})
    """,
}

SUPPORT = {
    "app/__init__.py": "",
    "app/common.py": COMMON,
    "app/settings.py": 'PROFILE = "full"\nKEY = "user_id"\n',
    "app/markers.py": (
        "from loom.core.use_case import LoadById\n\nfrom app.common import User\n\n"
        'CURRENT = LoadById(User, by="user_id")\n'
    ),
    "app/patching.py": (
        "from typing import Annotated, TypeVar\n\nfrom loom.core.use_case import CommandField\n\n"
        'T = TypeVar("T")\nPatchStr = Annotated[str | None, CommandField(patch=True)]\n'
        "Patch = Annotated[T | None, CommandField(patch=True)]\n"
    ),
    "app/bases.py": """
        from typing import Any

        from loom.core.use_case import UseCase

        from app.common import no_bad, tidy


        class Base(UseCase[Any, Any]):
            computes = [tidy]


        class Checked(Base):
            rules = [no_bad]


        class RulesMixin:
            rules = [no_bad]


        AnyUseCase = UseCase[Any, Any]
        Plain = UseCase
    """,
}


@dataclass(frozen=True)
class Form:
    """One survey form: a module, the classes to call, the outcome to assert."""

    name: str
    kind: str
    body: str
    expect: str = COMPILED
    everyday: bool = False
    classes: tuple[str, ...] = ("UC",)
    header: bool = True
    extra: dict[str, str] = field(default_factory=dict)
    path: str | None = None
    """Where the module goes (default ``app/<name>.py``)."""
    module: str | None = None
    """Its import name (default ``app.<name>``)."""
    repos: dict[str, Any] | None = None

    def files(self) -> dict[str, str]:
        text = textwrap.dedent(self.body).lstrip()
        if self.header:
            text = HEADER + text
        files = {self.path or f"app/{self.name}.py": text}
        files.update(self.extra)
        return files

    @property
    def import_name(self) -> str:
        return self.module or f"app.{self.name}"

    def calls(self) -> list[dict[str, Any]]:
        return [
            {
                "use_case": f"{self.import_name}:{qualname}",
                "params": PARAMS,
                "payload": payload,
                "repos": {
                    entity.replace("{module}", self.import_name): spec
                    for entity, spec in (self.repos or REPOS).items()
                },
            }
            for qualname in self.classes
            for payload in PAYLOADS
        ]


FORMS: list[Form] = []


def form(name: str, kind: str, body: str, **options: Any) -> None:
    FORMS.append(Form(f"f{len(FORMS) + 1:03d}_{name}", kind, body, **options))


def everyday(name: str, body: str, **options: Any) -> None:
    form(name, "everyday", body, everyday=True, **options)


# -- everyday forms -------------------------------------------------------------------------

everyday(
    "plain_param",
    """
    class UC(UseCase[Any, int]):
        async def execute(self, n: int) -> int:
            return n + 1
""",
)
everyday(
    "sync_execute",
    """
    class UC(UseCase[Any, int]):
        def execute(self, n: int) -> int:
            return n + 2
""",
)
everyday(
    "param_defaults",
    """
    class UC(UseCase[Any, Any]):
        async def execute(self, n: int, missing: int = 3, label: str = "x") -> Any:
            return (n, missing, label)
""",
)
everyday(
    "keyword_only",
    """
    class UC(UseCase[Any, Any]):
        async def execute(self, *, n: int, limit: int) -> Any:
            return (n, limit)
""",
)
everyday(
    "optional_param",
    """
    class UC(UseCase[Any, Any]):
        async def execute(self, n: Optional[int] = None) -> Any:
            return n
""",
)
everyday(
    "union_none_param",
    """
    class UC(UseCase[Any, Any]):
        async def execute(self, n: int | None = None, other: int | None = None) -> Any:
            return (n, other)
""",
)
everyday(
    "annotated_doc_param",
    """
    class UC(UseCase[Any, Any]):
        async def execute(self, n: Annotated[int, "how many"]) -> Any:
            return n
""",
)
everyday(
    "string_annotations",
    """
    class UC(UseCase["User", "Any"]):
        async def execute(
            self, n: "int", user_id: "int", user: "User" = LoadById(User, by="user_id")
        ) -> "Any":
            return (n, user)
""",
)
everyday(
    "future_annotations",
    """
    from __future__ import annotations

    from typing import Any

    from loom.core.use_case import Input, LoadById, UseCase

    from app.common import Cmd, User, tidy


    class UC(UseCase[User, Any]):
        computes = [tidy]

        async def execute(
            self, user_id: int, cmd: Cmd = Input(), user: User = LoadById(User, by="user_id")
        ) -> Any:
            return (user_id, cmd, user)
""",
    header=False,
)
everyday(
    "typing_text",
    """
    import typing


    class UC(UseCase[Any, Any]):
        async def execute(self, email: typing.Text) -> Any:
            return email
""",
)
everyday(
    "input_command",
    """
    class UC(UseCase[Any, Any]):
        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
)
everyday(
    "input_compute",
    """
    class UC(UseCase[Any, Any]):
        computes = [tidy]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
)
everyday(
    "input_rule",
    """
    class UC(UseCase[Any, Any]):
        rules = [no_bad]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
)
everyday(
    "compute_with_context",
    """
    class UC(UseCase[Any, Any]):
        computes = [tidy, sign]
        rules = [no_bad]

        async def execute(self, n: int, limit: int, cmd: Cmd = Input()) -> Any:
            return (n, cmd)
""",
)
everyday(
    "tuples_of_steps",
    """
    class UC(UseCase[Any, Any]):
        computes = (tidy,)
        rules = (no_bad,)

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
)
everyday(
    "local_step_functions",
    """
    def add_note(cmd: Any, fields_set: frozenset[str]) -> Any:
        return cmd.model_copy(update={"note": f"{cmd.note}:{sorted(fields_set)}"})


    def note_required(cmd: Any, fields_set: frozenset[str]) -> None:
        if cmd.note is None:
            raise RuleViolation("note", "note is required")


    class UC(UseCase[Any, Any]):
        computes = [add_note]
        rules = [note_required, no_bad]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
)
everyday(
    "lambda_compute",
    """
    class UC(UseCase[Any, Any]):
        computes = [lambda cmd, fields_set: cmd.model_copy(update={"note": "lambda"})]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
)
everyday(
    "load_by_id",
    """
    class UC(UseCase[User, Any]):
        async def execute(self, user_id: int, user: User = LoadById(User, by="user_id")) -> Any:
            return user
""",
)
everyday(
    "load_by_id_profile",
    """
    class UC(UseCase[User, Any]):
        async def execute(
            self, user_id: int, user: User = LoadById(User, by="user_id", profile="full")
        ) -> Any:
            return user
""",
)
everyday(
    "load_by_id_default_key",
    """
    class UC(UseCase[User, Any]):
        async def execute(self, id: int = 3, user: User = LoadById(User)) -> Any:
            return user
""",
)
everyday(
    "load_by_field",
    """
    class UC(UseCase[User, Any]):
        async def execute(
            self, email: str, user: User = Load(User, from_param="email", against="email")
        ) -> Any:
            return user
""",
)
everyday(
    "load_from_command",
    """
    class UC(UseCase[User, Any]):
        async def execute(
            self, cmd: Cmd = Input(), user: User = Load(User, from_command="name", against="email")
        ) -> Any:
            return (cmd, user)
""",
)
everyday(
    "exists_from_param",
    """
    class UC(UseCase[Any, Any]):
        async def execute(
            self, email: str, taken: bool = Exists(User, from_param="email", against="email")
        ) -> Any:
            return taken
""",
)
everyday(
    "exists_from_command",
    """
    class UC(UseCase[Any, Any]):
        rules = [no_bad]

        async def execute(
            self,
            cmd: Cmd = Input(),
            taken: bool = Exists(User, from_command="name", against="email"),
        ) -> Any:
            return (cmd, taken)
""",
)
everyday(
    "exists_must_exist",
    """
    class UC(UseCase[Any, Any]):
        async def execute(
            self,
            email: str,
            found: bool = Exists(
                User, from_param="email", against="email", on_missing=OnMissing.RAISE
            ),
        ) -> Any:
            return found
""",
    repos={"app.common:User": {"exists": False}},
)
everyday(
    "load_or_none",
    """
    class UC(UseCase[User, Any]):
        async def execute(
            self,
            user_id: int,
            user: User | None = LoadById(User, by="user_id", on_missing=OnMissing.RETURN_NONE),
        ) -> Any:
            return user
""",
    repos={"app.common:User": {"get": False}},
)
everyday(
    "load_missing_raises",
    """
    class UC(UseCase[User, Any]):
        async def execute(self, user_id: int, user: User = LoadById(User, by="user_id")) -> Any:
            return user
""",
    repos={"app.common:User": {"get": False}},
)
everyday(
    "read_only",
    """
    class UC(UseCase[User, Any]):
        read_only = True

        async def execute(self, user_id: int, user: User = LoadById(User, by="user_id")) -> Any:
            return user
""",
)
everyday(
    "job",
    """
    class UC(Job[Any]):
        async def execute(self, user_id: int, user: User = LoadById(User, by="user_id")) -> Any:
            return (user_id, user)
""",
)
everyday(
    "sync_job",
    """
    class UC(Job[Any]):
        def execute(self, n: int) -> Any:
            return n * 2
""",
)
everyday(
    "aliased_imports",
    """
    from typing import Any

    from loom.core.use_case import Input as Payload
    from loom.core.use_case import LoadById as ById
    from loom.core.use_case import UseCase as Operation

    from app.common import Cmd, User, tidy


    class UC(Operation[User, Any]):
        computes = [tidy]

        async def execute(
            self, user_id: int, cmd: Cmd = Payload(), user: User = ById(User, by="user_id")
        ) -> Any:
            return (cmd, user)
""",
    header=False,
)
everyday(
    "module_import",
    """
    from typing import Any

    import loom.core.use_case as uc

    from app import common


    class UC(uc.UseCase[common.User, Any]):
        computes = [common.tidy]
        rules = [common.no_bad]

        async def execute(
            self,
            user_id: int,
            cmd: common.Cmd = uc.Input(),
            user: common.User = uc.LoadById(common.User, by="user_id"),
            known: bool = uc.Exists(common.User, from_command="name", against="email"),
        ) -> Any:
            return (cmd, user, known)
""",
    header=False,
)
everyday(
    "constant_marker_arguments",
    """
    PROFILE = "full"
    KEY = "user_id"
    POLICY = OnMissing.RETURN_NONE


    class UC(UseCase[User, Any]):
        async def execute(
            self, user_id: int, user: User = LoadById(User, by=KEY, profile=PROFILE, on_missing=POLICY)
        ) -> Any:
            return user
""",
)
everyday(
    "imported_constants",
    """
    from app.settings import KEY, PROFILE


    class UC(UseCase[User, Any]):
        async def execute(
            self, user_id: int, user: User = LoadById(User, by=KEY, profile=PROFILE)
        ) -> Any:
            return user
""",
)
everyday(
    "dsl_compute_set",
    """
    SHOUT = Compute.set(F(Cmd).note).from_command(F(Cmd).name, via=shout)


    class UC(UseCase[Any, Any]):
        computes = [SHOUT]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
)
everyday(
    "dsl_rule_forbid",
    """
    NOT_BAD = Rule.forbid(is_bad, message="no bad names")


    class UC(UseCase[Any, Any]):
        rules = [NOT_BAD]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
)
everyday(
    "dsl_rule_check",
    """
    GOOD_NAME = Rule.check(F(Cmd).name, via=name_problem)


    class UC(UseCase[Any, Any]):
        rules = [GOOD_NAME]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
)
everyday(
    "dsl_require_present",
    """
    NAME = Rule.require_present(F(PatchCmd).name)
    COPY = Compute.set(F(PatchCmd).note).from_command(F(PatchCmd).name, via=shout).when_present(
        F(PatchCmd).name
    )


    class UC(UseCase[Any, Any]):
        computes = [COPY]
        rules = [NAME]

        async def execute(self, cmd: PatchCmd = Input()) -> Any:
            return cmd
""",
)
everyday(
    "dsl_inline_in_list",
    """
    class UC(UseCase[Any, Any]):
        computes = [Compute.set(F(Cmd).note).from_command(F(Cmd).name, via=shout)]
        rules = [Rule.forbid(is_bad, message="no bad names"), no_bad]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
)
everyday(
    "dsl_from_params",
    """
    def stamp(name: Any, limit: int) -> str:
        return f"{name}<={limit}"


    STAMP = Compute.set(F(Cmd).note).from_command(F(Cmd).name, via=stamp).from_params("limit")


    class UC(UseCase[Any, Any]):
        computes = [STAMP]

        async def execute(self, limit: int, cmd: Cmd = Input()) -> Any:
            return cmd
""",
)
everyday(
    "patch_command_fields_set",
    """
    def mark(cmd: Any, fields_set: frozenset[str]) -> Any:
        return cmd.model_copy(update={"note": ",".join(sorted(fields_set))})


    class UC(UseCase[Any, Any]):
        computes = [mark]

        async def execute(self, cmd: PatchCmd = Input()) -> Any:
            return cmd
""",
)
everyday(
    "class_level_alias",
    """
    class UC(UseCase[User, Any]):
        Entity = User

        async def execute(self, user_id: int, user: User = LoadById(Entity, by="user_id")) -> Any:
            return user
""",
)
everyday(
    "nested_use_case",
    """
    class Users:
        class UC(UseCase[User, Any]):
            async def execute(self, user_id: int, user: User = LoadById(User, by="user_id")) -> Any:
                return user
""",
    classes=("Users.UC",),
)
everyday(
    "base_in_sources",
    """
    from app.bases import Base


    class UC(Base):
        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
)
everyday(
    "two_level_base_in_sources",
    """
    from app.bases import Checked


    class UC(Checked):
        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
)
everyday(
    "mixin_in_sources",
    """
    from app.bases import RulesMixin


    class UC(RulesMixin, UseCase[Any, Any]):
        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
)
everyday(
    "local_abstract_base",
    """
    class Base(UseCase[Any, Any]):
        computes = [tidy]
        rules = [no_bad]


    class UC(Base):
        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd


    class Other(Base):
        async def execute(self, n: int, cmd: Cmd = Input()) -> Any:
            return (n, cmd)
""",
    classes=("UC", "Other"),
)
everyday(
    "subclass_overrides_steps",
    """
    from app.bases import Checked


    class UC(Checked):
        computes = [sign]

        async def execute(self, n: int, cmd: Cmd = Input()) -> Any:
            return (n, cmd)
""",
)
everyday(
    "subclass_of_concrete_use_case",
    """
    class Parent(UseCase[Any, Any]):
        rules = [no_bad]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return ("parent", cmd)


    class UC(Parent):
        async def execute(self, cmd: Cmd = Input()) -> Any:
            return ("child", cmd)
""",
    classes=("Parent", "UC"),
)
everyday(
    "many_in_one_module",
    """
    class GetUser(UseCase[User, Any]):
        read_only = True

        async def execute(self, user_id: int, user: User = LoadById(User, by="user_id")) -> Any:
            return user


    class Rename(UseCase[User, Any]):
        computes = [tidy]
        rules = [no_bad]

        async def execute(
            self, user_id: int, cmd: Cmd = Input(), user: User = LoadById(User, by="user_id")
        ) -> Any:
            return (user, cmd)


    class Count(UseCase[Any, int]):
        def execute(self, n: int, limit: int) -> int:
            return n + limit
""",
    classes=("GetUser", "Rename", "Count"),
)
everyday(
    "use_case_in_package_init",
    """
    class UC(UseCase[Any, Any]):
        async def execute(self, n: int) -> Any:
            return ("package", n)
""",
    path="app/f_pkg/__init__.py",
    module="app.f_pkg",
)
everyday(
    "steps_through_module_attribute",
    """
    from app import common


    class UC(UseCase[Any, Any]):
        computes = [common.tidy, common.sign]
        rules = [common.no_bad]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
)
everyday(
    "pydantic_entity",
    """
    from pydantic import BaseModel


    class Order(BaseModel):
        id: int


    class UC(UseCase[Order, Any]):
        async def execute(self, user_id: int, order: Order = LoadById(Order, by="user_id")) -> Any:
            return order
""",
    repos={"{module}:Order": {}},
)
everyday(
    "command_in_module",
    """
    class Rename(Command):
        name: str
        note: str | None = None
        times: int = 1


    class UC(UseCase[Any, Any]):
        computes = [tidy]
        rules = [no_bad]

        async def execute(self, cmd: Rename = Input()) -> Any:
            return cmd
""",
)
everyday(
    "command_with_validator",
    """
    from pydantic import field_validator


    class Rename(Command):
        name: str
        note: str | None = None

        @field_validator("name")
        @classmethod
        def strip(cls, value: str) -> str:
            return value.strip()


    class UC(UseCase[Any, Any]):
        rules = [no_bad]

        async def execute(self, cmd: Rename = Input()) -> Any:
            return cmd
""",
)
everyday(
    "loads_and_exists_together",
    """
    class UC(UseCase[User, Any]):
        computes = [tidy]
        rules = [no_bad]

        async def execute(
            self,
            user_id: int,
            email: str,
            cmd: Cmd = Input(),
            user: User = LoadById(User, by="user_id"),
            other: User = Load(User, from_param="email", against="email", profile="slim"),
            known: bool = Exists(User, from_command="name", against="email"),
        ) -> Any:
            return (user, other, known, cmd)
""",
)
everyday(
    "returns_none",
    """
    class UC(UseCase[Any, None]):
        async def execute(self, n: int) -> None:
            return None
""",
)
everyday(
    "helpers_in_class",
    """
    class UC(UseCase[Any, Any]):
        \"\"\"Renames a user.\"\"\"

        label = "rename"
        rules = [no_bad]

        @staticmethod
        def double(value: int) -> int:
            return value * 2

        @property
        def title(self) -> str:
            return self.label.title()

        def describe(self, cmd: Cmd) -> str:
            return f"{self.title}:{cmd.name}"

        async def execute(self, n: int, cmd: Cmd = Input()) -> Any:
            return (self.double(n), self.describe(cmd))
""",
)
everyday(
    "classvar_steps",
    """
    class UC(UseCase[Any, Any]):
        computes: ClassVar[list[Any]] = [tidy]
        rules: ClassVar[list[Any]] = [no_bad]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
)
everyday(
    "type_checking_import",
    """
    from __future__ import annotations

    from typing import TYPE_CHECKING, Any

    from loom.core.use_case import LoadById, UseCase

    from app.common import User

    if TYPE_CHECKING:
        from app.common import Cmd


    class UC(UseCase[User, Any]):
        async def execute(self, user_id: int, user: User = LoadById(User, by="user_id")) -> Any:
            return user
""",
    header=False,
)
everyday(
    "param_type_alias",
    """
    UserKey = int


    class UC(UseCase[Any, Any]):
        async def execute(self, n: UserKey, user_id: UserKey) -> Any:
            return (n, user_id)
""",
)
everyday(
    "optional_alias_same_module",
    """
    MaybeInt = Optional[int]


    class UC(UseCase[Any, Any]):
        async def execute(self, n: MaybeInt = None) -> Any:
            return n
""",
)
everyday(
    "newtype_same_module",
    """
    from typing import NewType

    UserKey = NewType("UserKey", int)


    class UC(UseCase[Any, Any]):
        async def execute(self, user_id: UserKey) -> Any:
            return user_id
""",
)
everyday(
    "outside_base",
    """
    from lib.base import AppUseCase


    class UC(AppUseCase):
        rules = [no_bad]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
)
everyday(
    "outside_base_with_computes",
    """
    from lib.base import TidyingUseCase


    class UC(TidyingUseCase):
        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
)
everyday(
    "outside_mixin_rules",
    """
    from lib.mixins import Audited


    class UC(Audited, UseCase[Any, Any]):
        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
)
everyday(
    "outside_mixin_read_only",
    """
    from lib.mixins import ReadOnly


    class UC(ReadOnly, UseCase[User, Any]):
        async def execute(self, user_id: int, user: User = LoadById(User, by="user_id")) -> Any:
            return user
""",
)
everyday(
    "outside_newtype",
    """
    from lib.types import UserId


    class UC(UseCase[Any, Any]):
        async def execute(self, user_id: UserId) -> Any:
            return user_id
""",
)
everyday(
    "outside_optional_alias",
    """
    from lib.types import MaybeInt


    class UC(UseCase[Any, Any]):
        async def execute(self, n: MaybeInt = None) -> Any:
            return n
""",
)
everyday(
    "outside_plain_alias",
    """
    from lib.types import Count


    class UC(UseCase[Any, Any]):
        async def execute(self, n: Count, limit: Count) -> Any:
            return n + limit
""",
)
everyday(
    "outside_reexported_use_case",
    """
    from typing import Any

    from lib.core import Input, LoadById, UseCase

    from app.common import Cmd, User


    class UC(UseCase[User, Any]):
        async def execute(
            self, user_id: int, cmd: Cmd = Input(), user: User = LoadById(User, by="user_id")
        ) -> Any:
            return (cmd, user)
""",
    header=False,
)
everyday(
    "outside_entity",
    """
    from lib.entities import Account


    class UC(UseCase[Account, Any]):
        async def execute(self, user_id: int, account: Account = LoadById(Account, by="user_id")) -> Any:
            return account
""",
)
everyday(
    "outside_command",
    """
    from lib.commands import LibCmd


    class UC(UseCase[Any, Any]):
        rules = [no_bad]

        async def execute(self, cmd: LibCmd = Input()) -> Any:
            return cmd
""",
)
everyday(
    "outside_steps",
    """
    from lib.steps import lib_rule, lib_tidy


    class UC(UseCase[Any, Any]):
        computes = [lib_tidy]
        rules = [lib_rule]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
)
everyday(
    "outside_constants",
    """
    from lib.settings import KEY, PROFILE


    class UC(UseCase[User, Any]):
        async def execute(self, user_id: int, user: User = LoadById(User, by=KEY, profile=PROFILE)) -> Any:
            return user
""",
)
everyday(
    "marker_constant",
    """
    CURRENT = LoadById(User, by="user_id")


    class UC(UseCase[User, Any]):
        async def execute(self, user_id: int, user: User = CURRENT) -> Any:
            return user
""",
)
everyday(
    "marker_constant_imported",
    """
    from app.markers import CURRENT


    class UC(UseCase[User, Any]):
        async def execute(self, user_id: int, user: User = CURRENT) -> Any:
            return user
""",
)
everyday(
    "patch_alias_same_module",
    """
    PatchStr = Annotated[str | None, CommandField(patch=True)]


    class Edit(Command):
        name: PatchStr = None
        note: PatchStr = None


    NAME = Rule.require_present(F(Edit).name)


    class UC(UseCase[Any, Any]):
        rules = [NAME]

        async def execute(self, cmd: Edit = Input()) -> Any:
            return cmd
""",
)
everyday(
    "patch_alias_imported",
    """
    from app.patching import PatchStr


    class Edit(Command):
        name: PatchStr = None
        note: PatchStr = None


    COPY = Compute.set(F(Edit).note).from_command(F(Edit).name, via=shout).when_present(F(Edit).name)


    class UC(UseCase[Any, Any]):
        computes = [COPY]

        async def execute(self, cmd: Edit = Input()) -> Any:
            return cmd
""",
)
everyday(
    "patch_generic_alias",
    """
    from app.patching import Patch


    class Edit(Command):
        name: Patch[str] = None
        note: Patch[str] = None


    NAME = Rule.require_present(F(Edit).name)


    class UC(UseCase[Any, Any]):
        rules = [NAME]

        async def execute(self, cmd: Edit = Input()) -> Any:
            return cmd
""",
)
everyday(
    "entity_keyword_argument",
    """
    class UC(UseCase[User, Any]):
        async def execute(
            self, user_id: int, user: User = LoadById(entity_type=User, by="user_id")
        ) -> Any:
            return user
""",
)
everyday(
    "alias_of_use_case_base",
    """
    from app.bases import AnyUseCase, Plain


    class UC(AnyUseCase):
        async def execute(self, n: int) -> Any:
            return n


    class Other(Plain[Any, Any]):
        async def execute(self, n: int) -> Any:
            return -n
""",
    classes=("UC", "Other"),
)
everyday(
    "mixins_both_orders",
    """
    from app.bases import RulesMixin


    class Tidy:
        computes = [tidy]


    class UC(Tidy, RulesMixin, UseCase[Any, Any]):
        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd


    class Other(UseCase[Any, Any], RulesMixin):
        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
    classes=("UC", "Other"),
)
everyday(
    "docstrings_and_comments",
    '''
    class UC(UseCase[User, Any]):
        """Show a user.

        ``LoadById(User, by="other")`` in a docstring is not a marker.
        """

        # computes = [tidy]  (commented out)
        async def execute(self, user_id: int, user: User = LoadById(User, by="user_id")) -> Any:
            """Return the user."""
            return user
''',
)

# -- what docs/ lists ----------------------------------------------------------------------

form(
    "docs_lambda_constant",
    "docs",
    """
    SET_NOTE = lambda cmd, fields_set: cmd.model_copy(update={"note": "const"})  # noqa: E731


    class UC(UseCase[Any, Any]):
        computes = [SET_NOTE]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
)
form(
    "docs_declaration_constant",
    "docs",
    """
    STEPS = Compute.set(F(Cmd).name).from_command(F(Cmd).name, via=shout)


    class UC(UseCase[Any, Any]):
        computes = [STEPS]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
)
form(
    "docs_entry_read_from_class",
    "docs",
    """
    from app import common


    class Invite(UseCase[Any, Any]):
        computes = [tidy, common.sign]

        async def execute(self, n: int, cmd: Cmd = Input()) -> Any:
            return cmd


    class UC(UseCase[Any, Any]):
        computes = [Invite.computes[1]]

        async def execute(self, n: int, cmd: Cmd = Input()) -> Any:
            return cmd
""",
    classes=("Invite", "UC"),
    expect=EITHER,
)
form(
    "docs_mangled_parameter",
    "docs",
    """
    class UC(UseCase[Any, Any]):
        async def execute(self, __n: int = 4) -> Any:
            return __n
""",
)
form(
    "docs_postponed_in_class_body",
    "docs",
    """
    from __future__ import annotations

    from typing import Any

    from loom.core.use_case import LoadById, UseCase

    from app import common


    class UC(UseCase[Any, Any]):
        Entity = common.User

        async def execute(self, user_id: int, user: Entity = LoadById(common.User, by="user_id")) -> Any:
            return user
""",
    header=False,
)
form(
    "docs_nested_two_levels",
    "docs",
    """
    class Outer:
        class Middle:
            class UC(UseCase[Any, Any]):
                async def execute(self, n: int) -> Any:
                    return n


        class Other(UseCase[Any, Any]):
            rules = [no_bad]

            async def execute(self, cmd: Cmd = Input()) -> Any:
                return cmd
""",
    classes=("Outer.Middle.UC", "Outer.Other"),
)
form(
    "docs_attribute_step_module_alias",
    "docs",
    """
    import app.common as checks


    class UC(UseCase[Any, Any]):
        rules = [checks.no_bad]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
)
form(
    "docs_class_attribute_entity",
    "docs",
    """
    class Holder:
        Entity = User


    class UC(UseCase[User, Any]):
        async def execute(self, user_id: int, user: User = LoadById(Holder.Entity, by="user_id")) -> Any:
            return user
""",
    expect=EITHER,
)
form(
    "docs_own_names_as_parameters",
    "docs",
    """
    class UC(UseCase[Any, Any]):
        async def execute(self, n: int, limit: int, email: str) -> Any:
            params = n
            value = limit
            runtime = email
            return (params, value, runtime)
""",
)
form(
    "docs_generic_patch_docs_example",
    "docs",
    """
    class Product(Command):
        name: Annotated[str | None, CommandField(patch=True)] = None
        note: Annotated[str | None, CommandField(patch=True)] = None


    def same(name: Any, note: Any) -> bool:
        return name == note


    NAME_NOTE = (
        Rule.forbid(same, message="name cannot be the note")
        .from_command(F(Product).name, F(Product).note)
        .when_present(F(Product).name & F(Product).note)
    )


    class UC(UseCase[Any, Any]):
        rules = [NAME_NOTE]

        async def execute(self, cmd: Product = Input()) -> Any:
            return cmd
""",
)
form(
    "docs_decorated_execute",
    "docs",
    """
    import functools


    def traced(function: Any) -> Any:
        @functools.wraps(function)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            return await function(*args, **kwargs)

        return wrapper


    class UC(UseCase[Any, Any]):
        @traced
        async def execute(self, n: int) -> Any:
            return n
""",
    expect=LEFT,
)
form(
    "docs_runtime_marker_argument",
    "docs",
    """
    import os


    class UC(UseCase[User, Any]):
        async def execute(
            self, user_id: int, user: User = LoadById(User, by="user_id", profile=os.environ.get("NOPE", "x"))
        ) -> Any:
            return user
""",
    expect=LEFT,
)
form(
    "docs_starred_computes",
    "docs",
    """
    BASE = [tidy]


    class UC(UseCase[Any, Any]):
        computes = [*BASE]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
    expect=LEFT,
)
form(
    "docs_runtime_read_only",
    "docs",
    """
    import os


    class UC(UseCase[Any, Any]):
        read_only = bool(os.environ.get("NOPE"))

        async def execute(self, n: int) -> Any:
            return n
""",
    expect=LEFT,
)
form(
    "docs_unknown_compute_signature",
    "docs",
    """
    import functools

    partial_tidy = functools.partial(tidy)


    class UC(UseCase[Any, Any]):
        computes = [partial_tidy]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
    expect=LEFT,
)
form(
    "docs_class_in_function",
    "docs",
    """
    def make() -> Any:
        class UC(UseCase[Any, Any]):
            async def execute(self, n: int) -> Any:
                return n

        return UC


    UC = make()
""",
    expect=LEFT,
)

# -- the kinds an adversarial pass found ----------------------------------------------------

form(
    "patch_positional_commandfield",
    "patch",
    """
    class Edit(Command):
        name: Annotated[str | None, CommandField(False, False, True)] = None


    NAME = Rule.require_present(F(Edit).name)


    class UC(UseCase[Any, Any]):
        rules = [NAME]

        async def execute(self, cmd: Edit = Input()) -> Any:
            return cmd
""",
    expect=EITHER,
)
form(
    "patch_flag_constant",
    "patch",
    """
    PATCH = True


    class Edit(Command):
        name: Annotated[str | None, CommandField(patch=PATCH)] = None


    NAME = Rule.require_present(F(Edit).name)


    class UC(UseCase[Any, Any]):
        rules = [NAME]

        async def execute(self, cmd: Edit = Input()) -> Any:
            return cmd
""",
    expect=EITHER,
)
form(
    "patch_alias_outside",
    "patch",
    """
    from lib.patch import Patch, PatchStr


    class Edit(Command):
        name: PatchStr = None
        note: Patch[str] = None


    COPY = Compute.set(F(Edit).note).from_command(F(Edit).name, via=shout).when_present(F(Edit).name)


    class UC(UseCase[Any, Any]):
        computes = [COPY]
        rules = [Rule.require_present(F(Edit).name)]

        async def execute(self, cmd: Edit = Input()) -> Any:
            return cmd
""",
    expect=EITHER,
)
form(
    "patch_typing_module",
    "patch",
    """
    import typing as t


    class Edit(Command):
        name: t.Annotated[t.Optional[str], CommandField(patch=True)] = None


    class UC(UseCase[Any, Any]):
        rules = [Rule.require_present(F(Edit).name)]

        async def execute(self, cmd: Edit = Input()) -> Any:
            return cmd
""",
    expect=EITHER,
)
form(
    "patch_alias_via_module",
    "patch",
    """
    from app import patching


    class Edit(Command):
        name: patching.PatchStr = None


    class UC(UseCase[Any, Any]):
        rules = [Rule.require_present(F(Edit).name)]

        async def execute(self, cmd: Edit = Input()) -> Any:
            return cmd
""",
    expect=EITHER,
)
form(
    "patch_alias_rebound_later",
    "patch",
    """
    PatchStr = Annotated[str | None, CommandField(patch=True)]


    class Edit(Command):
        name: PatchStr = None


    PatchStr = Annotated[str | None, CommandField(patch=False)]  # type: ignore[misc]


    class UC(UseCase[Any, Any]):
        rules = [Rule.require_present(F(Edit).name)]

        async def execute(self, cmd: Edit = Input()) -> Any:
            return cmd
""",
    expect=EITHER,
)
form(
    "init_subclass_in_sources",
    "changes the class",
    """
    class Stamped(UseCase[Any, Any]):
        def __init_subclass__(cls, **kwargs: Any) -> None:
            super().__init_subclass__(**kwargs)
            cls.read_only = True


    class UC(Stamped):
        async def execute(self, n: int) -> Any:
            return n
""",
    expect=EITHER,
)
form(
    "init_subclass_outside",
    "changes the class",
    """
    from lib.base import Stamped


    class UC(Stamped):
        async def execute(self, n: int) -> Any:
            return n
""",
    expect=EITHER,
)
form(
    "class_decorator_changing",
    "changes the class",
    """
    def read_only(cls: Any) -> Any:
        cls.read_only = True
        return cls


    @read_only
    class UC(UseCase[Any, Any]):
        async def execute(self, n: int) -> Any:
            return n
""",
    expect=EITHER,
)
form(
    "class_decorator_identity",
    "changes the class",
    """
    REGISTRY: list[Any] = []


    def register(cls: Any) -> Any:
        REGISTRY.append(cls)
        return cls


    @register
    class UC(UseCase[Any, Any]):
        async def execute(self, n: int) -> Any:
            return n
""",
    expect=EITHER,
)
form(
    "class_decorator_adds_rules",
    "changes the class",
    """
    def checked(cls: Any) -> Any:
        cls.rules = [no_bad]
        return cls


    @checked
    class UC(UseCase[Any, Any]):
        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
    expect=EITHER,
)
form(
    "dataclass_decorated_use_case",
    "changes the class",
    """
    from dataclasses import dataclass


    @dataclass
    class UC(UseCase[Any, Any]):
        async def execute(self, n: int) -> Any:
            return n
""",
    expect=EITHER,
)
form(
    "compute_defined_in_class_body",
    "class body",
    """
    class UC(UseCase[Any, Any]):
        def _tidy(cmd: Any, fields_set: frozenset[str]) -> Any:  # type: ignore[misc]
            return cmd.model_copy(update={"note": "body"})

        computes = [_tidy]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
    expect=EITHER,
)
form(
    "rule_staticmethod_in_class_body",
    "class body",
    """
    class UC(UseCase[Any, Any]):
        @staticmethod
        def _check(cmd: Any, fields_set: frozenset[str]) -> None:
            no_bad(cmd, fields_set)

        rules = [_check.__func__]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
    expect=EITHER,
)
form(
    "marker_from_helper",
    "marker",
    """
    def current_user() -> Any:
        return LoadById(User, by="user_id")


    class UC(UseCase[User, Any]):
        async def execute(self, user_id: int, user: User = current_user()) -> Any:
            return user
""",
    expect=EITHER,
)
form(
    "marker_constants_unpacked",
    "marker",
    """
    BY_ID, KNOWN = LoadById(User, by="user_id"), Exists(User, from_param="email", against="email")


    class UC(UseCase[User, Any]):
        async def execute(self, user_id: int, email: str, user: User = BY_ID, known: bool = KNOWN) -> Any:
            return (user, known)
""",
    expect=EITHER,
)
form(
    "marker_constant_rebound",
    "marker",
    """
    CURRENT = LoadById(User, by="user_id")


    class UC(UseCase[User, Any]):
        async def execute(self, user_id: int, user: User = CURRENT) -> Any:
            return user


    CURRENT = LoadById(User, by="user_id", profile="later")
""",
    expect=EITHER,
)
form(
    "marker_constant_via_module",
    "marker",
    """
    from app import markers


    class UC(UseCase[User, Any]):
        async def execute(self, user_id: int, user: User = markers.CURRENT) -> Any:
            return user
""",
    expect=EITHER,
)
form(
    "marker_in_dict_constant",
    "marker",
    """
    MARKERS = {"user": LoadById(User, by="user_id")}


    class UC(UseCase[User, Any]):
        async def execute(self, user_id: int, user: User = MARKERS["user"]) -> Any:
            return user
""",
    expect=EITHER,
)
for label, after in (
    (
        "second_def",
        """
        def helper(cmd: Any, fields_set: frozenset[str]) -> Any:
            return cmd.model_copy(update={"note": "second"})
    """,
    ),
    ("assignment", "helper = tidy\n"),
    ("del", "del helper\n"),
    ("walrus", "(helper := tidy)\n"),
    (
        "match",
        """
        match [tidy]:
            case [helper]:
                pass
    """,
    ),
    (
        "global_in_function",
        """
        def rebind() -> None:
            global helper
            helper = tidy


        rebind()
    """,
    ),
    ("star_import", "from lib.star import *  # noqa: F403\n"),
    ("import_as", "import app.common as helper\n"),
    ("for_loop", "for helper in (tidy,):\n    pass\n"),
    ("with_as", "import contextlib\n\nwith contextlib.nullcontext(tidy) as helper:\n    pass\n"),
    ("try_except_as", "try:\n    raise ValueError('x')\nexcept ValueError as helper:\n    pass\n"),
    ("class_statement", "class helper:  # noqa: N801\n    pass\n"),
):
    form(
        f"rebound_after_class_{label}",
        "rebinding after the class",
        textwrap.dedent("""
        def helper(cmd: Any, fields_set: frozenset[str]) -> Any:
            return cmd.model_copy(update={"note": "first"})


        class UC(UseCase[Any, Any]):
            computes = [helper]

            async def execute(self, cmd: Cmd = Input()) -> Any:
                return cmd


    """) + textwrap.dedent(after),
        expect=EITHER,
    )
form(
    "rebound_entity_after_class",
    "rebinding after the class",
    """
    class Account:
        pass


    class UC(UseCase[Any, Any]):
        async def execute(self, user_id: int, account: Account = LoadById(Account, by="user_id")) -> Any:
            return account


    Account = User  # type: ignore[misc]
""",
    expect=EITHER,
    repos={"app.common:User": {}},
)
form(
    "rebound_command_after_class",
    "rebinding after the class",
    """
    class Edit(Command):
        name: str


    class UC(UseCase[Any, Any]):
        async def execute(self, cmd: Edit = Input()) -> Any:
            return cmd


    Edit = Cmd  # type: ignore[misc]
""",
    expect=EITHER,
)
form(
    "class_attribute_set_after",
    "rebinding after the class",
    """
    class UC(UseCase[Any, Any]):
        async def execute(self, n: int) -> Any:
            return n


    UC.read_only = True
""",
    expect=EITHER,
)
form(
    "setattr_after",
    "rebinding after the class",
    """
    class UC(UseCase[Any, Any]):
        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd


    setattr(UC, "rules", [no_bad])
""",
    expect=EITHER,
)
form(
    "steps_appended_after",
    "rebinding after the class",
    """
    class UC(UseCase[Any, Any]):
        computes = [tidy]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd


    UC.computes.append(sign)
""",
    expect=EITHER,
)
form(
    "class_under_if",
    "never seen",
    """
    FEATURE = True

    if FEATURE:
        class UC(UseCase[Any, Any]):
            async def execute(self, n: int) -> Any:
                return ("if", n)
    else:
        class UC(UseCase[Any, Any]):  # type: ignore[no-redef]
            async def execute(self, n: int) -> Any:
                return ("else", n)
""",
    expect=EITHER,
)
form(
    "class_under_try",
    "never seen",
    """
    try:
        class UC(UseCase[Any, Any]):
            async def execute(self, n: int) -> Any:
                return n
    except ImportError:
        pass
""",
    expect=EITHER,
)
form(
    "class_under_version_check",
    "never seen",
    """
    import sys

    if sys.version_info >= (3, 11):
        class UC(UseCase[Any, Any]):
            rules = [no_bad]

            async def execute(self, cmd: Cmd = Input()) -> Any:
                return cmd
""",
    expect=EITHER,
)
form(
    "class_under_with",
    "never seen",
    """
    import contextlib

    with contextlib.suppress(ImportError):
        class UC(UseCase[Any, Any]):
            async def execute(self, n: int) -> Any:
                return n
""",
    expect=EITHER,
)
form(
    "execute_assigned",
    "never seen",
    """
    async def _impl(self: Any, n: int) -> Any:
        return ("impl", n)


    class UC(UseCase[Any, Any]):
        execute = _impl
""",
    expect=EITHER,
)
form(
    "nested_sibling_derivation",
    "never seen",
    """
    class Outer:
        class Base(UseCase[Any, Any]):
            rules = [no_bad]

            async def execute(self, cmd: Cmd = Input()) -> Any:
                return ("base", cmd)

        class Child(Base):
            async def execute(self, cmd: Cmd = Input()) -> Any:
                return ("child", cmd)
""",
    classes=("Outer.Base", "Outer.Child"),
    expect=EITHER,
)
form(
    "outside_mixin_execute",
    "never seen",
    """
    from lib.mixins import Runs


    class UC(Runs, UseCase[Any, Any]):
        pass
""",
    expect=EITHER,
)
form(
    "redefined_class",
    "never seen",
    """
    class UC(UseCase[Any, Any]):
        async def execute(self, n: int) -> Any:
            return ("first", n)


    FIRST = UC


    class UC(UseCase[Any, Any]):  # type: ignore[no-redef]
        async def execute(self, n: int) -> Any:
            return ("second", n)
""",
    classes=("UC", "FIRST"),
    expect=EITHER,
)
form(
    "type_call_class",
    "made at runtime",
    """
    class Base(UseCase[Any, Any]):
        async def execute(self, n: int) -> Any:
            return n


    UC = type("UC", (Base,), {"__module__": __name__})
""",
    classes=("Base", "UC"),
    expect=EITHER,
)
form(
    "class_from_factory_loop",
    "made at runtime",
    """
    def make(label: str) -> Any:
        class Made(UseCase[Any, Any]):
            async def execute(self, n: int) -> Any:
                return (label, n)

        return Made


    UC = make("one")
""",
    expect=LEFT,
)
form(
    "computes_by_getattr",
    "dynamic",
    """
    import app.common as common


    class UC(UseCase[Any, Any]):
        computes = [getattr(common, "tidy")]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
    expect=EITHER,
)
form(
    "computes_concatenated",
    "dynamic",
    """
    from app.bases import Base


    class UC(Base):
        computes = Base.computes + [sign]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
    expect=EITHER,
)
form(
    "computes_comprehension",
    "dynamic",
    """
    class UC(UseCase[Any, Any]):
        computes = [step for step in (tidy, sign)]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
    expect=EITHER,
)
form(
    "computes_in_class_if",
    "dynamic",
    """
    STRICT = True


    class UC(UseCase[Any, Any]):
        if STRICT:
            rules = [no_bad]
        else:
            rules = []

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
    expect=EITHER,
)
form(
    "conditional_import_of_step",
    "dynamic",
    """
    try:
        from lib.steps import lib_tidy as step
    except ImportError:
        from app.common import tidy as step


    class UC(UseCase[Any, Any]):
        computes = [step]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
    expect=EITHER,
)
form(
    "import_inside_class_body",
    "dynamic",
    """
    class UC(UseCase[Any, Any]):
        from app.common import no_bad as check

        rules = [check]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
    expect=EITHER,
)
form(
    "read_only_from_constant",
    "constant",
    """
    READ_ONLY = True


    class UC(UseCase[User, Any]):
        read_only = READ_ONLY

        async def execute(self, user_id: int, user: User = LoadById(User, by="user_id")) -> Any:
            return user
""",
    expect=EITHER,
)
form(
    "steps_from_constant_list",
    "constant",
    """
    COMPUTES = [tidy]
    RULES = (no_bad,)


    class UC(UseCase[Any, Any]):
        computes = COMPUTES
        rules = RULES

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
    expect=EITHER,
)
form(
    "entity_alias_constant",
    "constant",
    """
    Entity = User


    class UC(UseCase[User, Any]):
        async def execute(self, user_id: int, user: Entity = LoadById(Entity, by="user_id")) -> Any:
            return user
""",
    expect=EITHER,
)
form(
    "enum_member_policy_alias",
    "constant",
    """
    NONE = OnMissing.RETURN_NONE


    class UC(UseCase[User, Any]):
        async def execute(self, user_id: int, user: Any = LoadById(User, by="user_id", on_missing=NONE)) -> Any:
            return user
""",
    expect=EITHER,
    repos={"app.common:User": {"get": False}},
)
form(
    "string_policy",
    "constant",
    """
    class UC(UseCase[User, Any]):
        async def execute(
            self, user_id: int, user: Any = LoadById(User, by="user_id", on_missing="return_none")  # type: ignore[arg-type]
        ) -> Any:
            return user
""",
    expect=EITHER,
    repos={"app.common:User": {"get": False}},
)
form(
    "implicit_string_concatenation",
    "constant",
    """
    class UC(UseCase[User, Any]):
        async def execute(
            self, user_id: int, user: User = LoadById(User, by="user" "_id", profile=f"full")
        ) -> Any:
            return user
""",
    expect=EITHER,
)
form(
    "parenthesised_and_commented",
    "layout",
    """
    class UC(
        UseCase[Any, Any],  # the base
    ):
        computes = [
            tidy,  # first
        ]

        async def execute(
            self,
            # the command
            cmd: Cmd = (Input()),
        ) -> Any:
            return cmd
""",
    expect=EITHER,
)
form(
    "semicolons_and_one_liners",
    "layout",
    """
    class UC(UseCase[Any, Any]):
        rules = [no_bad]; computes = [tidy]

        async def execute(self, cmd: Cmd = Input()) -> Any: return cmd
""",
    expect=EITHER,
)
form(
    "unicode_names",
    "layout",
    """
    class Größe(UseCase[Any, Any]):
        async def execute(self, n: int) -> Any:
            return n
""",
    classes=("Größe",),
    expect=EITHER,
)
form(
    "generic_use_case_base",
    "generics",
    """
    from typing import Generic, TypeVar

    R = TypeVar("R")


    class Returning(UseCase[Any, R], Generic[R]):
        rules = [no_bad]


    class UC(Returning[Any]):
        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
    expect=EITHER,
)
form(
    "protocol_typed_param",
    "generics",
    """
    from typing import Protocol


    class Named(Protocol):
        name: str


    class UC(UseCase[Any, Any]):
        async def execute(self, n: int, hint: Named | None = None) -> Any:
            return (n, hint)
""",
    expect=EITHER,
)
form(
    "abstract_method_elsewhere",
    "generics",
    """
    from abc import abstractmethod


    class Base(UseCase[Any, Any]):
        @abstractmethod
        def label(self) -> str: ...


    class UC(Base):
        def label(self) -> str:
            return "x"

        async def execute(self, n: int) -> Any:
            return (self.label(), n)
""",
    expect=EITHER,
)
form(
    "module_level_getattr",
    "dynamic",
    """
    def __getattr__(name: str) -> Any:
        if name == "late":
            return tidy
        raise AttributeError(name)


    class UC(UseCase[Any, Any]):
        computes = [tidy]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
    expect=EITHER,
)
form(
    "all_and_reexport_in_sources",
    "re-export",
    """
    from app.bases import Base as Reexported

    __all__ = ["Reexported", "UC"]


    class UC(Reexported):
        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
    expect=EITHER,
)
form(
    "namespace_package_source",
    "namespace package",
    """
    from typing import Any

    from loom.core.use_case import UseCase


    class UC(UseCase[Any, Any]):
        async def execute(self, n: int) -> Any:
            return ("namespace", n)
""",
    header=False,
    path="nsapp/cases.py",
    module="nsapp.cases",
    expect=EITHER,
)
form(
    "namespace_package_nested",
    "namespace package",
    """
    from typing import Any

    from loom.core.use_case import Input, UseCase

    from app.common import Cmd, no_bad


    class UC(UseCase[Any, Any]):
        rules = [no_bad]

        async def execute(self, cmd: Cmd = Input()) -> Any:
            return cmd
""",
    header=False,
    path="nsapp/inner/more.py",
    module="nsapp.inner.more",
    expect=EITHER,
)
