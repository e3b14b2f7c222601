"""Sources of synthetic people: census aggregates, Nemotron-Personas, any DataFrame.

>>> from personatwin_sklearn.providers import get_provider
>>> type(get_provider("census")).__name__
'CensusProvider'
"""

from __future__ import annotations

import pandas as pd

from personatwin_sklearn.exceptions import InvalidValueError
from personatwin_sklearn.providers._base import CONDITION_COLUMNS, SyntheticPersonaProvider
from personatwin_sklearn.providers._census import CensusProvider
from personatwin_sklearn.providers._pool import (
    NEMOTRON_COLUMNS,
    DataFrameProvider,
    NemotronProvider,
)

__all__ = [
    "CONDITION_COLUMNS",
    "NEMOTRON_COLUMNS",
    "CensusProvider",
    "DataFrameProvider",
    "NemotronProvider",
    "SyntheticPersonaProvider",
    "get_provider",
]

_NAMES = ("census", "nemotron")


def get_provider(spec, *, state: str = "US") -> SyntheticPersonaProvider:
    """Return a provider from a name, a provider instance or a DataFrame pool.

    ``"census"`` gives :class:`CensusProvider` (for ``state``); ``"nemotron"`` gives
    :class:`NemotronProvider` reading the file named by the environment variable
    ``PERSONATWIN_NEMOTRON_PATH`` (nothing is downloaded); a DataFrame gives
    :class:`DataFrameProvider`.

    Parameters
    ----------
    spec : {"census", "nemotron"}, SyntheticPersonaProvider or DataFrame
        What to use.
    state : str, default="US"
        Geography of the census and DataFrame providers.

    Returns
    -------
    provider : SyntheticPersonaProvider
        The provider (``spec`` itself when it is one).

    See Also
    --------
    personatwin_sklearn.SyntheticAugmenter : Takes the same specs as ``provider``.

    Examples
    --------
    >>> from personatwin_sklearn.providers import get_provider
    >>> type(get_provider("census")).__name__
    'CensusProvider'
    """
    if isinstance(spec, SyntheticPersonaProvider):
        return spec
    if isinstance(spec, pd.DataFrame):
        return DataFrameProvider(spec, state=state)
    if spec == "census":
        return CensusProvider(state=state)
    if spec == "nemotron":
        import os

        path = os.environ.get("PERSONATWIN_NEMOTRON_PATH")
        if not path:
            raise InvalidValueError(
                "provider='nemotron' needs a local copy of Nemotron-Personas-USA: pass "
                "provider=NemotronProvider('path/to/file.parquet') or set "
                "PERSONATWIN_NEMOTRON_PATH. Nothing is downloaded."
            )
        return NemotronProvider(path, state=state)
    raise InvalidValueError(
        f"Unknown provider {spec!r}: use one of {list(_NAMES)}, a SyntheticPersonaProvider "
        "instance (CensusProvider(), NemotronProvider(path), DataFrameProvider(df)) or a "
        "DataFrame of personas."
    )
