"""Quiet imports of optional third-party libraries (the lowest layer: imports nothing of ours).

An older matplotlib with a newer pyparsing warns, and logs, pyparsing deprecations while it
reads its style files; python-igraph imports matplotlib for its drawing module.  Those
messages are not the user's concern, and in the CLI, which turns every warning into one
``personatwin: warning:`` line, they would bury the package's own messages.
"""

from __future__ import annotations

import contextlib
import logging
import warnings

__all__ = ["quiet_import"]


@contextlib.contextmanager
def quiet_import():
    """Silence third-party deprecation warnings and matplotlib's log while importing."""
    logger = logging.getLogger("matplotlib")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.filterwarnings("ignore", message=".*deprecated - use", category=UserWarning)
            yield
    finally:
        logger.setLevel(level)
