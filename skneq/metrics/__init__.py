"""Metrics for Markov dynamics (Baiesi & Rosso 2025) and generated-sample quality (Fournier & Urbani).

Markov chains use row-stochastic transition matrices, ``M[i, j] = P(i -> j)``.
All functions accept arrays from any supported namespace and return Python
floats (scalars) or arrays in the namespace of their input.
"""

from ._markov import (
    class_distribution_kl,
    decorrelation_time,
    entropy_production_rate,
    mean_self_transition,
    probability_currents,
    state_distribution,
    stationary_distribution,
    transition_counts,
    transition_matrix,
)
from ._samples import (
    AdversarialAccuracy,
    aai_error,
    adversarial_accuracy,
    reconstruction_error,
    second_moment_error,
    spectrum_error,
)
from ._scorers import (
    aai_error_scorer,
    make_generative_scorer,
    second_moment_error_scorer,
    spectrum_error_scorer,
)

__all__ = [
    # Markov dynamics (Baiesi & Rosso 2025, eqs. 21-24)
    "transition_counts",
    "transition_matrix",
    "state_distribution",
    "stationary_distribution",
    "probability_currents",
    "entropy_production_rate",
    "decorrelation_time",
    "mean_self_transition",
    "class_distribution_kl",
    # Sample quality (Fournier & Urbani, appendix B)
    "second_moment_error",
    "spectrum_error",
    "reconstruction_error",
    "adversarial_accuracy",
    "AdversarialAccuracy",
    "aai_error",
    # Scorers
    "make_generative_scorer",
    "aai_error_scorer",
    "second_moment_error_scorer",
    "spectrum_error_scorer",
]
