"""Chaotic recurrent-network generators of Fournier & Urbani (2024, arXiv:2405.10822).

:class:`ChaoticRNNGenerator` (``_estimator``, ``_generation``) over the
kernels of ``_kernels`` (Euler integrator, clamped and free runs, Hebbian
step, Lyapunov exponent), and the analyses of Sec. III (``_analysis``):
receptive-field structure (Fig. 4) and the data-vs-data floors of the
indices of appendix B.
"""

from ._analysis import ReceptiveFieldStructure, data_index_floors, receptive_field_structure, spatial_autocorrelation
from ._estimator import ChaoticRNNGenerator

__all__ = [
    "ChaoticRNNGenerator",
    "ReceptiveFieldStructure",
    "data_index_floors",
    "receptive_field_structure",
    "spatial_autocorrelation",
]
