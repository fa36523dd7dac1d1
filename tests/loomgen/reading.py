"""Reading sources given as text (``{module name: source}``), never imported:
the helpers the front end's tests share."""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst

from loomgen.diagnostics import Diagnostic
from loomgen.discover import SourceFile
from loomgen.ir import ModuleIR, UseCaseIR
from loomgen.parse import analyse
from loomgen.scan import ModuleScan, scan_module


def scans(**modules: str) -> dict[str, ModuleScan]:
    found: dict[str, ModuleScan] = {}
    for name, text in modules.items():
        dotted = name.replace("__", ".")
        source = SourceFile(Path(f"/src/{dotted}.py"), f"{dotted}.py", dotted)
        scanned = scan_module(source, textwrap.dedent(text))
        assert not isinstance(scanned, Diagnostic), scanned
        found[dotted] = scanned
    return found


def analysed(**modules: str) -> tuple[dict[str, ModuleIR], list[Diagnostic]]:
    built, diagnostics = analyse(list(scans(**modules).values()))
    return {m.module: m for m in built}, diagnostics


def use_case(module: ModuleIR, qualname: str) -> UseCaseIR:
    return next(uc for uc in module.use_cases if uc.qualname == qualname)


def expression(text: str) -> cst.BaseExpression:
    return cst.parse_expression(text)


HELPERS = """
PROFILE = "full"

def trim(cmd, fields_set):
    return cmd

def ok(cmd, fields_set):
    return None
"""
