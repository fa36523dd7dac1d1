"""Shape 6: a job whose ``execute`` is a plain ``def``."""

from __future__ import annotations

from bench.usecases.domain import ReportCmd
from bench.usecases.steps import title_not_blank
from loom.core.job import Job
from loom.core.use_case import Input


class PrintReport(Job[int]):
    rules = [title_not_blank]

    def execute(self, batch: int, cmd: ReportCmd = Input()) -> int:
        return batch * cmd.copies
