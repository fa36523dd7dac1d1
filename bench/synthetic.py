"""Write a synthetic loom project: 1,000 use cases over 100 modules.

``python -m bench.synthetic [FOLDER]`` (default ``.bench/synthetic``) writes::

    FOLDER/pyproject.toml           [tool.loomgen] sources = ["synth"], output = "synth_generated"
    FOLDER/synth/__init__.py
    FOLDER/synth/domain.py          entities and commands shared by every module
    FOLDER/synth/steps.py           shared computes and rules
    FOLDER/synth/base.py            base classes: one abstract, one with an inherited execute
    FOLDER/synth/m000.py ... m099.py   10 use cases each

The use cases cycle through every plan shape loomgen compiles: plain params;
``Input()`` with computes and rules (with and without the context argument);
``LoadById`` + ``Load(from_command)`` + ``Exists``; everything together; a
sync ``Job``; a read-only query with ``Load(from_param)`` and an ``OnMissing``
policy; an ``execute`` inherited from a base class in another module; an
``Exists(from_param)`` that raises. Each module also defines its own compute
and rule, so editing one module is a realistic, local change.

The output is deterministic: the same bytes on every run.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

MODULES = 100
PER_MODULE = 10
PACKAGE = "synth"
OUTPUT_PACKAGE = "synth_generated"

PYPROJECT = f"""\
[tool.loomgen]
sources = ["{PACKAGE}"]
output = "{OUTPUT_PACKAGE}"
"""

DOMAIN = '''\
"""Entities and commands shared by the synthetic use cases."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from loom.core.command import Command


@dataclass(frozen=True)
class User:
    id: int
    email: str
    name: str


@dataclass(frozen=True)
class Team:
    id: int
    name: str
    owner_email: str


@dataclass(frozen=True)
class Product:
    id: int
    sku: str
    stock: int


class RenameCmd(Command):
    email: str
    name: str


class AssignCmd(Command):
    owner_email: str = Field(alias="ownerEmail")
    team_name: str


class ReportCmd(Command):
    title: str
    copies: int = 1
'''

STEPS = '''\
"""Computes and rules shared by the synthetic use cases."""

from __future__ import annotations

from typing import Any

from loom.core.errors import RuleViolation
from synth.domain import AssignCmd, RenameCmd, ReportCmd


def strip_name(cmd: RenameCmd, fields_set: frozenset[str]) -> RenameCmd:
    name = cmd.name.strip()
    return cmd if name == cmd.name else cmd.model_copy(update={"name": name})


def lower_email(cmd: RenameCmd, fields_set: frozenset[str]) -> RenameCmd:
    email = cmd.email.lower()
    return cmd if email == cmd.email else cmd.model_copy(update={"email": email})


def name_not_blank(cmd: RenameCmd, fields_set: frozenset[str]) -> None:
    if not cmd.name:
        raise RuleViolation("name", "must not be blank")


def email_has_at(cmd: RenameCmd, fields_set: frozenset[str]) -> None:
    if "@" not in cmd.email:
        raise RuleViolation("email", "must contain @")


def team_must_exist(cmd: AssignCmd, fields_set: frozenset[str], context: dict[str, Any]) -> None:
    if not context["team_exists"]:
        raise RuleViolation("team_name", "no such team")


def title_not_blank(cmd: ReportCmd, fields_set: frozenset[str]) -> None:
    if not cmd.title:
        raise RuleViolation("title", "must not be blank")
'''

BASE = '''\
"""Base classes the synthetic use cases derive from."""

from __future__ import annotations

from typing import Any

from loom.core.use_case import Input, LoadById, UseCase
from synth.domain import RenameCmd, User
from synth.steps import name_not_blank


class SynthUseCase(UseCase[Any, Any]):
    """Abstract: no ``execute`` of its own."""


class RenameBase(SynthUseCase):
    """Subclasses inherit this ``execute`` and add their own computes."""

    rules = [name_not_blank]

    async def execute(
        self,
        user_id: int,
        cmd: RenameCmd = Input(),
        user: User = LoadById(User, by="user_id"),
    ) -> str:
        return cmd.name
'''

MODULE_HEADER = '''\
"""Synthetic use cases, module {index:03d}."""

from __future__ import annotations

from typing import Any

from loom.core.job import Job
from loom.core.use_case import Exists, Input, Load, LoadById, OnMissing, UseCase
from loom.core.errors import RuleViolation
from synth import steps
from synth.base import RenameBase, SynthUseCase
from synth.domain import AssignCmd, Product, RenameCmd, ReportCmd, Team, User


def local_compute_{index:03d}(cmd: RenameCmd, fields_set: frozenset[str]) -> RenameCmd:
    return cmd


def local_rule_{index:03d}(cmd: Any, fields_set: frozenset[str], context: dict[str, Any]) -> None:
    if context.get("blocked"):
        raise RuleViolation("user_id", "blocked ({index})")
'''

SHAPES = [
    # 0: plain params only
    """

class ShowPage{n}(SynthUseCase):
    read_only = True

    async def execute(self, user_id: int, page: int, sort: str) -> int:
        return user_id + page
""",
    # 1: Input + computes + rules
    """

class NormalizeProfile{n}(UseCase[User, RenameCmd]):
    computes = [steps.strip_name, local_compute_{index:03d}]
    rules = [steps.name_not_blank, steps.email_has_at]

    async def execute(self, cmd: RenameCmd = Input()) -> RenameCmd:
        return cmd
""",
    # 2: LoadById + Load(from_command) + Exists
    """

class AssignTeam{n}(UseCase[User, bool]):
    async def execute(
        self,
        user_id: int,
        cmd: AssignCmd = Input(),
        user: User = LoadById(User, by="user_id"),
        owner: User = Load(User, from_command="owner_email", against="email"),
        team_exists: bool = Exists(Team, from_command="team_name", against="name"),
    ) -> bool:
        return team_exists
""",
    # 3: everything together (the shape loom-kernel is measured on too)
    """

class RenameUser{n}(UseCase[User, str]):
    computes = [steps.strip_name, steps.lower_email]
    rules = [steps.name_not_blank, steps.email_has_at]

    async def execute(
        self,
        user_id: int,
        cmd: RenameCmd = Input(),
        user: User = LoadById(User, by="user_id"),
    ) -> str:
        return cmd.name
""",
    # 4: together with context rules, several loads and a profile
    """

class AssignOwnedTeam{n}(UseCase[User, int]):
    rules = [steps.team_must_exist, local_rule_{index:03d}]

    async def execute(
        self,
        user_id: int,
        cmd: AssignCmd = Input(),
        user: User = LoadById(User, by="user_id", profile="full"),
        owner: User | None = Load(
            User, from_command="owner_email", against="email", on_missing=OnMissing.RETURN_NONE
        ),
        team_exists: bool = Exists(Team, from_command="team_name", against="name"),
    ) -> int:
        return user.id
""",
    # 5: a sync job
    """

class PrintReport{n}(Job[int]):
    rules = [steps.title_not_blank]

    def execute(self, batch: int, cmd: ReportCmd = Input()) -> int:
        return batch * cmd.copies
""",
    # 6: read-only query, Load(from_param) with a policy
    """

class FindProduct{n}(UseCase[Product, Any]):
    read_only = True

    async def execute(
        self,
        sku: str,
        product: Product | None = Load(
            Product, from_param="sku", against="sku", on_missing=OnMissing.RETURN_NONE
        ),
    ) -> Any:
        return product
""",
    # 7: inherited execute (from another module), own computes
    """

class RenameInherited{n}(RenameBase):
    computes = [local_compute_{index:03d}, steps.strip_name]
""",
    # 8: Exists(from_param) that raises
    """

class ArchiveTeam{n}(UseCase[Team, None]):
    async def execute(
        self,
        team_name: str,
        known: bool = Exists(Team, from_param="team_name", against="name", on_missing=OnMissing.RAISE),
    ) -> None:
        return None
""",
    # 9: sync use case with params and a LoadById returning False when missing
    """

class CheckStock{n}(UseCase[Product, bool]):
    read_only = True

    async def execute(
        self,
        product_id: int,
        wanted: int,
        product: Product | bool = LoadById(
            Product, by="product_id", on_missing=OnMissing.RETURN_FALSE
        ),
    ) -> bool:
        return bool(product) and product.stock >= wanted  # type: ignore[union-attr]
""",
]


def module_source(index: int) -> str:
    parts = [MODULE_HEADER.format(index=index)]
    for j in range(PER_MODULE):
        shape = SHAPES[(index + j) % len(SHAPES)]
        parts.append(shape.format(n=f"{index:03d}_{j}", index=index))
    return "".join(parts)


def write_project(folder: Path, modules_count: int = MODULES) -> list[Path]:
    """(Re)write the whole synthetic project into ``folder``; returns the module paths."""
    package = folder / PACKAGE
    if package.exists():
        shutil.rmtree(package)
    package.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (package / "__init__.py").write_text('"""A synthetic loom project."""\n', encoding="utf-8")
    (package / "domain.py").write_text(DOMAIN, encoding="utf-8")
    (package / "steps.py").write_text(STEPS, encoding="utf-8")
    (package / "base.py").write_text(BASE, encoding="utf-8")
    modules = []
    for index in range(modules_count):
        path = package / f"m{index:03d}.py"
        path.write_text(module_source(index), encoding="utf-8")
        modules.append(path)
    return modules


def use_case_names(index: int) -> list[str]:
    """The class names defined in module ``index``."""
    names = []
    for j in range(PER_MODULE):
        shape = SHAPES[(index + j) % len(SHAPES)]
        class_line = next(line for line in shape.splitlines() if line.startswith("class "))
        names.append(class_line.split()[1].split("(")[0].format(n=f"{index:03d}_{j}"))
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=".bench/synthetic", type=Path)
    args = parser.parse_args(argv)
    modules = write_project(args.folder)
    print(f"wrote {len(modules) * PER_MODULE} use cases in {len(modules)} modules to {args.folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
