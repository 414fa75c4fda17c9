"""The worker pool on its own, with a dummy worker and no SPARQL: readiness, deadlines that
kill, kill-and-respawn, hand-over to a waiting call, the blocking wrapper."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
import time

import pytest

from smpkg.pool import (
    STOP,
    DeadlinePassed,
    PoolBusy,
    PoolClosed,
    Ready,
    Unsendable,
    WorkerLost,
    WorkerPool,
)


def dummy_worker(conn, note: str) -> None:
    """Answers ("pid",) with its pid, ("sleep", s) after s seconds, ("stamp",) with the
    monotonic time it read the request at, ("die",) by exiting."""
    conn.send(Ready(os.getpid(), note))
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is STOP:
            return
        if request[0] == "sleep":
            time.sleep(request[1])
            conn.send(("slept", os.getpid()))
        elif request[0] == "die":
            os._exit(3)
        elif request[0] == "raise":
            conn.send(ValueError(request[1]))
        elif request[0] == "stamp":
            conn.send(time.monotonic())
        else:
            conn.send(os.getpid())


def failing_worker(conn, message: str) -> None:
    conn.send(RuntimeError(message))


@pytest.fixture
def pool():
    p = WorkerPool(
        dummy_worker,
        ("dummy",),
        size=1,
        context=multiprocessing.get_context("spawn"),
        startup_timeout=60,
    ).start()
    yield p
    p.close()


def soon(seconds: float) -> float:
    return time.monotonic() + seconds


def wait_ready(pool: WorkerPool, count: int = 1) -> None:
    until = soon(60)
    while pool.ready_workers < count and time.monotonic() < until:
        time.sleep(0.05)
    assert pool.ready_workers == count


def test_ready_note_and_reply(pool):
    assert pool.started and pool.note == "dummy"
    assert pool.call_blocking(("pid",), soon(10)) == pool.pids[0]


def test_a_worker_that_fails_to_start_raises_its_own_error():
    p = WorkerPool(
        failing_worker, ("no data",), size=1, context=multiprocessing.get_context("spawn")
    )
    with pytest.raises(RuntimeError, match="no data"):
        p.start()
    assert not p.started
    p.close()


def test_an_exception_reply_is_returned_not_raised(pool):
    reply = pool.call_blocking(("raise", "bad input"), soon(10))
    assert isinstance(reply, ValueError) and str(reply) == "bad input"


def test_deadline_kills_and_replaces_the_worker(pool):
    first = pool.pids[0]
    started = time.monotonic()
    with pytest.raises(DeadlinePassed) as caught:
        pool.call_blocking(("sleep", 30), soon(0.3))
    assert time.monotonic() - started < 5
    assert caught.value.ran >= 0.25
    assert pool.timeouts == 1 and pool.restarts == 1
    # The next call waits for the replacement, a new process.
    second = pool.call_blocking(("pid",), soon(60))
    assert second != first
    with pytest.raises(ProcessLookupError):
        os.kill(first, 0)


def test_a_killed_idle_worker_is_respawned(pool):
    first = pool.pids[0]
    os.kill(first, signal.SIGKILL)
    time.sleep(0.2)
    assert pool.call_blocking(("pid",), soon(60)) != first
    assert pool.restarts == 1
    wait_ready(pool)


def test_a_worker_dying_mid_call_is_lost_and_replaced(pool):
    with pytest.raises(WorkerLost):
        pool.call_blocking(("die",), soon(10))
    assert pool.restarts == 1
    assert isinstance(pool.call_blocking(("pid",), soon(60)), int)


def test_hand_over_to_the_waiting_call(pool):
    async def both():
        slow = asyncio.ensure_future(pool.call(("sleep", 0.4), soon(10)))
        await asyncio.sleep(0.05)
        waiting = asyncio.ensure_future(pool.call(("pid",), soon(10)))
        await asyncio.sleep(0.05)
        assert not waiting.done()  # no free worker yet
        return await slow, await waiting

    (slept, first_pid), second_pid = pool.run(both())
    assert slept == "slept" and first_pid == second_pid  # the same worker, handed over
    assert pool.restarts == 0


def test_a_released_worker_starts_the_waiting_call_at_once(pool):
    """The request of a call waiting on the releasing loop is sent with the release, not when
    that call's turn on the loop comes: the loop is held up right after the release here, and
    the worker has read the request long before the hold ends."""

    async def both():
        waiting: list[asyncio.Future] = []

        def queue_behind() -> None:
            waiting.append(asyncio.ensure_future(pool.call(("stamp",), soon(10))))

        asyncio.get_running_loop().call_later(0.05, queue_behind)
        # Awaited in this coroutine, not a task: it returns here with no turn of the loop.
        assert (await pool.call(("sleep", 0.3), soon(10)))[0] == "slept"
        released = time.monotonic()
        time.sleep(0.5)
        return released, await waiting[0]

    released, read = pool.run(both())
    assert read - released < 0.3


def test_a_worker_handed_from_call_to_call_keeps_its_watch(pool):
    """Calls queued on one loop take the worker one after another with its pipe watched
    throughout: one watch for the whole queue, not one per call. Once idle, no loop watches
    it (another thread may take it next)."""
    watches = []

    async def queue_of_calls():
        loop = asyncio.get_running_loop()
        add_reader = loop.add_reader

        def counted(fd, callback, *args):
            watches.append(fd)
            return add_reader(fd, callback, *args)

        loop.add_reader = counted  # type: ignore[method-assign]
        try:
            replies = await asyncio.gather(*(pool.call(("pid",), soon(10)) for _ in range(20)))
        finally:
            del loop.add_reader
        # False: the descriptor was no longer watched.
        return replies, loop.remove_reader(watches[0])

    replies, still_watched = pool.run(queue_of_calls())
    assert len(set(replies)) == 1 and len(replies) == 20
    assert len(watches) == 1
    assert still_watched is False
    assert pool.idle_workers == 1


def test_hand_over_across_threads(pool):
    """A worker released by a blocking call on a thread goes to a call waiting on another
    thread's event loop."""
    results = {}

    def blocking():
        results["slow"] = pool.call_blocking(("sleep", 0.4), soon(10))

    thread = threading.Thread(target=blocking)
    thread.start()
    time.sleep(0.1)
    started = time.monotonic()
    results["waiting"] = asyncio.run(pool.call(("pid",), soon(10)))
    thread.join()
    assert results["slow"][0] == "slept"
    assert results["waiting"] == results["slow"][1]
    assert time.monotonic() - started >= 0.2


def test_busy_when_no_worker_frees_up(pool):
    async def both():
        slow = asyncio.ensure_future(pool.call(("sleep", 0.6), soon(10)))
        await asyncio.sleep(0.05)
        with pytest.raises(PoolBusy):
            await pool.call(("pid",), soon(0.2))
        return await slow

    assert pool.run(both())[0] == "slept"
    assert pool.restarts == 0  # the busy call killed nothing


def test_a_cancelled_call_gives_its_worker_back(pool):
    async def cancel_then_call():
        slow = asyncio.ensure_future(pool.call(("sleep", 0.3), soon(10)))
        await asyncio.sleep(0.05)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        return await pool.call(("pid",), soon(10))

    assert pool.run(cancel_then_call()) == pool.pids[0]
    assert pool.restarts == 0


def test_unsendable_request_holds_no_worker(pool):
    with pytest.raises(Unsendable):
        pool.call_blocking(("pid", lambda: None), soon(10))
    assert pool.call_blocking(("pid",), soon(1)) == pool.pids[0]


def test_closed_pool_refuses_and_leaves_no_process(pool):
    pid = pool.pids[0]
    pool.close()
    with pytest.raises(PoolClosed):
        pool.call_blocking(("pid",), soon(1))
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_the_blocking_entry_works_inside_a_running_event_loop(pool):
    """uvicorn calls the app factory inside its loop (`smpkg serve --workers N`): a blocking
    call made there must not try to run a second loop on the same thread."""

    async def inside() -> int:
        return pool.call_blocking(("pid",), soon(30))

    assert asyncio.run(inside()) in pool.pids
