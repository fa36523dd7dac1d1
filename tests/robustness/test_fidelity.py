"""Generated code is the interpreter's twin on the code people actually write.

Each test writes a small project outside this repository's packages, builds
it with the ``loomgen`` command (``--strict``: every use case must compile),
then runs the same scenario in three fresh processes, one per execution mode
(:mod:`tests.robustness.probe`), and compares everything observable: results,
exceptions (type and message), metrics events, log lines, unit-of-work calls
and repository calls. The interpreter is the oracle; ``generated`` and
``auto`` must also really run generated code for every class a build can see.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from loomgen.render.names import LOCAL_NAMES

ROOT = Path(__file__).resolve().parents[2]
MODES = ("interpreted", "generated", "auto")
PACKAGE = "gen_exec"
OWN_NAMES = sorted(LOCAL_NAMES | {"debug"})
"""Every name the generated function binds (and ``debug``, which it once did)."""


def write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def build(root: Path, *extra: str) -> str:
    (root / "pyproject.toml").write_text(
        f'[tool.loomgen]\nsources = ["app"]\noutput = "{PACKAGE}"\ncache = false\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "loomgen", "build", "--strict", *extra],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def probe(root: Path, mode: str, scenario: list[dict[str, Any]]) -> list[dict[str, Any]]:
    environment = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{ROOT}"}
    environment.pop("LOOM_EXECUTION_MODE", None)
    environment.pop("LOOM_GENERATED", None)
    done = subprocess.run(
        [sys.executable, "-m", "tests.robustness.probe", str(root), mode, PACKAGE],
        input=json.dumps(scenario),
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    outcomes: list[dict[str, Any]] = json.loads(done.stdout)
    return outcomes


def fallback(outcome: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """The ``generated_fallback`` events and ``[GEN]`` log lines of one call."""
    events = [e for e in outcome["events"] if e[0] == "generated_fallback"]
    logs = [line for line in outcome["logs"] if line[1].startswith("[GEN]")]
    return events, logs


def without_fallback(outcome: dict[str, Any]) -> dict[str, Any]:
    events, logs = fallback(outcome)
    return {
        **{k: v for k, v in outcome.items() if k != "generated"},
        "events": [e for e in outcome["events"] if e not in events],
        "logs": [line for line in outcome["logs"] if line not in logs],
    }


def compare_modes(root: Path, scenario: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Run ``scenario`` in every mode; assert the modes agree; return the outcomes."""
    outcomes = {mode: probe(root, mode, scenario) for mode in MODES}
    oracle = [without_fallback(o) for o in outcomes["interpreted"]]
    for mode in ("generated", "auto"):
        assert [without_fallback(o) for o in outcomes[mode]] == oracle, mode
    for index, call in enumerate(scenario):
        local = call["use_case"].endswith("()")
        for mode in ("generated", "auto"):
            outcome = outcomes[mode][index]
            events, logs = fallback(outcome)
            if local:
                # No build can see a class defined in a function: interpreted,
                # and said once, with the reason.
                assert not outcome["generated"], call
                assert [e[2] for e in events] == ["interpreted"], events
                assert "defined inside a function" in events[0][3]
                assert len(logs) == 1 and "defined inside a function" in logs[0][1]
            else:
                assert outcome["generated"], (mode, call)
                assert events == [] and logs == [], (mode, events, logs)
    return outcomes


# -- forms people write -----------------------------------------------------------------

FORMS = {
    "app/__init__.py": "",
    "app/helpers.py": """
        def trim(cmd, fields_set):
            return cmd.model_copy(update={"name": cmd.name.strip()})

        def shout(cmd, fields_set):
            return cmd.model_copy(update={"name": cmd.name.upper()})

        PROFILE_FULL = "full"
        """,
    "app/checks.py": """
        from loom.core.use_case import RuleViolation

        def quota_ok(cmd, fields_set):
            if cmd.name.lower().startswith("over"):
                raise RuleViolation("name", "over quota")

        def lenient(cmd, fields_set):
            return None
        """,
    "app/kinds.py": """
        import enum

        class Status(enum.Enum):
            A = "a"
            B = "b"
        """,
    "app/ucs.py": """
        from __future__ import annotations

        import typing
        from typing import Annotated, Any

        import loom.core.use_case as uc
        from loom.core.command import Command
        from loom.core.use_case import Exists as Ex
        from loom.core.use_case import Input as Payload
        from loom.core.use_case import LoadById as ById
        from loom.core.use_case import OnMissing, RuleViolation, UseCase

        from app import checks, helpers, kinds
        from app.helpers import PROFILE_FULL

        KEY = "account_id"
        AGAINST = "owner"
        POLICY = OnMissing.RETURN_NONE


        class Account:
            pass


        class Cmd(Command):
            name: str


        def not_bad(cmd, fields_set):
            if cmd.name.startswith("bad"):
                raise RuleViolation("name", "bad name")


        class Invite(UseCase[Any, Any]):
            Entity = Account
            C = Cmd
            computes = [
                helpers.trim,
                lambda cmd, fs: cmd.model_copy(update={"name": cmd.name + "!"}),
                lambda cmd, fs, ctx: cmd.model_copy(update={"name": f"{cmd.name}{len(ctx)}"}),
            ]
            rules = [not_bad, checks.quota_ok, lambda cmd, fs: None]

            async def execute(
                self,
                account_id: int,
                n: Annotated[int, "doc"],
                t: typing.Text,
                __m: int,
                status: kinds.Status,
                cmd: C = Payload(),
                account: Any = ById(Entity, by=KEY, profile=PROFILE_FULL, on_missing=POLICY),
                seen: Any = uc.Exists(Account, from_param="account_id", against=AGAINST),
                other: Any = Ex(Entity, from_command="name", against="name", on_missing=POLICY),
            ) -> Any:
                return (account_id, n, t, __m, status, cmd.name, account, seen, other)


        class Patched(UseCase[Any, Any]):
            rules = [checks.quota_ok]

            def execute(self, cmd: Cmd = uc.Input()) -> Any:
                return cmd.name


        class Outer:
            class Inner(UseCase[Any, Any]):
                read_only = True

                async def execute(self, x: int) -> Any:
                    return x * 2


        def make():
            class Local(UseCase[Any, Any]):
                async def execute(self, x: int) -> Any:
                    return x + 1

            return Local
        """,
}

INVITE_PARAMS = {"account_id": "3", "n": "4", "t": 5, "_Invite__m": "6", "status": "a"}
ACCOUNT = "app.ucs:Account"


def test_the_forms_people_write_compile_and_behave_identically(tmp_path: Path) -> None:
    write(tmp_path, FORMS)
    output = build(tmp_path)
    assert "3 use cases compiled, 0 left to the interpreter" in output, output
    scenario: list[dict[str, Any]] = [
        {
            "use_case": "app.ucs:Invite",
            "params": INVITE_PARAMS,
            "payload": {"name": name},
            "repos": {ACCOUNT: {"get": get, "exists": exists}},
        }
        for name, get, exists in [(" ok ", True, True), ("bad", False, False), ("over", True, False)]
    ]
    scenario += [
        {"use_case": "app.ucs:Invite", "params": {**INVITE_PARAMS, "n": "x"}, "payload": {}},
        {"use_case": "app.ucs:Invite", "params": INVITE_PARAMS, "payload": {}, "repos": {}},
        {"use_case": "app.ucs:Outer.Inner", "params": {"x": 21}},
        {"use_case": "app.ucs:make()", "params": {"x": 1}},
        # A rule patched where it is defined: both modes still call the object
        # the class captured (the plan's), as the interpreter always has.
        {
            "use_case": "app.ucs:Patched",
            "payload": {"name": "over"},
            "patch": {"app.checks:quota_ok": "app.checks:lenient"},
        },
    ]
    outcomes = compare_modes(tmp_path, scenario)
    results = [o.get("result") or o["error"][0] for o in outcomes["interpreted"]]
    assert results[0].startswith("(3, 4, '5', 6, <Status.A: 'a'>, 'ok!9'")
    assert results[1:5] == ["RuleViolations", "RuleViolations", "ParameterBindingError", "ValidationError"]
    assert results[5:] == ["42", "2", "RuleViolations"]


# -- the generated function's own names, used for everything ---------------------------

ROLE_TEMPLATES = {
    "compute": """
        from typing import Any
        from loom.core.use_case import Input, UseCase
        from app.base import Cmd

        def {n}(cmd, fields_set):
            return cmd.model_copy(update={{"text": cmd.text + "+{n}"}})

        class UseComputeNamed{i}(UseCase[Any, Any]):
            computes = [{n}]

            async def execute(self, cmd: Cmd = Input()) -> Any:
                return cmd.text
        """,
    "rule": """
        from typing import Any
        from loom.core.use_case import Input, RuleViolation, UseCase
        from app.base import Cmd

        def {n}(cmd, fields_set):
            if cmd.text == "no":
                raise RuleViolation("text", "{n} says no")

        class UseRuleNamed{i}(UseCase[Any, Any]):
            rules = [{n}]

            def execute(self, cmd: Cmd = Input()) -> Any:
                return cmd.text
        """,
    "entity": """
        from typing import Any
        from loom.core.use_case import Exists, LoadById, UseCase

        class {n}:
            pass

        class UseEntityNamed{i}(UseCase[Any, Any]):
            async def execute(
                self,
                key: int,
                found: Any = LoadById({n}, by="key"),
                there: bool = Exists({n}, from_param="key", against="id"),
            ) -> Any:
                return (found, there)
        """,
    "command": """
        from typing import Any
        from loom.core.command import Command
        from loom.core.use_case import Input, UseCase

        class {n}(Command):
            text: str

        class UseCommandNamed{i}(UseCase[Any, Any]):
            async def execute(self, cmd: {n} = Input()) -> Any:
                return cmd.text
        """,
    "type": """
        from typing import Any
        from loom.core.use_case import UseCase

        class {n}(int):
            pass

        class UseTypeNamed{i}(UseCase[Any, Any]):
            async def execute(self, amount: {n}) -> Any:
                return (type(amount).__name__, int(amount))
        """,
    "module": """
        from typing import Any
        from loom.core.use_case import Input, UseCase
        from app import {n}

        class UseModuleNamed{i}(UseCase[Any, Any]):
            computes = [{n}.step]

            async def execute(self, status: {n}.Status, cmd: {n}.Cmd = Input()) -> Any:
                return (status, cmd.text)
        """,
}

MODULE_TEMPLATE = """
    import enum
    from loom.core.command import Command

    class Status(enum.Enum):
        ON = "on"

    class Cmd(Command):
        text: str

    def step(cmd, fields_set):
        return cmd.model_copy(update={"text": cmd.text + "!"})
    """


def own_name_sources() -> dict[str, str]:
    files = {
        "app/__init__.py": "",
        "app/base.py": "from loom.core.command import Command\n\nclass Cmd(Command):\n    text: str\n",
    }
    for i, name in enumerate(OWN_NAMES):
        files[f"app/{name}.py"] = MODULE_TEMPLATE
        for role, template in ROLE_TEMPLATES.items():
            files[f"app/{role}_{i}.py"] = template.format(n=name, i=i)
    return files


def own_name_scenario() -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    for i, name in enumerate(OWN_NAMES):
        entity = f"app.entity_{i}:{name}"
        calls += [
            {"use_case": f"app.compute_{i}:UseComputeNamed{i}", "payload": {"text": "t"}},
            {"use_case": f"app.rule_{i}:UseRuleNamed{i}", "payload": {"text": "no"}},
            {"use_case": f"app.rule_{i}:UseRuleNamed{i}", "payload": {"text": "yes"}},
            {
                "use_case": f"app.entity_{i}:UseEntityNamed{i}",
                "params": {"key": "7"},
                "repos": {entity: {"get": True, "exists": False}},
            },
            {"use_case": f"app.command_{i}:UseCommandNamed{i}", "payload": {"text": name}},
            {"use_case": f"app.type_{i}:UseTypeNamed{i}", "params": {"amount": "12"}},
            {
                "use_case": f"app.module_{i}:UseModuleNamed{i}",
                "params": {"status": "on"},
                "payload": {"text": name},
            },
        ]
    return calls


@pytest.mark.slow
def test_the_executors_own_names_never_hide_user_objects(tmp_path: Path) -> None:
    write(tmp_path, own_name_sources())
    output = build(tmp_path)
    count = len(OWN_NAMES) * len(ROLE_TEMPLATES)
    assert f"{count} use cases compiled, 0 left to the interpreter" in output, output
    outcomes = compare_modes(tmp_path, own_name_scenario())
    errors = [o["error"] for o in outcomes["interpreted"] if "error" in o]
    # Only the rule told to refuse refuses: every other call works in every mode.
    assert len(errors) == len(OWN_NAMES) and all(e[0] == "RuleViolations" for e in errors)


# -- exceptions and mappings ----------------------------------------------------------------

STOP = {
    "app/__init__.py": "",
    "app/ucs.py": """
        from typing import Any
        from loom.core.command import Command
        from loom.core.use_case import Input, UseCase

        class Cmd(Command):
            where: str

        def stops_in_compute(cmd, fields_set):
            if cmd.where == "compute":
                raise StopIteration("from a compute")
            return cmd

        def stops_in_rule(cmd, fields_set):
            if cmd.where == "rule":
                raise StopIteration

        class Stopper(UseCase[Any, Any]):
            computes = [stops_in_compute]
            rules = [stops_in_rule]

            def execute(self, cmd: Cmd = Input()) -> Any:
                if cmd.where == "execute":
                    raise StopIteration("from execute")
                return cmd.where
        """,
}


@pytest.mark.parametrize("uow", [True, False], ids=["unit-of-work", "no-unit-of-work"])
def test_stop_iteration_is_reported_alike(tmp_path: Path, uow: bool) -> None:
    write(tmp_path, STOP)
    build(tmp_path)
    scenario = [
        {"use_case": "app.ucs:Stopper", "payload": {"where": where}, "uow": uow}
        for where in ("compute", "rule", "execute", "nowhere")
    ]
    outcomes = compare_modes(tmp_path, scenario)["generated"]
    for outcome in outcomes[:3]:
        assert outcome["error"][:2] == ["RuntimeError", "coroutine raised StopIteration"]
        assert outcome["events"][-1][4][0] == "RuntimeError"


MAPPING = {
    "app/__init__.py": "",
    "app/ucs.py": """
        from typing import Any
        from loom.core.use_case import Exists, Load, LoadById, UseCase

        class Present:
            pass

        class Absent:
            pass

        class Lookups(UseCase[Any, Any]):
            async def execute(
                self,
                key: int,
                present: Any = LoadById(Present, by="key"),
                seen: bool = Exists(Present, from_param="key", against="id"),
                absent: Any = Load(Absent, from_param="key", against="id"),
            ) -> Any:
                return (present, seen, absent)
        """,
}


def test_a_mapping_of_dependencies_is_read_alike(tmp_path: Path) -> None:
    write(tmp_path, MAPPING)
    build(tmp_path)
    scenario = [
        {
            "use_case": "app.ucs:Lookups",
            "params": {"key": 1},
            "repos": {"app.ucs:Present": {"get": True, "exists": True}},
            "mapping": True,
        }
    ]
    outcome = compare_modes(tmp_path, scenario)["generated"][0]
    assert outcome["error"][0] == "RuntimeError"
    assert "No repository registered for entity type 'Absent'" in outcome["error"][1]
    reads = [call for call in outcome["repositories"] if call[0] == "dependencies"]
    assert [call[2] for call in reads] == ["Present", "Absent"]  # loads run before exists
