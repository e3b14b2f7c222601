"""A cache that lives for one ``with`` block (the search's shared tables)."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["memoised", "scoped_cache"]


@contextmanager
def scoped_cache(var: ContextVar):
    """Within the block, ``var`` holds a fresh dict; nested blocks share the outer one."""
    if var.get() is not None:
        yield
        return
    token = var.set({})
    try:
        yield
    finally:
        var.reset(token)


def memoised(var: ContextVar, key, alive, compute):
    """``compute()``, memoised under ``key`` in the block of :func:`scoped_cache` that
    ``var`` is in (the cache keeps ``alive`` alive, so an ``id`` in ``key`` is not
    reused); outside a block, computed every time.  The cached value itself is returned:
    callers must not change it."""
    cache = var.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = (alive, compute())
    return cache[key][1]
