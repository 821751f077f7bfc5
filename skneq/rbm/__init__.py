"""Bernoulli restricted Boltzmann machines.

:class:`RBM` (``_estimator``) is scikit-learn glue over pure array kernels:
``_kernels`` (energy, conditionals, Gibbs sweeps, free energy, exact log Z and
samples), ``_update`` (the PCD / CD / Rdm training hot path), ``_annealing``
(annealed importance sampling, reverse AIS, Jarzynski and Bennett estimates)
and ``_exact`` (joint-state transition matrices of small models).
"""

from ._estimator import RBM

__all__ = ["RBM"]
