"""Reciprocal-space (SVD) analysis of RBMs (Toledo-Marin et al.).

``_projector`` holds :class:`ReciprocalSpaceProjector`; ``_kernels`` the array
kernels (SVD, saddle points, Marchenko-Pastur, rotations, kurtosis);
``_functions`` the validated public functions; ``_trajectories`` the curves
across training checkpoints (formerly ``skneq.landscape``).
"""

from ._functions import (
    apply_random_rotations,
    constraint_potential_minimum,
    jensen_shannon_divergence,
    marchenko_pastur_pdf,
    marchenko_pastur_support,
    random_plane_rotation,
    reciprocal_kurtosis,
)
from ._kernels import ConstraintMinimum
from ._projector import ReciprocalSpaceProjector
from ._trajectories import (
    HierarchicalRotation,
    RotationDivergence,
    SingularValueSpectra,
    SymmetryBreakingCurves,
    hierarchical_rotation_samples,
    rotate_visible_modes,
    rotation_divergence,
    singular_value_spectra,
    symmetry_breaking_curves,
    training_checkpoints,
)

__all__ = [
    "ReciprocalSpaceProjector",
    "ConstraintMinimum",
    "marchenko_pastur_pdf",
    "marchenko_pastur_support",
    "constraint_potential_minimum",
    "random_plane_rotation",
    "apply_random_rotations",
    "jensen_shannon_divergence",
    "reciprocal_kurtosis",
    "training_checkpoints",
    "SingularValueSpectra",
    "singular_value_spectra",
    "SymmetryBreakingCurves",
    "symmetry_breaking_curves",
    "RotationDivergence",
    "rotation_divergence",
    "rotate_visible_modes",
    "HierarchicalRotation",
    "hierarchical_rotation_samples",
]
