"""A pool of worker processes, each answering one request at a time, with deadlines that kill.

Nothing here knows what a request is. A worker is a process running `target(conn, *args)`:
it sends one `Ready` record once it can answer (or the exception that stopped it), then
answers every object it receives on `conn` with one reply, until it receives `STOP` or the
pipe closes. The pool starts `size` of them, hands a free one to each call (the
longest-waiting call first), and waits for the reply until the call's deadline; past it, it
kills the worker (SIGKILL), starts a replacement in the background and raises
`DeadlinePassed`. A worker that dies mid-call is replaced too (`WorkerLost`).

The core is async (`call`): a free worker and then its reply are awaited on the event loop,
which watches the pipe, so no thread carries a request over and back. `call_blocking` runs
the same coroutine on an event loop of the calling thread, for code that is not async.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import multiprocessing.context
import os
import pickle
import queue
import select
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, NamedTuple, TypeVar

log = logging.getLogger("smpkg.pool")
T = TypeVar("T")

# What a worker receives when the pool shuts down: it returns.
STOP = None


@dataclass(frozen=True)
class Ready:
    """A worker's first message: it is ready to answer; `note` is what the pool reports of
    it (e.g. how the worker isolated itself)."""

    pid: int
    note: str = ""


class PoolError(Exception):
    """Base of what the pool raises about itself (never a worker's own reply)."""


class PoolClosed(PoolError):
    """The pool is shut down (or was never started)."""


class PoolBusy(PoolError):
    """Every worker stayed busy until the deadline: the request was never sent."""


class DeadlinePassed(PoolError):
    """The worker did not reply by the deadline; it was killed and is being replaced."""

    def __init__(self, ran: float, waited: float):
        self.ran = ran
        self.waited = waited
        super().__init__(f"no reply within the deadline (ran {ran:.1f} s, waited {waited:.1f} s)")


class WorkerLost(PoolError):
    """The worker died (or its pipe broke) during the call; it is being replaced. `pid` is
    the worker's, `exitcode` how it ended (negative: the signal that killed it; None if it
    had not ended yet)."""

    def __init__(self, message: str, pid: int | None = None, exitcode: int | None = None):
        self.pid = pid
        self.exitcode = exitcode
        super().__init__(message)

    def __reduce__(self):
        return (type(self), (str(self), self.pid, self.exitcode))


@dataclass(frozen=True)
class Retiring:
    """A worker's reply, with word that the worker stops after it (e.g. it holds too much
    memory): the pool returns `reply` and starts a replacement."""

    reply: Any


class Unsendable(PoolError):
    """The request cannot be pickled; no worker was taken for it."""


class WorkerStartFailed(PoolError):
    """A worker did not become ready."""


class _Launched(NamedTuple):
    process: multiprocessing.process.BaseProcess
    conn: Connection


class _Worker:
    def __init__(self, process, conn: Connection, note: str):
        self.process = process
        self.conn = conn
        self.note = note
        # The event loop that watches the pipe for replies, while calls on that loop hold the
        # worker one after another (`WorkerPool._release` hands it from call to call there),
        # and the future the next reply resolves.
        self.watcher: asyncio.AbstractEventLoop | None = None
        self.readable: asyncio.Future | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def alive(self) -> bool:
        """Whether the process still runs: its sentinel, which becomes readable when it ends,
        polled with one system call: `Process.is_alive` asks through a selector it builds
        each time (2.9 µs against 0.7, measured), and every call asks."""
        try:
            ended, _, _ = select.select([self.process.sentinel], [], [], 0)
        except (OSError, ValueError):  # closed: the process was joined
            return False
        return not ended

    def watch(self, loop: asyncio.AbstractEventLoop) -> None:
        """Have `loop` resolve `readable` when the pipe has a reply (on `loop`'s thread)."""
        if self.watcher is loop:
            return
        fd = self.conn.fileno()
        loop.add_reader(fd, self._on_readable)
        # uvloop makes a watched descriptor non-blocking; the pipe's reads and writes expect
        # it blocking (a reply longer than one read would fail half-way otherwise).
        os.set_blocking(fd, True)
        self.watcher = loop

    def unwatch(self) -> None:
        """Stop watching, on the watching loop's thread: before the worker goes idle, to
        another loop or thread, or is killed."""
        if self.watcher is None:
            return
        fd = self.conn.fileno()
        self.watcher.remove_reader(fd)
        os.set_blocking(fd, True)
        self.watcher = self.readable = None

    def _on_readable(self) -> None:
        # Level-triggered: called again on each turn of the loop until the reply is read.
        readable = self.readable
        if readable is not None and not readable.done():
            readable.set_result(True)

    def kill(self) -> None:
        with contextlib.suppress(Exception):  # already gone
            self.process.kill()
        self.process.join(timeout=5)
        with contextlib.suppress(OSError):
            self.conn.close()


class _Waiter(NamedTuple):
    """A call waiting for a worker: its loop, the future that gets a `_Handed` (None past the
    deadline), and its pickled request."""

    loop: asyncio.AbstractEventLoop
    future: asyncio.Future
    payload: bytes


class _Handed(NamedTuple):
    """A worker given to a call; `sent`: its request is on the way to it already."""

    worker: _Worker
    sent: bool


class WorkerPool:
    """`size` processes running `target(conn, *args)`; thread-safe. `launch()` starts them
    without waiting, `start()` waits until each is ready, `close()` stops them."""

    def __init__(
        self,
        target: Callable[..., None],
        args: tuple = (),
        *,
        size: int = 2,
        context: multiprocessing.context.BaseContext | None = None,
        startup_timeout: float = 300.0,
        name: str = "smpkg-worker",
    ):
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.target = target
        self.args = args
        self.size = size
        self.startup_timeout = startup_timeout
        self.name = name
        self._ctx = context or multiprocessing.get_context()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        # Calls awaiting a worker on an event loop, served first when one is released.
        self._waiters: deque[_Waiter] = deque()
        self._handover = threading.Lock()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._collectors: concurrent.futures.ThreadPoolExecutor | None = None
        self._pending: list[_Launched] = []
        self._launcher: threading.Thread | None = None
        self._started = False
        self._closed = False
        self._loops = threading.local()
        self.note = "not started"
        self.restarts = 0
        self.timeouts = 0

    # ------------------------------------------------------------------ life cycle

    def launch(self) -> WorkerPool:
        """Start every worker without waiting for them (on a thread: the first process may
        wait for a fork server's imports); `start()` then waits for them."""
        with self._lock:
            if self._started or self._launcher is not None:
                return self
            self._closed = False

            def launch_all() -> None:
                for _ in range(self.size):
                    launched = self._spawn()
                    with self._lock:
                        self._pending.append(launched)

            self._launcher = threading.Thread(target=launch_all, name=self.name, daemon=True)
            self._launcher.start()
        return self

    def _join_launcher(self) -> None:
        launcher, self._launcher = self._launcher, None
        if launcher is not None:
            launcher.join()

    def start(self) -> WorkerPool:
        """Start every worker (unless `launch()` did) and wait until each is ready, or raise
        why one is not (the worker's own exception when it sent one)."""
        self._join_launcher()
        with self._lock:
            if self._started:
                return self
            self._closed = False
            pending = self._pending or [self._spawn() for _ in range(self.size)]
            self._pending = []
            # Threads that collect the reply a worker still owes a cancelled call (at most
            # one per worker).
            self._collectors = concurrent.futures.ThreadPoolExecutor(
                max_workers=self.size, thread_name_prefix=f"{self.name}-collect"
            )
            try:
                for launched in pending:
                    worker = self._await_ready(launched)
                    self._all.add(worker)
                    self._idle.put(worker)
            except BaseException:
                for launched in pending:
                    if launched.process.is_alive():
                        launched.process.kill()
                for worker in list(self._all):
                    worker.kill()
                self._all.clear()
                self._collectors.shutdown(wait=False)
                self._collectors = None
                raise
            self._started = True
            self.note = next(iter(self._all)).note
        return self

    def close(self) -> None:
        """Stop every worker (asked first, killed if it does not stop within 2 s)."""
        self._join_launcher()
        with self._lock:
            self._closed = True
            self._started = False
            workers = list(self._all)
            self._all.clear()
            pending, self._pending = self._pending, []
        for launched in pending:
            launched.process.kill()
            launched.process.join(timeout=5)
            launched.conn.close()
        while True:
            try:
                self._idle.get_nowait()
            except queue.Empty:
                break
        for worker in workers:
            with contextlib.suppress(OSError, ValueError):
                worker.conn.send(STOP)
        for worker in workers:
            worker.process.join(timeout=2)
            if worker.process.is_alive():
                worker.kill()
            else:
                worker.conn.close()
        if self._collectors is not None:
            self._collectors.shutdown(wait=False, cancel_futures=True)
        self._collectors = None

    @property
    def started(self) -> bool:
        return self._started

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def ready_workers(self) -> int:
        return sum(1 for w in list(self._all) if w.process.is_alive())

    @property
    def idle_workers(self) -> int:
        """Workers waiting for a query now (0 while every worker is busy)."""
        return self._idle.qsize()

    @property
    def pids(self) -> list[int]:
        return [w.pid for w in list(self._all) if w.pid is not None]

    def _spawn(self) -> _Launched:
        parent_conn, child_conn = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(  # type: ignore[attr-defined]
            target=self.target, args=(child_conn, *self.args), name=self.name, daemon=True
        )
        process.start()
        child_conn.close()
        return _Launched(process, parent_conn)

    def _await_ready(self, launched: _Launched) -> _Worker:
        process, conn = launched
        if not conn.poll(self.startup_timeout):
            process.kill()
            raise WorkerStartFailed(f"a worker did not start within {self.startup_timeout:.0f} s")
        try:
            reply = conn.recv()
        except (EOFError, OSError):
            process.join(timeout=5)
            raise WorkerStartFailed(
                f"a worker died while starting (exit code {process.exitcode})"
            ) from None
        if isinstance(reply, Ready):
            return _Worker(process, conn, reply.note)
        process.join(timeout=5)
        if isinstance(reply, BaseException):
            raise reply
        raise WorkerStartFailed(f"a worker sent {type(reply).__name__} instead of Ready")

    def _lost(self, worker: _Worker, message: str) -> WorkerLost:
        """The error for a worker that died during a call, which is replaced."""
        pid = worker.pid
        worker.process.join(timeout=1)  # its exit code, when it has ended
        exitcode = worker.process.exitcode
        self._replace(worker)
        return WorkerLost(message, pid, exitcode)

    def _replace(self, worker: _Worker) -> None:
        """Kill a worker and start its replacement in the background (on the loop that
        watches it, if one does: the call that holds it)."""
        worker.unwatch()
        with self._lock:
            self._all.discard(worker)
        worker.kill()
        self.restarts += 1
        if self._closed:
            return
        threading.Thread(target=self._respawn, name=f"{self.name}-respawn", daemon=True).start()

    def _respawn(self) -> None:
        for attempt in range(3):
            if self._closed:
                return
            try:
                worker = self._await_ready(self._spawn())
            except Exception as exc:  # noqa: BLE001 - logged, retried
                log.error("could not start a worker (attempt %d): %s", attempt + 1, exc)
                time.sleep(1 + attempt)
                continue
            with self._lock:
                if self._closed:
                    worker.kill()
                    return
                self._all.add(worker)
            self._release(worker)
            return

    # ------------------------------------------------------------------ calls

    async def call(self, request: Any, deadline: float) -> Any:
        """The reply of a free worker to `request`, by the monotonic `deadline`. Raises
        PoolClosed, Unsendable, PoolBusy (no worker freed up in time), DeadlinePassed or
        WorkerLost; a reply is returned as it is, exceptions included."""
        arrived = time.monotonic()
        if self._closed or self._collectors is None:
            raise PoolClosed("the worker pool is not running")
        try:
            # Plain pickle: a request is a record of plain values, no descriptor or connection
            # needs multiprocessing's reducers, and its pickler copies copyreg's table per call.
            payload = pickle.dumps(request, pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # pickle raises many kinds
            raise Unsendable(str(exc)) from exc
        worker, sent = await self._acquire(deadline, payload)
        dispatched = time.monotonic()
        loop = asyncio.get_running_loop()
        # Kept from the call before when the worker was handed over on this loop: no watch
        # and unwatch of the pipe per call (with their epoll and fcntl calls).
        worker.watch(loop)
        readable = worker.readable = loop.create_future()
        if not sent:
            try:
                worker.conn.send_bytes(payload)
            except OSError as exc:
                raise self._lost(worker, str(exc)) from exc
        try:
            ready = await _within(loop, readable, deadline) is not None
        except asyncio.CancelledError:
            # The caller went away: the worker still owes a reply.
            self._give_back(_Handed(worker, True), deadline)
            raise
        if not ready:
            self._replace(worker)
            self.timeouts += 1
            raise DeadlinePassed(time.monotonic() - dispatched, dispatched - arrived)
        try:
            # The whole reply is read here, though only its start has arrived: the worker
            # writes the rest at once.
            reply = worker.conn.recv()
        except (EOFError, OSError) as exc:
            raise self._lost(worker, "the worker stopped unexpectedly") from exc
        worker.readable = None
        if isinstance(reply, Retiring):
            self._replace(worker)
            return reply.reply
        self._release(worker)
        return reply

    def call_blocking(self, request: Any, deadline: float) -> Any:
        """`call`, for code that is not async: run on an event loop kept for this thread."""
        return self.run(self.call(request, deadline))

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` to its end on this thread's own event loop (made once); from a
        thread whose loop is already running (an app factory called by uvicorn inside its
        loop), on a thread of its own, which the caller waits for."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            loop = getattr(self._loops, "loop", None)
            if loop is None or loop.is_closed():
                loop = self._loops.loop = asyncio.new_event_loop()
            return loop.run_until_complete(coroutine)
        with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=self.name) as aside:
            return aside.submit(self.run, coroutine).result()

    async def _acquire(self, deadline: float, payload: bytes) -> _Handed:
        """An idle worker, or the next one released, waiting on the event loop (never on a
        thread) until the deadline. A worker released on this loop comes with `payload`
        sent to it already (`_release`)."""
        loop = asyncio.get_running_loop()
        while True:
            with self._handover:
                try:
                    worker: _Worker | None = self._idle.get_nowait()
                except queue.Empty:
                    worker = None
                    waiter = loop.create_future()
                    self._waiters.append(_Waiter(loop, waiter, payload))
            if worker is None:
                try:
                    handed: _Handed | None = await _within(loop, waiter, deadline)
                except asyncio.CancelledError:
                    # Handed a worker just as the call was cancelled: give it back.
                    if waiter.done() and not waiter.cancelled() and waiter.result() is not None:
                        self._give_back(waiter.result(), deadline)
                    raise
                if handed is None:
                    raise PoolBusy("no worker became free before the deadline")
                if handed.sent:
                    return handed
                worker = handed.worker
            if worker.alive():
                return _Handed(worker, False)
            self._replace(worker)

    def _release(self, worker: _Worker) -> None:
        """A worker is free again: to the longest-waiting call, or idle for the next one. A
        call waiting on the releasing thread's own loop has its request sent here and now:
        the worker starts it at once, not when the waiting call's turn on a busy loop comes."""
        try:
            here: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        while True:
            with self._handover:
                waiter = self._next_waiter()
                if waiter is None:
                    worker.unwatch()  # before any other thread can take it
                    self._idle.put(worker)
                    return
            if waiter.loop is here:
                try:
                    worker.conn.send_bytes(waiter.payload)
                except OSError:  # it died since its reply: the call waits for the next one
                    with self._handover:
                        self._waiters.appendleft(waiter)
                    self._replace(worker)
                    return
                waiter.future.set_result(_Handed(worker, True))
                return
            worker.unwatch()
            try:
                waiter.loop.call_soon_threadsafe(self._hand_over, waiter.future, worker)
            except RuntimeError:  # that loop is closed
                continue
            return

    def _next_waiter(self) -> _Waiter | None:
        """The longest-waiting call still waiting (under the hand-over lock)."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.future.done():  # not timed out or cancelled meanwhile
                return waiter
        return None

    def _hand_over(self, waiter: asyncio.Future, worker: _Worker) -> None:
        if waiter.done():  # it gave up between the release and now
            self._release(worker)
        else:
            waiter.set_result(_Handed(worker, False))

    def _give_back(self, handed: _Handed, deadline: float) -> None:
        """A worker its call no longer wants: free again at once, or, when it has the call's
        request, once a thread has collected the reply it owes."""
        if not handed.sent:
            self._release(handed.worker)
            return
        assert self._collectors is not None  # a call is running: the pool is open
        handed.worker.unwatch()
        self._collectors.submit(self._collect, handed.worker, deadline)

    def _collect(self, worker: _Worker, deadline: float) -> None:
        try:
            ready = worker.conn.poll(max(deadline - time.monotonic(), 0))
            if ready and not isinstance(worker.conn.recv(), Retiring):
                self._release(worker)
                return
        except (EOFError, OSError):
            pass
        self._replace(worker)


async def _within(loop: asyncio.AbstractEventLoop, future: asyncio.Future, deadline: float):
    """The result of `future`, or None once the monotonic `deadline` has passed (the future
    then holds None too). Every call waits like this once or twice: a timer on the loop is
    lighter than `asyncio.wait_for`, which wraps the wait in a second future and callback."""

    def expire() -> None:
        if not future.done():
            future.set_result(None)

    timer = loop.call_later(max(deadline - time.monotonic(), 0), expire)
    try:
        return await future
    finally:
        timer.cancel()
