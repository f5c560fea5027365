"""The rules' per-KG memo (``kg_memo``): an LRU that threads diagnosing at once can share."""

from __future__ import annotations

import random
import sys
import threading

from kg.rules.engine import kg_cache, kg_memo


class _KG:
    """Stands for an opened KG: the memo keys its caches on the object."""


def test_the_memo_keeps_the_most_recently_used_keys() -> None:
    kg = _KG()
    made: list[int] = []

    def make(k: int) -> int:
        made.append(k)
        return k * 10

    assert [kg_memo(kg, "ns", k, lambda k=k: make(k), 2) for k in (1, 2, 1, 3, 1, 2)] == [
        10,
        20,
        10,
        30,
        10,
        20,
    ]
    assert made == [1, 2, 3, 2]  # 2 was the least recently used when 3 came
    assert list(kg_cache(kg)["ns"]) == [1, 2]


def test_threads_sharing_the_memo_never_fail_on_an_evicted_key() -> None:
    kg = _KG()
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        rnd = random.Random(seed)
        try:
            for _ in range(5000):
                k = rnd.randrange(3)
                assert kg_memo(kg, "ns", k, lambda k=k: ("value", k), 1) == ("value", k)
        except BaseException as exc:  # noqa: BLE001 - reported below, by thread
            errors.append(exc)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    try:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    assert len(kg_cache(kg)["ns"]) == 1
