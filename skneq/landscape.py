"""Thin re-export: the training-trajectory analyses live in :mod:`skneq.reciprocal`."""

from .reciprocal._trajectories import *  # noqa: F401,F403
from .reciprocal._trajectories import __all__  # noqa: F401
