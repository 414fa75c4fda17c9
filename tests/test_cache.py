"""The bounded LRU's admission rule (smpkg.cache.ResultCache with `min_uses`): a value is kept
from the `min_uses`-th use of its key, counted over the hashes of recent keys."""

from __future__ import annotations

from smpkg.cache import ResultCache


def cache(min_uses: int, max_entries: int = 8) -> ResultCache:
    return ResultCache(max_entries, 1 << 20, 1 << 20, size=len, min_uses=min_uses)


def test_without_min_uses_every_put_is_kept():
    kept = cache(1)
    kept.put("a", b"x")
    assert kept.get("a") == b"x" and kept.admits("never seen")


def test_a_value_is_kept_from_the_second_use_of_its_key():
    kept = cache(2)
    kept.put("a", b"first")
    assert kept.get("a") is None and len(kept) == 0
    kept.put("a", b"second")
    assert kept.get("a") == b"second"


def test_asking_counts_as_a_use_and_an_admitted_put_is_not_counted_again():
    kept = cache(3)
    assert not kept.admits("a") and not kept.admits("a")
    assert kept.admits("a")
    kept.put("a", b"v", admitted=True)
    assert kept.get("a") == b"v"
    other = cache(2)
    assert not other.admits("b")
    other.put("b", b"v", admitted=True)  # the caller's word: kept though seen once
    assert other.get("b") == b"v"


def test_the_memory_of_uses_is_bounded_and_forgets_the_oldest_first():
    kept = cache(2, max_entries=2)
    kept.put("old", b"v")
    for n in range(4 * kept.max_entries):
        kept.put(f"key {n}", b"v")
    assert len(kept._uses) == 4 * kept.max_entries
    kept.put("old", b"v")  # its first use is forgotten: this one counts as the first
    assert kept.get("old") is None
    kept.put("key 7", b"v")  # recent enough to be remembered
    assert kept.get("key 7") == b"v"


def test_the_memory_holds_hashes_not_keys():
    kept = cache(2)
    text = "SELECT * WHERE { ?s ?p ?o } # " + "x" * 100_000
    kept.put((text, "json"), b"v")
    assert all(isinstance(digest, int) for digest in kept._uses)


def test_clearing_forgets_the_uses_too():
    kept = cache(2)
    kept.put("a", b"v")
    kept.clear()
    kept.put("a", b"v")
    assert kept.get("a") is None
