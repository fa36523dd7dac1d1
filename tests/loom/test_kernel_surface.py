"""loom-kernel's names around the engine: errors, tracing, units of work, logging, markers."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from loom.core.errors import DomainError, ErrorCode, LoomError, NotFound, SystemError
from loom.core.logger import (
    LoggerPort,
    StdlibLogger,
    StreamHandlerConfig,
    StructLogger,
    configure_logger_factory,
    configure_logging_from_values,
    get_logger,
    reset_logger_factory,
)
from loom.core.logger.abc import LoggerPort as LoggerPortFromAbc
from loom.core.tracing import generate_trace_id
from loom.core.tracing.context import get_trace_id, set_trace_id
from loom.core.uow import Transaction, UnitOfWork, get_active_uow
from loom.core.uow.context import _active_uow, active_uow
from loom.core.use_case import Exists, Load, LoadById
from loom.core.use_case.markers import SourceKind


class Entity:
    pass


def test_system_error_is_a_loom_error_but_not_a_domain_error() -> None:
    error = SystemError("disk full")
    assert isinstance(error, LoomError) and not isinstance(error, DomainError)
    assert error.code == ErrorCode.SYSTEM_ERROR == "system_error"
    assert NotFound("User", id=1).code is ErrorCode.NOT_FOUND


def test_generated_trace_ids_are_32_hex_digits_and_unique() -> None:
    ids = {generate_trace_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(len(i) == 32 and set(i) <= set("0123456789abcdef") for i in ids)
    token = set_trace_id("abc")
    assert get_trace_id() == "abc"
    token.var.reset(token)


def test_active_uow_has_loom_kernels_name() -> None:
    assert _active_uow is active_uow
    token = _active_uow.set("uow")
    try:
        assert get_active_uow() == "uow"
    finally:
        _active_uow.reset(token)


def test_unit_of_work_protocol_includes_the_context_manager() -> None:
    class Plain:
        async def begin(self) -> None: ...
        async def commit(self) -> None: ...
        async def rollback(self) -> None: ...

    class Managed(Plain):
        async def __aenter__(self) -> Managed:
            return self

        async def __aexit__(self, *args: object) -> None: ...

    assert isinstance(Plain(), Transaction) and not isinstance(Plain(), UnitOfWork)
    assert isinstance(Managed(), UnitOfWork)


def test_markers_expose_loom_kernels_attribute_names() -> None:
    load = Load(Entity, from_command="email", against="email")
    exists = Exists(Entity, from_param="user_id", against="id")
    assert (load.from_kind, load.from_name) == (SourceKind.COMMAND, "email")
    assert (exists.from_kind, exists.from_name) == (SourceKind.PARAM, "user_id")
    by_id = LoadById(Entity, by="slug")
    assert (by_id.from_kind, by_id.from_name) == (SourceKind.PARAM, "slug")


@pytest.fixture
def factory_reset() -> Iterator[None]:
    reset_logger_factory()
    yield
    reset_logger_factory()


def test_logger_factory_default_and_override(factory_reset: None) -> None:
    default = get_logger("tests.kernel")
    assert isinstance(default, StructLogger) and isinstance(default, StdlibLogger)
    assert LoggerPortFromAbc is LoggerPort

    made: list[str] = []

    def factory(name: str) -> LoggerPort:
        made.append(name)
        return StdlibLogger(logging.getLogger(name))

    configure_logger_factory(factory)
    get_logger("tests.custom")
    assert made == ["tests.custom"]


@pytest.fixture
def configured_logger() -> Iterator[logging.Logger]:
    target = logging.getLogger("tests.configured")
    yield target
    for handler in list(target.handlers):
        target.removeHandler(handler)
    target.setLevel(logging.NOTSET)


def test_configure_logging_renders_json_with_fields_and_processors(
    configured_logger: logging.Logger,
) -> None:
    def stamp(logger: Any, method: str, event: dict[str, Any]) -> dict[str, Any]:
        event["method"] = method
        return event

    configure_logging_from_values(
        name="tests.configured",
        environment="prod",
        level="debug",
        handlers=[StreamHandlerConfig(stream="stderr")],
        fields={"service": "shop"},
        extra_processors=(stamp,),
    )
    out = io.StringIO()
    handler = configured_logger.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(out)

    get_logger("tests.configured.child").bind(trace_id="t1").info("[DONE] 1ms", duration_ms=1.0)
    line = json.loads(out.getvalue())
    assert line["event"] == "[DONE] 1ms"
    assert (line["trace_id"], line["duration_ms"], line["service"]) == ("t1", 1.0, "shop")
    assert (line["level"], line["logger"], line["method"]) == (
        "info",
        "tests.configured.child",
        "info",
    )


def test_configure_logging_refuses_an_unknown_level(configured_logger: logging.Logger) -> None:
    with pytest.raises(ValueError, match="unknown log level 'LOUD'"):
        configure_logging_from_values(name="tests.configured", level="LOUD")
    with pytest.raises(ValueError, match="unknown log renderer"):
        configure_logging_from_values(name="tests.configured", renderer="xml")


# -- use cases: generics, main repository -------------------------------------------------


class Users:
    pass


class Product:
    pass


def test_use_case_declares_its_main_model_and_repository() -> None:
    from loom.core.use_case import UseCase

    class Two(UseCase[Entity, int]):
        async def execute(self) -> int:
            return 1

    class Three(UseCase[Entity, int, Users]):
        async def execute(self) -> int:
            return 1

    class Untyped(UseCase[Any, None]):
        async def execute(self) -> None:
            return None

    assert Two.describe_main_repo() == (Entity, Any)
    assert Three.describe_main_repo() == (Entity, Users)
    assert Untyped.describe_main_repo() == (None, Any)
    repo = Users()
    assert Three(main_repo=repo).main_repo is repo
    use_case = Two()
    with pytest.raises(RuntimeError, match=r"Two: no main repository of Entity was injected"):
        use_case.main_repo
    use_case.main_repo = repo  # type: ignore[assignment]
    assert use_case.main_repo is repo


def test_a_use_case_needs_a_class_as_its_model() -> None:
    from loom.core.use_case import UseCase

    with pytest.raises(TypeError, match="takes a class as Model"):

        class Bad(UseCase[3, int]):  # type: ignore[valid-type]
            async def execute(self) -> int:
                return 1


def test_a_model_written_as_a_string_is_looked_up_when_first_described() -> None:
    """``UseCase["Entity", R]`` is accepted (the class may come later in its module) and
    resolved in the class's module; a name it does not hold is a clear ``TypeError``."""
    from loom.core.use_case import UseCase

    class Later(UseCase["Entity", int]):
        async def execute(self) -> int:
            return 1

    class Nowhere(UseCase["NoSuchEntity", int]):
        async def execute(self) -> int:
            return 1

    with pytest.raises(RuntimeError, match=r"Later: no main repository of Entity was injected"):
        Later().main_repo
    assert Later.describe_main_repo() == (Entity, Any)
    with pytest.raises(TypeError, match=r"Nowhere: UseCase\['NoSuchEntity', ...\] names no class"):
        Nowhere.describe_main_repo()


def test_the_factory_injects_the_main_repository_from_the_resolver() -> None:
    from loom.core.use_case import UseCase
    from loom.core.use_case.factory import UseCaseFactory

    class WithDependency(UseCase[Product, int]):
        def __init__(self, offset: int) -> None:
            super().__init__()
            self.offset = offset

        async def execute(self) -> int:
            return self.offset

    products = Users()
    factory = UseCaseFactory({Product: products}.__getitem__)
    built = factory.build(WithDependency, offset=3)
    assert (built.main_repo, built.offset) == (products, 3)
    given = Users()
    assert factory.build(WithDependency, offset=1).main_repo is products
    explicit = WithDependency(1)
    explicit.main_repo = given  # type: ignore[assignment]
    assert explicit.main_repo is given

    class GivenInConstructor(UseCase[Product, int]):
        def __init__(self) -> None:
            super().__init__(main_repo=given)

        async def execute(self) -> int:
            return 0

    assert factory.build(GivenInConstructor).main_repo is given
