"""Progress lines of a run: what the nox sessions leave in the run directory, turned into
a line as each base and each cell finishes, and a heartbeat while cells run (CI logs
should not look stalled)."""

from __future__ import annotations

import json
import time

from orchestrator import console
from orchestrator.models import CellResult, Plan
from orchestrator.report import terminal
from orchestrator.run import results, rundir

HEARTBEAT_SECONDS = 60  # a line at least this often while cells run, for CI logs


def cell_done(done: int, total: int, result: CellResult) -> None:
    """``[ 3/12] py3.11-click8.1.8: failed (...)``; a reused result says ``cached``."""
    console.progress(done, total, terminal.progress_line(result))


class Watcher:
    """Turns the files sessions leave in the run directory into progress lines, and
    says which cells are still running when nothing has finished for a while.

    Each poll only looks for what has not happened yet, and reads a file once."""

    def __init__(
        self, run: rundir.RunDir, plan: Plan, cell_ids: list[str], *, done: int = 0
    ) -> None:
        """Follows ``cell_ids``; ``done`` cells of the run finished before (reused results)."""
        self.run, self.total = run, len(cell_ids) + done
        # Only the bases of these cells run (other cells of a resumed run are done).
        self.bases_waiting = [
            p for p in plan.pythons if any(plan.cell(c).python == p for c in cell_ids)
        ]
        self.bases_running: list[str] = []
        self.cells_waiting = list(cell_ids)
        self.cells_running: dict[str, float] = {}  # cell id -> when it was seen starting
        self.cells_done = done
        self.last_line = time.monotonic()

    def poll(self) -> None:
        self._bases()
        self._cells()
        self._heartbeat()

    def say(self, text: str) -> None:
        console.out.print(text)
        self.last_line = time.monotonic()

    def _bases(self) -> None:
        for python in [p for p in self.bases_waiting if self.run.base_started(p).exists()]:
            self.bases_waiting.remove(python)
            self.bases_running.append(python)
            self.say(f"  base py{python}: checking / building…")
        for python in [p for p in self.bases_running if self.run.base_done(p).exists()]:
            self.bases_running.remove(python)
            marker = json.loads(self.run.base_done(python).read_text())
            verb = "built" if marker["built"] else "reused"
            self.say(f"  base py{python} {verb} ({marker['duration']:.0f}s)")

    def _cells(self) -> None:
        for cell_id in [c for c in self.cells_waiting if self.run.cell_started(c).exists()]:
            self.cells_waiting.remove(cell_id)
            self.cells_running[cell_id] = time.monotonic()
        # A cell whose base failed gets its result without ever starting.
        for cell_id in [*self.cells_running, *self.cells_waiting]:
            result = results.load_cell_result(self.run, cell_id)
            if result is None:
                continue
            self.cells_running.pop(cell_id, None)
            if cell_id in self.cells_waiting:
                self.cells_waiting.remove(cell_id)
            self.cells_done += 1
            cell_done(self.cells_done, self.total, result)
            self.last_line = time.monotonic()

    def _heartbeat(self) -> None:
        now = time.monotonic()
        if self.cells_running and now - self.last_line >= HEARTBEAT_SECONDS:
            ages = ", ".join(f"{c} ({_age(now - t)})" for c, t in self.cells_running.items())
            self.say(f"  … still running: {ages}")


def _age(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"
