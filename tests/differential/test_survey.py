"""The differential survey: every form of :mod:`tests.differential.survey_forms`,
built with the ``loomgen`` command and run in fresh processes in all three modes.

All forms live in one project (one module each, plus a package ``lib`` outside
the sources), built once; the scenario (two calls per class) runs in three
processes, one per execution mode (:mod:`tests.differential.probe`). Per form:

- **no difference**: every call's result or error, metrics events, log lines,
  unit-of-work and repository calls are the interpreter's in ``generated`` and
  ``auto`` mode, beyond the designed ``generated_fallback`` event and ``[GEN]``
  line;
- **no refusal**: in ``generated`` mode a class either runs its generated
  executor or is reported as left to the interpreter (``status="interpreted"``,
  with a reason); never a ``GeneratedCodeError``, a stale or a missing one;
- **never silent**: in ``auto`` mode, a class that runs interpreted is one
  ``generated_fallback`` event and one ``[GEN]`` line per executor, with the
  reason;
- **the outcome the form asserts**: compiled-and-used, left-with-reason, or
  either (see :class:`~tests.differential.survey_forms.Form`).

The everyday forms must compile: at least 90 % of them compiled and used. And
``loomgen check --verify`` on the same project finds nothing the runtime
would refuse. The figures go to stdout (``pytest -s``) and into
``$LOOM_SURVEY_REPORT`` when that names a file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.differential.survey_forms import (
    COMPILED,
    FORMS,
    LEFT,
    LIB,
    SUPPORT,
    Form,
)
from tests.differential.test_fidelity import MODES, PACKAGE, ROOT, fallback, probe, without_fallback

EVERYDAY_TARGET = 0.9

pytestmark = pytest.mark.slow


def write_project(root: Path) -> None:
    files = {**SUPPORT, **LIB}
    for survey_form in FORMS:
        for relative, text in survey_form.files().items():
            assert relative not in files, relative
            files[relative] = text
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip() if text else "", encoding="utf-8")
    (root / "pyproject.toml").write_text(
        f'[tool.loomgen]\nsources = ["app", "nsapp"]\noutput = "{PACKAGE}"\ncache = false\n'
    )


def loomgen(root: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loomgen", *arguments],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def verdict(form: Form, key: str, runs: dict[str, list[dict[str, Any]]]) -> tuple[str, list[str]]:
    """``(outcome, problems)`` of one class over its calls in every mode."""
    problems: list[str] = []
    outcomes: set[str] = set()
    for mode in ("generated", "auto"):
        for call in runs[mode]:
            events, logs = fallback(call)
            if call.get("generated") and not events and not logs:
                outcomes.add(COMPILED)
                continue
            if call.get("generated"):
                problems.append(f"{mode}: generated, yet reported {events} {logs}")
                continue
            error = call.get("error")
            if error and error[0] == "GeneratedCodeError":
                problems.append(f"{mode}: refused: {error[1]}")
                continue
            if len(events) != 1 or len(logs) != 1:
                kind = "silent" if not events and not logs else "reported more than once"
                problems.append(f"{mode}: interpreted and {kind}: {events} {logs}")
                continue
            status, reason = events[0][2], events[0][3]
            if status != "interpreted" or not reason:
                problems.append(f"{mode}: refused ({status}): {reason}")
                continue
            if reason not in logs[0][1]:
                problems.append(f"{mode}: the [GEN] line does not give the reason: {logs[0]}")
            outcomes.add(f"{LEFT}: {reason}")
    if len({o.partition(":")[0] for o in outcomes}) > 1:
        problems.append(f"the modes disagree on how it runs: {sorted(outcomes)}")
    outcome = COMPILED if outcomes == {COMPILED} else next(iter(sorted(outcomes)), "none")
    kind = outcome.partition(":")[0]
    if form.expect in (COMPILED, LEFT) and kind != form.expect and not problems:
        problems.append(f"expected {form.expect}, got {outcome}")
    return outcome, problems


def test_survey_of_use_case_forms(tmp_path: Path) -> None:
    write_project(tmp_path)
    built = loomgen(tmp_path, "build")
    assert built.returncode == 0, built.stdout + built.stderr
    scenario = [call for survey_form in FORMS for call in survey_form.calls()]
    outcomes = {mode: probe(tmp_path, mode, scenario) for mode in MODES}

    rows: list[dict[str, Any]] = []
    failures: list[str] = []
    start = 0
    for survey_form in FORMS:
        count = len(survey_form.calls())
        runs = {mode: outcomes[mode][start : start + count] for mode in MODES}
        start += count
        problems: list[str] = []
        oracle = [without_fallback(o) for o in runs["interpreted"]]
        for mode in ("generated", "auto"):
            mine = [without_fallback(o) for o in runs[mode]]
            for index, (one, other) in enumerate(zip(mine, oracle, strict=True)):
                if one != other:
                    changed = sorted(k for k in one if one[k] != other.get(k))
                    problems.append(
                        f"{mode} differs from interpreted on call {index} in {changed}:"
                        f" {[one[k] for k in changed]} != {[other.get(k) for k in changed]}"
                    )
        verdicts = []
        per_class = len(count_calls := [c["use_case"] for c in survey_form.calls()]) // len(
            survey_form.classes
        )
        for index, key in enumerate(dict.fromkeys(count_calls)):
            window = slice(index * per_class, (index + 1) * per_class)
            outcome, found = verdict(survey_form, key, {m: runs[m][window] for m in MODES})
            verdicts.append(outcome)
            problems.extend(f"{key}: {problem}" for problem in found)
        compiled = all(v == COMPILED for v in verdicts)
        rows.append(
            {
                "form": survey_form.name,
                "kind": survey_form.kind,
                "everyday": survey_form.everyday,
                "expect": survey_form.expect,
                "outcome": COMPILED if compiled else verdicts,
                "problems": problems,
            }
        )
        failures.extend(f"{survey_form.name}: {problem}" for problem in problems)

    checked = loomgen(tmp_path, "check", "--verify", "-q")
    everyday = [row for row in rows if row["everyday"]]
    everyday_compiled = sum(row["outcome"] == COMPILED for row in everyday)
    summary = {
        "forms": len(rows),
        "classes": sum(len(f.classes) for f in FORMS),
        "calls_per_mode": len(scenario),
        "modes": list(MODES),
        "compiled_forms": sum(row["outcome"] == COMPILED for row in rows),
        "everyday_forms": len(everyday),
        "everyday_compiled": everyday_compiled,
        "forms_with_problems": sum(bool(row["problems"]) for row in rows),
        "verify_exit": checked.returncode,
        "by_kind": dict(Counter(row["kind"] for row in rows)),
    }
    report = os.environ.get("LOOM_SURVEY_REPORT")
    if report:
        Path(report).write_text(json.dumps({"summary": summary, "forms": rows}, indent=1))
    print(json.dumps(summary, indent=1))
    for row in rows:
        if row["outcome"] != COMPILED:
            print(f"  left: {row['form']}: {row['outcome']}")

    assert not failures, "\n".join([json.dumps(summary), *failures])
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert everyday_compiled >= EVERYDAY_TARGET * len(everyday), summary
    assert len(rows) >= 150
