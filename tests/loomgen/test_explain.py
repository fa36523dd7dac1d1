"""``loomgen explain``: the plan loomgen sees for one use case, its code, and
close names when the target is not a use case."""

from __future__ import annotations

from pathlib import Path

import pytest

from loomgen.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_explain_real_use_case(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--project", str(REPO), "examples.shop.usecases:RegisterUser"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("examples.shop.usecases:RegisterUser")
    assert "# generated into generated/examples/shop/usecases.py" in out


def test_explain_suggests_close_names(capsys: pytest.CaptureFixture[str]) -> None:
    project = ["--project", str(REPO)]
    assert main(["explain", *project, "examples.shop.usecases:PlaceOrdr"]) == 2
    assert capsys.readouterr().err == (
        "loomgen: error: explain: class PlaceOrdr not found among the use cases of "
        "examples.shop.usecases; did you mean PlaceOrder, CancelOrder?\n"
    )
    assert main(["explain", *project, "examples.shop.usecases:Zzz"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("loomgen: error: explain: class Zzz not found among the use cases")
    assert "(its use cases: AddProduct, BlockUser, CancelOrder," in err
    assert main(["explain", *project, "examples.shop.usecase:GetUser"]) == 2
    assert capsys.readouterr().err.startswith(
        "loomgen: error: explain: no use case examples.shop.usecase:GetUser in the sources; "
        "did you mean examples.shop.usecases:GetUser"
    )
