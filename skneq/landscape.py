"""Thin re-export: the training-trajectory analyses live in :mod:`skneq.reciprocal`."""

from .reciprocal._rotations import *  # noqa: F401,F403
from .reciprocal._trajectories import *  # noqa: F401,F403
from .reciprocal import _rotations, _trajectories

__all__ = [*_trajectories.__all__, *_rotations.__all__]
