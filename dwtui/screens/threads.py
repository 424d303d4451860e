"""Blocking engine calls awaited from the UI without tying the process to them."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


async def in_daemon_thread(function: Callable[[], T]) -> T:
    """Run a blocking call in a daemon thread and await it.

    Not `asyncio.to_thread`: its pool threads are joined at interpreter exit, so quitting
    would wait for a running step, which must instead keep running detached.
    """
    return await start_in_daemon_thread(function)


def start_in_daemon_thread(function: Callable[[], T]) -> asyncio.Future[T]:
    """Start a blocking call in a daemon thread now; its result (or error) is the future's.
    Call it on the event loop's thread."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def target() -> None:
        try:
            result = function()
        except BaseException as error:  # handed to the awaiting task, which reports it
            _hand_over(loop, _settle_error, future, error)
        else:
            _hand_over(loop, _settle, future, result)

    threading.Thread(target=target, name="dwtui-step", daemon=True).start()
    return future


def _hand_over(loop: asyncio.AbstractEventLoop, settle: Callable[..., None], *args: Any) -> None:
    # RuntimeError: the app has quit (its loop is closed) while the step went on; nobody
    # waits for the result any more and the engine has recorded it in the session already.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(settle, *args)


def _settle(future: asyncio.Future[T], value: T) -> None:
    if not future.done():
        future.set_result(value)


def _settle_error(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
