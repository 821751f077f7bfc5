"""The nonequilibrium Markov machine of Baiesi & Rosso (2025, arXiv:2512.11415).

:class:`NonequilibriumMarkovMachine` (``_estimator``) over the kernels of
``_kernels`` (transition log-probabilities, chain sampler, eqs. 16-17
gradient) and the post-fit estimates of ``_estimates``; ``_study`` holds the
multi-run study helpers (independent runs, cycle decomposition, classes).
"""

from ._estimator import NonequilibriumMarkovMachine
from ._study import CycleDecomposition, cycle_decomposition, dominant_cycle, fit_independent_runs, latent_class_assignment

__all__ = ["NonequilibriumMarkovMachine", "fit_independent_runs", "dominant_cycle", "cycle_decomposition",
           "CycleDecomposition", "latent_class_assignment"]
