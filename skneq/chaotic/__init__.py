"""Chaotic recurrent-network generators of Fournier & Urbani.

:class:`ChaoticRNNGenerator` (``_estimator``) over the kernels of ``_kernels``
(Euler integrator, clamped and free runs, Hebbian step, Lyapunov exponent).
"""

from ._estimator import ChaoticRNNGenerator

__all__ = ["ChaoticRNNGenerator"]
