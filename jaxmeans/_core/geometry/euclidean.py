"""Euclidean k-means, scikit-learn's: centres are weighted means, the objective is the
sum of squared distances (``inertia``). The rules are :class:`~.base.Metric`'s own."""

from __future__ import annotations

import dataclasses

from .base import Metric


@dataclasses.dataclass(frozen=True)
class Euclidean(Metric):
    """Squared Euclidean distance; data are centred first (distances do not change)."""


EUCLIDEAN = Euclidean()
