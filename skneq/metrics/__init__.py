"""Metrics for Markov dynamics (Baiesi & Rosso 2025, arXiv:2512.11415, eqs. 21-24)
and generated-sample quality (Fournier & Urbani 2024, arXiv:2405.10822, appendix B).

Markov chains use row-stochastic transition matrices, ``M[i, j] = P(i -> j)``.
All functions accept arrays from any supported namespace and return Python
floats (scalars) or arrays in the namespace of their input. The scorers make
the sample-quality indices usable in ``GridSearchCV`` and
``cross_val_score``.
"""

from . import _markov, _samples, _scorers
from ._markov import *  # noqa: F401,F403
from ._samples import *  # noqa: F401,F403
from ._scorers import *  # noqa: F401,F403

__all__ = [*_markov.__all__, *_samples.__all__, *_scorers.__all__]
