"""The report's charts drawn, and encoded as PNG, by a second Python process.

The charts are most of a report's time, and the PDF's summary and table pages need none of
them: this process draws those pages, then the two quickest charts (`DRAWN_HERE`), while the
worker draws the other three on the other core. `plan optimize` launches the worker before it
reads the plan, so that the worker's imports overlap the reading and the solve.

The worker is a fresh interpreter running `serve_charts` (`python -c`), not a multiprocessing
child: by the time a report is written this process has BLAS and numexpr threads (forking it is
unsafe), and `spawn` re-imports the caller's `__main__`, which fails or hangs where that is a
notebook, stdin or an embedding program. It is sent the plan and the result tables on its stdin
and answers on its stdout with one message per chart it draws, in `CHARTS` order: the PNG bytes
and the laid-out figure, for the PDF page. A chart the worker cannot deliver (it failed, died or hangs)
is drawn here by the same code (`planner.pdf_report.render_chart`), so the files are the same
bytes either way. The worker ends after the last chart, and when this process ends (its next
write fails), so it never outlives a killed run by long.
"""

from __future__ import annotations

import gc
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from planner.plan import Plan
    from planner.results import Tables

DRAWN_HERE = ("budget.png", "hall-space.png")
"""Charts the calling process draws itself, right after its table pages, while the worker draws the
others: the two quickest (about 0.45 of 1.5 s on the Ohio plan), which leaves the two processes
about even."""
WORKER_WAIT_S = 120.0
"""How long to wait for the chart worker's next chart before drawing the rest here."""
_FRAME = struct.Struct(">Q")
"""Each message between the processes: its length, then a pickle."""


@dataclass(frozen=True)
class Solved:
    """What the charts read of a run (`planner.charts.ChartInput`), all the chart worker is sent."""

    plan: Plan
    tables: Tables
    skip: tuple[str, ...]
    """Charts the worker leaves to the caller."""


class ChartWorker:
    """The charts of one report, drawn by a second process; see the module's docstring.

    `launch` it as early as the caller knows a report will be drawn (its imports, half a second,
    then overlap this process's own work), `send` it the run, then ask for each `chart`."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.messages: queue.Queue[bytes | None] = queue.Queue()
        self.failed = False
        self.pump: threading.Thread | None = None
        self.skip: tuple[str, ...] = ()
        """Charts left to the caller (`DRAWN_HERE`), once sent."""

    @classmethod
    def launch(cls) -> ChartWorker | None:
        """Start the worker; None on a single core (it would only slow the report) or if it cannot start."""
        if cores() < 2 or not sys.executable:
            return None
        root = str(Path(__file__).resolve().parent.parent)  # the worker imports this very planner
        code = (f"import sys; sys.path.insert(0, {root!r}); "
                "from planner.chart_worker import serve_charts; serve_charts()")
        try:
            # Its own session: a Ctrl-C at the terminal stops this process, which then stops the worker.
            process = subprocess.Popen(  # noqa: S603 - this Python, running planner's own code
                [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)
        except OSError:
            return None
        return cls(process)

    @classmethod
    def start(cls, plan: Plan, tables: Tables) -> ChartWorker | None:
        """`launch` and `send` at once."""
        worker = cls.launch()
        if worker is not None:
            worker.send(plan, tables)
        return worker

    def send(self, plan: Plan, tables: Tables) -> None:
        """Give the worker the run to draw (once); if it cannot be sent, every chart is drawn here."""
        solved = Solved(plan, tables, DRAWN_HERE)
        try:
            payload = pickle.dumps(solved, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):
            self.failed = True
            self.close()
            return
        self.skip = solved.skip
        # A thread feeds the worker and drains its pipe as charts come, so the worker never waits
        # on a full pipe while this process draws the table pages.
        self.pump = threading.Thread(target=self._pump, args=(payload,), name="chart-worker", daemon=True)
        self.pump.start()

    def _pump(self, payload: bytes) -> None:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None
        assert stdout is not None
        try:
            with stdin:
                _write_message(stdin, payload)
            while (message := _read_message(stdout)) is not None:
                self.messages.put(message)
        except (OSError, ValueError):  # the worker died, or close() stopped it
            pass
        finally:
            self.messages.put(None)

    def chart(self, name: str) -> tuple[bytes, Figure] | None:
        """Chart `name`'s PNG bytes and figure, or None if this process must draw it (a chart in `skip`,
        or all after a failure). Ask in `CHARTS` order."""
        if self.failed or self.pump is None or name in self.skip:
            return None
        try:
            message = self.messages.get(timeout=WORKER_WAIT_S)
        except queue.Empty:
            message = None
        if message is not None:
            try:
                sent, png, figure = pickle.loads(message)  # noqa: S301 - from our own child, over its private pipe
            except Exception:  # noqa: BLE001 - whatever the worker sent, this process can draw the chart
                sent = png = figure = None
            if sent == name and png is not None:
                return png, figure
        self.failed = True
        self.close()
        return None

    def close(self) -> None:
        """Stop the worker if it still runs (after its last chart it is only exiting), and reap it."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self.pump is not None:
            self.pump.join()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                stream.close()


def cores() -> int:
    """How many cores this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else (os.cpu_count() or 1)


def _write_message(stream: IO[bytes], data: bytes) -> None:
    stream.write(_FRAME.pack(len(data)))
    stream.write(data)
    stream.flush()


def _read_message(stream: IO[bytes]) -> bytes | None:
    """The next message, or None at the end of the stream (where a message cut short also ends it)."""
    header = stream.read(_FRAME.size)
    if len(header) < _FRAME.size:
        return None
    (size,) = _FRAME.unpack(header)
    data = stream.read(size)
    return data if len(data) == size else None


def serve_charts() -> None:
    """The chart worker's main: a `Solved` in on stdin, one message per chart out on stdout."""
    gc.disable()  # five figures, then the process ends: collecting would only cost time
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, not into a message
    # Imports first: the run comes when the parent has solved it, and until then this is free time.
    import pandas  # noqa: F401, PLC0415 - the run's tables unpickle into it

    from planner.charts import CHARTS  # noqa: PLC0415 - matplotlib loads only here
    from planner.pdf_report import render_chart  # noqa: PLC0415

    message = _read_message(sys.stdin.buffer)
    if message is None:
        os._exit(1)
    solved = pickle.loads(message)  # noqa: S301 - from our own parent, over its private pipe
    for name, chart in CHARTS.items():
        if name in solved.skip:
            continue
        try:
            png, figure = render_chart(chart, solved)
            answer = pickle.dumps((name, png, figure), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - the parent draws this chart itself, and meets the error there
            answer = pickle.dumps((name, None, None))
        try:
            _write_message(answers, answer)
        except OSError:  # the parent is gone
            os._exit(1)
    os._exit(0)  # nothing to flush or close: skip the interpreter's teardown (a quarter second)
