"""Synthetic persona augmentation.

- :class:`SyntheticAugmenter`: a transformer that appends synthetic people (with
  connections) to a ``SocialData`` or a people DataFrame, for a release.
- :class:`SyntheticPersonaSampler`: the same synthetic people for a labelled training
  set, ``fit_resample(X, y)`` only, for an ``imblearn.pipeline.Pipeline``.
"""

from personatwin_sklearn.augmentation._augmenter import STRATEGIES, SyntheticAugmenter
from personatwin_sklearn.augmentation._sampler import SyntheticPersonaSampler

__all__ = ["STRATEGIES", "SyntheticAugmenter", "SyntheticPersonaSampler"]
