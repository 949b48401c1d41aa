"""The metrics a fit can use, by the name ``metric=`` takes: one module each."""

from __future__ import annotations

from .base import Metric as Metric
from .cosine import COSINE as COSINE
from .euclidean import EUCLIDEAN as EUCLIDEAN

METRICS: dict[str, Metric] = {metric.name: metric for metric in (EUCLIDEAN, COSINE)}
