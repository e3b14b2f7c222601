"""Synthetic persona augmentation: :class:`SyntheticAugmenter`."""

from personatwin_sklearn.augmentation._augmenter import STRATEGIES, SyntheticAugmenter

__all__ = ["STRATEGIES", "SyntheticAugmenter"]
