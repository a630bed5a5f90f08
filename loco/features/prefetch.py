"""Run an iterator in a background thread, a few items ahead of its consumer.

Decoding (FFmpeg, in C) and inference (onnxruntime/torch, in C++) both release the GIL, so producing the next
batch of frames while the current one is embedded overlaps the two on a multi-core CPU.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

Item = TypeVar("Item")
_DONE = object()
_POLL_SECONDS = 0.1


class Prefetched(Generic[Item]):
    """Iterate ``items`` in order while a thread, started at once, computes up to ``depth`` items ahead.

    An exception raised by the producer is re-raised to the consumer at the same position. Use it as a context
    manager (or call :meth:`close`): leaving early (a cancelled job, an error downstream) stops the producer.
    """

    def __init__(self, items: Iterable[Item], depth: int = 2):
        self._buffer: queue.Queue = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._finished = False
        self._worker = threading.Thread(target=self._produce, args=(iter(items),), name="prefetch", daemon=True)
        self._worker.start()

    def _put(self, entry: tuple[object, BaseException | None]) -> bool:
        while not self._stop.is_set():
            try:
                self._buffer.put(entry, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self, items: Iterator[Item]) -> None:
        try:
            for item in items:
                if not self._put((item, None)):
                    return
        except BaseException as error:  # handed to the consumer, which re-raises it
            self._put((_DONE, error))
            return
        finally:  # release what a generator holds open (a media file) in the thread that ran it
            close = getattr(items, "close", None)
            if close is not None:
                close()
        self._put((_DONE, None))

    def __iter__(self) -> Prefetched[Item]:
        return self

    def __next__(self) -> Item:
        if self._finished or self._stop.is_set():  # exhausted, or closed early: the producer will put nothing more
            raise StopIteration
        item, error = self._buffer.get()
        if item is _DONE:
            self._finished = True
            self.close()
            if error is not None:
                raise error
            raise StopIteration
        return item

    def close(self) -> None:
        """Stop the producer and wait for its thread (it ends after the item it is computing)."""
        self._stop.set()
        self._worker.join()

    def __enter__(self) -> Prefetched[Item]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
