"""Where sweep runs are solved: in this process, a local process pool, or a Dask cluster.

Tasks are taken lazily, a few ahead of the workers, so plans are prepared while others solve;
a pool or a cluster gets them in chunks (one round trip per chunk, not per run). Outcomes come
back sorted by run index, so neither the executor nor the chunks change `sweep.csv`.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from planner.errors import SolverError
from planner.files import process_alive
from planner.model.solve import WarmStart
from planner.scenarios.sweep_worker import Outcome, Task, solve_task, solve_tasks

MAX_CHUNK = 16
"""Runs per chunk at most: a chunk of Ohio-sized runs is well under a second of a worker's time."""
CHUNKS_PER_WORKER = 4
"""Chunks each worker gets at least (when there are runs enough), so the last ones finish together."""

Progress = Callable[[int, int], None]
"""Called with (runs done, runs in all) as runs finish."""
Finished = Callable[[Outcome], None]


def execute(tasks: Iterator[Task], total: int, workers: int = 2, scheduler: str | None = None,
            progress: Progress | None = None, *, client: Any = None) -> list[Outcome]:
    """Solve every task: in this process (workers=1), a local process pool, or a Dask cluster (at the
    `scheduler` address, or through a `dask.distributed.Client` the caller made and keeps).

    Tasks are taken lazily, a few chunks ahead of the workers, so plans are prepared while others solve.
    """
    done: list[Outcome] = []

    def finished(outcome: Outcome) -> None:
        done.append(outcome)
        if progress is not None:
            progress(len(done), total)

    if client is not None:
        _execute_on_client(tasks, total, client, finished)
    elif scheduler is not None:
        _execute_dask(tasks, total, scheduler, finished)
    elif workers <= 1:
        warm = WarmStart()  # used only with Options.warm_start
        for task in tasks:
            finished(solve_task(task, warm))
    else:
        _execute_pool(_chunks(tasks, total, workers), workers, finished)
    return sorted(done, key=lambda outcome: outcome.index)


def chunk_size(total: int, workers: int) -> int:
    """Runs per chunk: at least CHUNKS_PER_WORKER chunks a worker, at most MAX_CHUNK runs a chunk."""
    return max(1, min(MAX_CHUNK, total // (CHUNKS_PER_WORKER * max(1, workers))))


def _chunks(tasks: Iterator[Task], total: int, workers: int) -> Iterator[list[Task]]:
    size = chunk_size(total, workers)
    while chunk := list(itertools.islice(tasks, size)):
        yield chunk


def _pool_context() -> Any:
    """forkserver where there is one (no fork of a threaded parent), spawn elsewhere."""
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["__main__", "planner.scenarios.sweep_worker"])
        return context
    return multiprocessing.get_context("spawn")


PARENT_CHECK_S = 0.25
"""How often a pool worker checks that the process that started the sweep is still there."""


def die_with_parent(sweep_pid: int) -> None:
    """A pool worker's initializer: the worker ends as soon as the sweep's process does, so a sweep
    that is killed (even by SIGKILL) leaves no worker behind. A thread watches the sweep's process
    (the worker's own parent may be multiprocessing's fork server, which lives as long as any worker
    does, and ends with the last one)."""
    if not is_running(sweep_pid):
        os.kill(os.getpid(), signal.SIGKILL)
    threading.Thread(target=_watch, args=(sweep_pid,), name="planner-sweep-watch", daemon=True).start()


def _watch(sweep_pid: int) -> None:
    while is_running(sweep_pid):
        time.sleep(PARENT_CHECK_S)
    os.kill(os.getpid(), signal.SIGKILL)  # no clean-up to do: the sweep's process collects the results


def is_running(pid: int) -> bool:
    """Whether process `pid` runs: it exists and (where /proc says) is no zombie waiting to be reaped."""
    if not process_alive(pid):
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def _execute_pool(chunks: Iterator[list[Task]], workers: int, finished: Finished) -> None:
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context(),
                                                initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        pending: set[concurrent.futures.Future[list[Outcome]]] = set()
        for chunk in chunks:
            pending.add(pool.submit(solve_tasks, chunk))
            if len(pending) >= 2 * workers:
                ready, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in ready:
                    _finish_all(future.result(), finished)
        for future in concurrent.futures.as_completed(pending):
            _finish_all(future.result(), finished)


def _finish_all(outcomes: list[Outcome], finished: Finished) -> None:
    for outcome in outcomes:
        finished(outcome)


def _execute_dask(tasks: Iterator[Task], total: int, scheduler: str, finished: Finished) -> None:
    try:
        from dask.distributed import Client  # noqa: PLC0415
    except ImportError:
        raise SolverError("--scheduler needs Dask: pip install 'ai-capacity-planner[dask]'") from None
    try:
        client = Client(scheduler, timeout=30, set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as error:
        raise SolverError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
    with client:
        _execute_on_client(tasks, total, client, finished)


def _execute_on_client(tasks: Iterator[Task], total: int, client: Any, finished: Finished) -> None:
    """Solve on a Dask cluster through `client` (left open: whoever made it closes it)."""
    from dask.distributed import as_completed  # noqa: PLC0415

    threads = max(1, sum(client.nthreads().values()))
    running = as_completed(loop=client.loop)  # type: ignore[no-untyped-call]
    for chunk in _chunks(tasks, total, threads):
        running.add(client.submit(solve_tasks, chunk, pure=False))  # type: ignore[no-untyped-call]
        if running.count() >= 2 * threads:  # type: ignore[no-untyped-call]
            _finish_all(next(running).result(), finished)
    for future in running:
        _finish_all(future.result(), finished)
