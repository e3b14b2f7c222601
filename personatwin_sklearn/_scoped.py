"""A cache that lives for one ``with`` block (the search's shared tables)."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["scoped_cache"]


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
