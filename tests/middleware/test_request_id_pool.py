"""Made request ids: drawn from per-thread pools of OS random bytes, never repeated
across threads, and never continued from a parent's pool after a fork."""

from __future__ import annotations

import re
import threading

from jero._middleware import request_id
from jero._middleware.request_id import _new_id


def test_made_ids_are_32_hex_digits_and_distinct_across_pool_refills() -> None:
    ids = [_new_id() for _ in range(3 * 256 + 7)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", made) for made in ids)
    assert len(set(ids)) == len(ids)


def test_threads_drawing_at_once_never_share_an_id() -> None:
    made: list[list[str]] = [[] for _ in range(4)]
    barrier = threading.Barrier(4)

    def draw(into: list[str]) -> None:
        barrier.wait()
        into.extend(_new_id() for _ in range(600))

    threads = [threading.Thread(target=draw, args=(into,)) for into in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [made_id for into in made for made_id in into]
    assert len(every) == 2400
    assert len(set(every)) == 2400


def test_a_forked_worker_draws_fresh_bytes_instead_of_its_parents() -> None:
    _new_id()
    drawn = request_id._pools[threading.get_ident()]
    pool = drawn.data
    assert drawn.at > 0
    request_id._forget_pools()  # what os.register_at_fork runs in the child
    made = _new_id()
    assert made not in pool.hex()
    assert request_id._pools[threading.get_ident()].data is not pool
