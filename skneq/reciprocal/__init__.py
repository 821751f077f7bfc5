"""Reciprocal-space (SVD) analysis of RBMs.

Toledo-Marin, Maiti, Fox and Melko (2025), "Exploring the energy landscape of
RBMs: reciprocal space insights into bosons, hierarchical learning and
symmetry breaking", arXiv:2503.21536.

``_projector`` holds :class:`ReciprocalSpaceProjector` (with
``from_parameters`` and ``from_estimator``); ``_kernels`` the array kernels
(SVD, saddle points, Marchenko-Pastur, rotations, kurtosis); ``_functions``
the validated public functions; ``_tracking`` mode tracking across
checkpoints; ``_trajectories`` the curves across training checkpoints
(formerly ``skneq.landscape``); ``_rotations`` the rotation probes (Figs. 4, 6); ``_theory`` the paper's theory side
(reciprocal partition function, saddle-point equations, harmonic constraint
potential, Landau free energy).
"""

from . import _functions, _rotations, _theory, _trajectories
from ._functions import *  # noqa: F401,F403
from ._kernels import ConstraintMinimum
from ._projector import LAYOUTS, ReciprocalSpaceProjector
from ._rotations import *  # noqa: F401,F403
from ._theory import *  # noqa: F401,F403
from ._tracking import ModeTracking, track_modes
from ._trajectories import *  # noqa: F401,F403

__all__ = [
    "ReciprocalSpaceProjector",
    "LAYOUTS",
    "ConstraintMinimum",
    "ModeTracking",
    "track_modes",
    *_functions.__all__,
    *_trajectories.__all__,
    *_rotations.__all__,
    *_theory.__all__,
]
