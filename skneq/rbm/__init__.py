"""Bernoulli restricted Boltzmann machines.

:class:`RBM` (``_estimator``) is scikit-learn glue over pure array kernels:
``_kernels`` (energy, conditionals, Gibbs sweeps, free energy, exact log Z and
samples; ``MAX_EXACT_UNITS``), ``_update`` (the PCD / CD / Rdm training hot
path), ``_annealing`` (THE annealed importance sampling code: forward and
reverse works, Jarzynski and Bennett estimates, ``AnnealingWorks``) and
``_exact`` (joint-state transition matrices of small models), ``_enumeration``
(exact log Z of mid-size models by blockwise Gray-code enumeration) and
``_tempering`` (parallel-tempering sweeps and swaps); ``_path`` is the
annealing path's kernels (with its ``FactorizedMixture`` base, fitted by
``_mixture.fit_bernoulli_mixture``). ``_ladder`` is the
estimator's PT ladder along the annealing path (sampling, ``method="pt"``
training, reverse-AIS starts). ``_likelihood`` (log Z, its interval and the
log-likelihood; ``MAX_SCORE_EXACT_UNITS``), ``_sampling`` and ``_checkpoint``
(``.npz`` checkpoints, ``from_parameters``) are the estimator's mixins.
"""

from ._annealing import AnnealingWorks
from ._estimator import RBM
from ._kernels import MAX_EXACT_UNITS
from ._likelihood import MAX_SCORE_EXACT_UNITS, LikelihoodWarning
from ._mixture import fit_bernoulli_mixture
from ._path import FactorizedMixture

__all__ = ["RBM", "AnnealingWorks", "LikelihoodWarning", "MAX_EXACT_UNITS", "MAX_SCORE_EXACT_UNITS",
           "FactorizedMixture", "fit_bernoulli_mixture"]
