import threading

import pytest

from loco.features.prefetch import Prefetched


def test_yields_every_item_in_order():
    with Prefetched(range(100), depth=3) as items:
        assert list(items) == list(range(100))


def test_producer_error_reaches_the_consumer_after_the_items_before_it():
    def items():
        yield 1
        yield 2
        raise ValueError("damaged at item 3")

    received = []
    with pytest.raises(ValueError, match="damaged at item 3"), Prefetched(items()) as prefetched:
        for item in prefetched:
            received.append(item)
    assert received == [1, 2]


def test_leaving_early_stops_the_producer_and_closes_its_generator():
    produced = []
    closed = threading.Event()

    def items():
        try:
            for i in range(10_000):
                produced.append(i)
                yield i
        finally:
            closed.set()

    prefetched = Prefetched(items(), depth=2)
    assert next(prefetched) == 0
    prefetched.close()
    assert closed.is_set()
    assert not prefetched._worker.is_alive()
    assert len(produced) < 10  # at most the buffer's depth ahead, never the whole input
    assert list(prefetched) == []  # a closed prefetcher ends instead of waiting for a producer that has stopped


def test_starts_producing_before_the_first_item_is_asked_for():
    started = threading.Event()

    def items():
        started.set()
        yield "first"

    with Prefetched(items()) as prefetched:
        assert started.wait(timeout=30)
        assert list(prefetched) == ["first"]
