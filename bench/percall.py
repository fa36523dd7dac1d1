"""Per-call cost of each plan shape: hand-written, generated, interpreted.

The use cases in :mod:`bench.usecases` are compiled with loomgen into
``.bench/generated/bench_generated`` (an ignored folder), then each shape is
measured with :mod:`bench.harness`: the three variants of a shape are
interleaved within one run. Logging stays at its default level (nothing is
configured, so ``loom.executor`` is at WARNING) and no metrics adapter is
attached.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import handwritten
from bench.harness import Loop, Remote, Timings, make_loop, measure

ROOT = Path(__file__).resolve().parent.parent
GENERATED_ROOT = ROOT / ".bench" / "generated"
GENERATED_PACKAGE = "bench_generated"
SOURCES = ROOT / "bench" / "usecases"

HAND = "hand-written"
GENERATED = "generated"
INTERPRETED = "interpreted"
KERNEL = "loom-kernel 0.12.3"
HAND_PROMETHEUS = "hand-written + Prometheus"
GENERATED_PROMETHEUS = "generated + Prometheus"


def build_generated() -> None:
    """Compile ``bench/usecases`` into the ignored benchmark package."""
    from loomgen.build import build_package

    result = build_package([SOURCES], GENERATED_ROOT / GENERATED_PACKAGE, root=ROOT, strict=True)
    problems = [str(d) for d in result.diagnostics]
    if problems:
        raise SystemExit(
            "loomgen could not compile the benchmark use cases:\n" + "\n".join(problems)
        )
    if str(GENERATED_ROOT) not in sys.path:
        sys.path.insert(0, str(GENERATED_ROOT))


@dataclass
class Shape:
    """One row of the table: a name, what it declares, and its variants."""

    key: str
    title: str
    variants: dict[str, Loop | Remote]
    check: Callable[[], None] | None = None


def executors(**options: Any) -> tuple[Any, Any]:
    from loom.core.engine import RuntimeExecutor, UseCaseCompiler

    generated = RuntimeExecutor(
        UseCaseCompiler(),
        execution_mode="generated",
        generated_package=GENERATED_PACKAGE,
        **options,
    )
    interpreted = RuntimeExecutor(UseCaseCompiler(), execution_mode="interpreted", **options)
    return generated, interpreted


def prometheus() -> tuple[Any, handwritten.HandMetrics]:
    """A Prometheus adapter, and the same series kept by hand, each on a registry of its own."""
    from prometheus_client import CollectorRegistry

    from loom.prometheus import PrometheusMetricsAdapter

    return PrometheusMetricsAdapter(CollectorRegistry()), handwritten.HandMetrics(
        CollectorRegistry()
    )


def _variants(
    call_hand: str,
    call_executor: str,
    namespace: dict[str, Any],
    gen: Any,
    interp: Any,
    gen_prometheus: Any,
    hand_prometheus: Any,
) -> dict[str, Loop | Remote]:
    return {
        HAND: make_loop(call_hand, namespace),
        GENERATED: make_loop(call_executor, {**namespace, "execute": gen.execute}),
        INTERPRETED: make_loop(call_executor, {**namespace, "execute": interp.execute}),
        HAND_PROMETHEUS: make_loop(call_hand, {**namespace, "hand": hand_prometheus}),
        GENERATED_PROMETHEUS: make_loop(
            call_executor, {**namespace, "execute": gen_prometheus.execute}
        ),
    }


def shapes() -> list[Shape]:
    """Every shape with its variants: hand-written, generated and interpreted, and
    hand-written and generated with Prometheus metrics (loom's adapter attached
    to the executor; the same series updated by a decorator on the hand-written
    function)."""
    from bench.usecases.domain import InMemoryUnitOfWorkFactory, repositories
    from bench.usecases.jobs import PrintReport
    from bench.usecases.lookups import AssignTeam
    from bench.usecases.nested import PlaceOrder, ReserveStock
    from bench.usecases.params import ShowPage
    from bench.usecases.declared import DeclaredProfile
    from bench.usecases.pipeline import NormalizeProfile
    from bench.usecases.together import AssignOwnedTeam, RenameUser

    gen, interp = executors()
    adapter, hand_metrics = prometheus()
    gen_prometheus, _ = executors(metrics=adapter)
    repos = repositories()
    found: list[Shape] = []

    def add(
        key: str, title: str, use_case: Any, hand: str, executor_call: str, **names: Any
    ) -> None:
        namespace = {
            "use_case": use_case,
            "hand": getattr(handwritten, key),
            "repos": repos,
            **names,
        }
        hand_prometheus = handwritten.instrumented(
            namespace["hand"], type(use_case).__qualname__, hand_metrics
        )
        variants = _variants(
            hand, executor_call, namespace, gen, interp, gen_prometheus, hand_prometheus
        )
        found.append(Shape(key, title, variants))

    add(
        "show_page",
        "params only (3 params)",
        ShowPage(),
        "hand(use_case, params)",
        "execute(use_case, params=params)",
        params={"user_id": 7, "page": 2, "sort": "name"},
    )
    add(
        "normalize_profile",
        "Input + 2 computes + 2 rules",
        NormalizeProfile(),
        "hand(use_case, payload)",
        "execute(use_case, payload=payload)",
        payload={"email": "ada@example.com", "name": "Ada"},
    )
    add(
        "declared_profile",
        "Input + 2 DSL computes + 3 DSL rules (inlined)",
        DeclaredProfile(),
        "hand(use_case, payload)",
        "execute(use_case, payload=payload)",
        payload={"email": "Ada@Example.com", "name": " Ada "},
    )
    add(
        "assign_team",
        "LoadById + Load(from_command) + Exists",
        AssignTeam(),
        "hand(use_case, params, payload, repos)",
        "execute(use_case, params=params, payload=payload, dependencies=repos)",
        params={"user_id": 3},
        payload={"owner_email": "user1@example.com", "team_name": "team-1"},
    )
    add(
        "rename_user",
        "together: param, Input, LoadById, 2 computes, 2 rules",
        RenameUser(),
        "hand(use_case, params, payload, repos)",
        "execute(use_case, params=params, payload=payload, dependencies=repos)",
        params={"user_id": 3},
        payload={"email": "ada@example.com", "name": "Ada"},
    )
    add(
        "assign_owned_team",
        "together + Load, Exists, context compute/rule",
        AssignOwnedTeam(),
        "hand(use_case, params, payload, repos)",
        "execute(use_case, params=params, payload=payload, dependencies=repos)",
        params={"user_id": 3},
        payload={"owner_email": "user1@example.com", "team_name": "team-1"},
    )

    # Nested: the outer use case owns an in-memory unit of work, the inner joins it.
    uow_factory = InMemoryUnitOfWorkFactory()
    gen_uow, interp_uow = executors(uow_factory=uow_factory)
    gen_uow_prometheus, _ = executors(uow_factory=uow_factory, metrics=adapter)
    inner = ReserveStock()
    params = {"product_id": 5, "quantity": 2}

    def outer(run_inner: Any) -> PlaceOrder:
        return PlaceOrder(functools.partial(run_inner, inner, dependencies=repos))

    hand_outer = PlaceOrder(functools.partial(handwritten.reserve_stock, inner, repositories=repos))
    hand_prometheus_outer = PlaceOrder(
        functools.partial(
            handwritten.instrumented(handwritten.reserve_stock, "ReserveStock", hand_metrics),
            inner,
            repositories=repos,
        )
    )
    hand_call = "hand(outer, params, uow_factory)"
    call = "execute(outer, params=params, dependencies=repos)"
    hand_names = {"hand": handwritten.place_order, "params": params, "uow_factory": uow_factory}
    names = {"params": params, "repos": repos}
    found.append(
        Shape(
            "place_order",
            "nested use case in a unit of work",
            {
                HAND: make_loop(hand_call, {**hand_names, "outer": hand_outer}),
                GENERATED: make_loop(
                    call, {**names, "execute": gen_uow.execute, "outer": outer(gen_uow.execute)}
                ),
                INTERPRETED: make_loop(
                    call,
                    {**names, "execute": interp_uow.execute, "outer": outer(interp_uow.execute)},
                ),
                HAND_PROMETHEUS: make_loop(
                    hand_call,
                    {
                        **hand_names,
                        "hand": handwritten.instrumented(
                            handwritten.place_order, "PlaceOrder", hand_metrics
                        ),
                        "outer": hand_prometheus_outer,
                    },
                ),
                GENERATED_PROMETHEUS: make_loop(
                    call,
                    {
                        **names,
                        "execute": gen_uow_prometheus.execute,
                        "outer": outer(gen_uow_prometheus.execute),
                    },
                ),
            },
        )
    )
    add(
        "print_report",
        "sync Job: param, Input, 1 rule",
        PrintReport(),
        "hand(use_case, params, payload)",
        "execute(use_case, params=params, payload=payload)",
        params={"batch": 4},
        payload={"title": "Weekly", "copies": 3},
    )
    for executor in (gen, interp, gen_uow, interp_uow, gen_prometheus, gen_uow_prometheus):
        for shape_type in (
            ShowPage,
            NormalizeProfile,
            AssignTeam,
            RenameUser,
            AssignOwnedTeam,
            PlaceOrder,
            ReserveStock,
            PrintReport,
        ):
            expected = executor is not interp and executor is not interp_uow
            if executor.uses_generated(shape_type) is not expected:
                raise SystemExit(f"{shape_type.__qualname__}: wrong execution path")
    return found


async def run_shapes(
    found: list[Shape], *, repeats: int, chunk_seconds: float
) -> dict[str, Timings]:
    results: dict[str, Timings] = {}
    for shape in found:
        results[shape.key] = await measure(
            shape.variants, repeats=repeats, chunk_seconds=chunk_seconds
        )
    return results
