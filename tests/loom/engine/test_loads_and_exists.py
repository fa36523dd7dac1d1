"""Pipeline steps 3 (loads) and 4 (exists checks)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from loom.core.engine import RuntimeExecutor
from loom.core.errors import NotFound
from tests.support import InMemoryRepository, RepoCall
from tests.usecases.domain import Team, User
from tests.usecases.exists import (
    CheckThenLoad,
    EmailMustExist,
    EmailTaken,
    EmailTakenOrNone,
    OwnerKnown,
)
from tests.usecases.loads import (
    AssignOwner,
    FindUserByEmail,
    FindUserByEmailOrFalse,
    FindUserByEmailOrNone,
    GetUser,
    GetUserById,
    GetUserDetailed,
    GetUserOrFalse,
    GetUserOrNone,
    JoinTeamById,
    JoinTeamByIdOrNone,
)

MakeExecutor = Callable[..., RuntimeExecutor]

ANN = User(1, "ann@x", "Ann")
BOB = User(2, "bob@x", "Bob")
CORE = Team(5, "core")


@pytest.fixture
def users() -> InMemoryRepository[User]:
    return InMemoryRepository([ANN, BOB], name="users")


@pytest.fixture
def executor(make_executor: MakeExecutor) -> RuntimeExecutor:
    return make_executor()


class RecordingResolver:
    """A ``repo_resolver`` that records the entity types it is asked for."""

    def __init__(self, repositories: dict[type[Any], Any]) -> None:
        self.repositories = repositories
        self.asked: list[type[Any]] = []

    def __call__(self, entity_type: type[Any]) -> Any:
        self.asked.append(entity_type)
        return self.repositories.get(entity_type)


# -- loads -------------------------------------------------------------------------


async def test_load_by_id_from_a_param(
    executor: RuntimeExecutor, users: InMemoryRepository[User]
) -> None:
    result = await executor.execute(GetUser(), params={"user_id": 2}, dependencies={User: users})

    assert result is BOB
    assert users.calls == [RepoCall("get_by_id", (2,), {"profile": "default"})]


async def test_the_lookup_value_is_the_converted_param(
    executor: RuntimeExecutor, users: InMemoryRepository[User]
) -> None:
    await executor.execute(GetUser(), params={"user_id": "2"}, dependencies={User: users})

    assert users.calls == [RepoCall("get_by_id", (2,), {"profile": "default"})]


async def test_load_by_id_defaults_to_the_id_param(
    executor: RuntimeExecutor, users: InMemoryRepository[User]
) -> None:
    result = await executor.execute(GetUserById(), params={"id": 1}, dependencies={User: users})

    assert result is ANN


async def test_the_profile_is_forwarded(
    executor: RuntimeExecutor, users: InMemoryRepository[User]
) -> None:
    await executor.execute(GetUserDetailed(), params={"user_id": 1}, dependencies={User: users})

    assert users.calls == [RepoCall("get_by_id", (1,), {"profile": "detailed"})]


async def test_load_by_field_from_a_param(
    executor: RuntimeExecutor, users: InMemoryRepository[User]
) -> None:
    result = await executor.execute(
        FindUserByEmail(), params={"email": "bob@x"}, dependencies={User: users}
    )

    assert result is BOB
    assert users.calls == [RepoCall("get_by", ("email", "bob@x"), {"profile": "default"})]


async def test_loads_from_the_command_and_run_in_declaration_order(
    executor: RuntimeExecutor,
) -> None:
    journal: list[tuple[str, RepoCall]] = []
    users = InMemoryRepository([ANN], name="users", journal=journal)
    teams = InMemoryRepository([CORE], name="teams", journal=journal)

    result = await executor.execute(
        AssignOwner(),
        params={"team_id": 5},
        payload={"owner_email": "ann@x"},
        dependencies={User: users, Team: teams},
    )

    assert result["owner"] is ANN
    assert result["team"] is CORE
    assert journal == [
        ("users", RepoCall("get_by", ("email", "ann@x"), {"profile": "summary"})),
        ("teams", RepoCall("get_by_id", (5,), {"profile": "default"})),
    ]


async def test_load_by_id_from_a_command_field(executor: RuntimeExecutor) -> None:
    teams = InMemoryRepository([CORE], name="teams")

    result = await executor.execute(
        JoinTeamById(), payload={"team_id": "5", "role": "lead"}, dependencies={Team: teams}
    )

    # The id is the command's (validated) field; the profile is forwarded.
    assert result == {"role": "lead", "team": CORE}
    assert teams.calls == [RepoCall("get_by_id", (5,), {"profile": "members"})]


async def test_load_by_id_from_a_command_field_on_a_miss(executor: RuntimeExecutor) -> None:
    teams = InMemoryRepository([CORE], name="teams")

    with pytest.raises(NotFound) as caught:
        await executor.execute(JoinTeamById(), payload={"team_id": 9}, dependencies={Team: teams})
    assert (caught.value.entity, caught.value.id) == ("Team", 9)
    assert (
        await executor.execute(
            JoinTeamByIdOrNone(), payload={"team_id": 9}, dependencies={Team: teams}
        )
        is None
    )


async def test_load_overrides_win_over_repositories(
    executor: RuntimeExecutor, users: InMemoryRepository[User]
) -> None:
    preloaded = User(1, "override@x")

    result = await executor.execute(
        GetUser(),
        params={"user_id": 1},
        dependencies={User: users},
        load_overrides={User: preloaded},
    )

    assert result is preloaded
    assert users.calls == []


async def test_load_overrides_need_no_repository(executor: RuntimeExecutor) -> None:
    preloaded = User(1, "override@x")

    result = await executor.execute(
        GetUser(), params={"user_id": 1}, load_overrides={User: preloaded}
    )

    assert result is preloaded


async def test_load_overrides_only_replace_their_own_entity_type(
    executor: RuntimeExecutor, users: InMemoryRepository[User]
) -> None:
    preloaded = Team(9, "preloaded")

    result = await executor.execute(
        AssignOwner(),
        params={"team_id": 5},
        payload={"owner_email": "ann@x"},
        dependencies={User: users},
        load_overrides={Team: preloaded},
    )

    assert result["team"] is preloaded
    assert result["owner"] is ANN
    assert users.calls == [RepoCall("get_by", ("email", "ann@x"), {"profile": "summary"})]


async def test_dependencies_win_over_the_repo_resolver(
    make_executor: MakeExecutor, users: InMemoryRepository[User]
) -> None:
    other = InMemoryRepository([User(2, "other@x")], name="other")
    resolver = RecordingResolver({User: other})
    executor = make_executor(repo_resolver=resolver)

    result = await executor.execute(GetUser(), params={"user_id": 2}, dependencies={User: users})

    assert result is BOB
    assert other.calls == []
    assert resolver.asked == []


@pytest.mark.parametrize("dependencies", [None, {}, {Team: InMemoryRepository()}])
async def test_the_repo_resolver_is_used_when_dependencies_lack_the_entity(
    make_executor: MakeExecutor,
    users: InMemoryRepository[User],
    dependencies: dict[type[Any], Any] | None,
) -> None:
    resolver = RecordingResolver({User: users})
    executor = make_executor(repo_resolver=resolver)

    result = await executor.execute(GetUser(), params={"user_id": 1}, dependencies=dependencies)

    assert result is ANN
    assert resolver.asked == [User]
    assert users.calls == [RepoCall("get_by_id", (1,), {"profile": "default"})]


async def test_no_repository_is_a_runtime_error(executor: RuntimeExecutor) -> None:
    with pytest.raises(RuntimeError, match="^No dependencies provided for User: GetUser"):
        await executor.execute(GetUser(), params={"user_id": 1})
    with pytest.raises(RuntimeError, match="^No repository registered for entity type 'User'"):
        await executor.execute(GetUser(), params={"user_id": 1}, dependencies={})


async def test_a_resolver_returning_none_is_a_runtime_error(make_executor: MakeExecutor) -> None:
    executor = make_executor(repo_resolver=RecordingResolver({}))

    with pytest.raises(RuntimeError, match="^No repository registered for entity type 'User'"):
        await executor.execute(GetUser(), params={"user_id": 1})


# -- on_missing for loads ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("use_case", "params", "missing_value"),
    [
        (GetUser, {"user_id": 99}, 99),
        (FindUserByEmail, {"email": "nobody@x"}, "nobody@x"),
    ],
    ids=["by-id", "by-field"],
)
async def test_a_missing_entity_raises_not_found_by_default(
    executor: RuntimeExecutor,
    users: InMemoryRepository[User],
    use_case: type[Any],
    params: dict[str, Any],
    missing_value: Any,
) -> None:
    with pytest.raises(NotFound) as caught:
        await executor.execute(use_case(), params=params, dependencies={User: users})

    assert caught.value.entity == "User"
    assert caught.value.id == missing_value


async def test_a_missing_entity_from_the_command_reports_the_command_value(
    executor: RuntimeExecutor, users: InMemoryRepository[User]
) -> None:
    with pytest.raises(NotFound) as caught:
        await executor.execute(
            AssignOwner(),
            params={"team_id": 5},
            payload={"owner_email": "nobody@x"},
            dependencies={User: users, Team: InMemoryRepository([CORE])},
        )

    assert (caught.value.entity, caught.value.id) == ("User", "nobody@x")


@pytest.mark.parametrize(
    ("use_case", "params", "expected"),
    [
        (GetUserOrNone, {"user_id": 99}, None),
        (GetUserOrFalse, {"user_id": 99}, False),
        (FindUserByEmailOrNone, {"email": "nobody@x"}, None),
        (FindUserByEmailOrFalse, {"email": "nobody@x"}, False),
    ],
    ids=["by-id-none", "by-id-false", "by-field-none", "by-field-false"],
)
async def test_a_missing_entity_with_a_return_policy(
    executor: RuntimeExecutor,
    users: InMemoryRepository[User],
    use_case: type[Any],
    params: dict[str, Any],
    expected: Any,
) -> None:
    result = await executor.execute(use_case(), params=params, dependencies={User: users})

    assert result is expected


@pytest.mark.parametrize(
    ("use_case", "params"),
    [(GetUserOrNone, {"user_id": 1}), (FindUserByEmailOrFalse, {"email": "ann@x"})],
    ids=["return-none", "return-false"],
)
async def test_a_found_entity_ignores_the_policy(
    executor: RuntimeExecutor,
    users: InMemoryRepository[User],
    use_case: type[Any],
    params: dict[str, Any],
) -> None:
    assert await executor.execute(use_case(), params=params, dependencies={User: users}) is ANN


# -- exists checks ----------------------------------------------------------------------------


@pytest.mark.parametrize(("email", "expected"), [("ann@x", True), ("nobody@x", False)])
async def test_exists_from_a_param(
    executor: RuntimeExecutor, users: InMemoryRepository[User], email: str, expected: bool
) -> None:
    result = await executor.execute(
        EmailTaken(), params={"email": email}, dependencies={User: users}
    )

    assert result is expected
    assert users.calls == [RepoCall("exists_by", ("email", email), {})]


@pytest.mark.parametrize(("email", "expected"), [("ann@x", True), ("nobody@x", False)])
async def test_exists_from_the_command(
    executor: RuntimeExecutor, users: InMemoryRepository[User], email: str, expected: bool
) -> None:
    result = await executor.execute(
        OwnerKnown(), payload={"owner_email": email}, dependencies={User: users}
    )

    assert result is expected
    assert users.calls == [RepoCall("exists_by", ("email", email), {})]


async def test_exists_with_raise_policy(
    executor: RuntimeExecutor, users: InMemoryRepository[User]
) -> None:
    found = await executor.execute(
        EmailMustExist(), params={"email": "ann@x"}, dependencies={User: users}
    )
    assert found is True

    with pytest.raises(NotFound) as caught:
        await executor.execute(
            EmailMustExist(), params={"email": "nobody@x"}, dependencies={User: users}
        )
    assert (caught.value.entity, caught.value.id) == ("User", "nobody@x")


async def test_exists_with_return_none_policy_yields_none_on_a_miss(
    executor: RuntimeExecutor, users: InMemoryRepository[User]
) -> None:
    """``OnMissing.RETURN_NONE`` means what it says for an exists check too."""
    missed = await executor.execute(
        EmailTakenOrNone(), params={"email": "nobody@x"}, dependencies={User: users}
    )
    users.entities.append(User(99, "somebody@x"))
    found = await executor.execute(
        EmailTakenOrNone(), params={"email": "somebody@x"}, dependencies={User: users}
    )

    assert missed is None and found is True


class TruthyRepository:
    """``exists_by`` answers with a non-bool value, as some drivers do."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer

    async def exists_by(self, field: str, value: Any) -> Any:
        return self.answer


@pytest.mark.parametrize(
    ("answer", "expected"), [(1, True), (0, False), (None, False), ([1], True)]
)
async def test_exists_results_are_made_bool(
    executor: RuntimeExecutor, answer: Any, expected: bool
) -> None:
    result = await executor.execute(
        EmailTaken(), params={"email": "x"}, dependencies={User: TruthyRepository(answer)}
    )

    assert result is expected


async def test_loads_run_before_exists_checks(executor: RuntimeExecutor) -> None:
    journal: list[tuple[str, RepoCall]] = []
    users = InMemoryRepository([ANN], name="users", journal=journal)

    result = await executor.execute(
        CheckThenLoad(), params={"user_id": 1, "email": "ann@x"}, dependencies={User: users}
    )

    assert result == {"taken": True, "user": ANN}
    assert [call.method for _, call in journal] == ["get_by_id", "exists_by"]


async def test_load_overrides_do_not_answer_exists_checks(
    executor: RuntimeExecutor, users: InMemoryRepository[User]
) -> None:
    preloaded = User(1, "override@x")

    result = await executor.execute(
        CheckThenLoad(),
        params={"user_id": 1, "email": "nobody@x"},
        dependencies={User: users},
        load_overrides={User: preloaded},
    )

    assert result == {"taken": False, "user": preloaded}
    assert users.calls == [RepoCall("exists_by", ("email", "nobody@x"), {})]


async def test_exists_uses_the_repo_resolver(
    make_executor: MakeExecutor, users: InMemoryRepository[User]
) -> None:
    resolver = RecordingResolver({User: users})
    executor = make_executor(repo_resolver=resolver)

    assert await executor.execute(EmailTaken(), params={"email": "bob@x"}) is True
    assert resolver.asked == [User]


async def test_exists_without_a_repository_is_a_runtime_error(executor: RuntimeExecutor) -> None:
    with pytest.raises(RuntimeError, match="^No dependencies provided for User: EmailTaken"):
        await executor.execute(EmailTaken(), params={"email": "ann@x"})
