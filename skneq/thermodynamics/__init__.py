"""Stochastic thermodynamics of Bernoulli RBMs and detailed balance.

Salazar (2017), "Nonequilibrium thermodynamics of restricted Boltzmann
machines", arXiv:1704.08724 (Phys. Rev. E 96, 022131); section numbers
follow the reproduction by Viviescas (2018) that the project works from.

* **Heat exchange fluctuation theorem** (Sec. 3.2, XFT): a system in
  equilibrium at inverse temperature ``beta_1`` makes Gibbs steps at
  ``beta_2``; the heat ``Q = E(s') - E(s)`` obeys
  ``ln P_K(Q) / P_{K*}(-Q) = (beta_1 - beta_2) Q`` with ``K*`` the adjoint
  (time reversal) of the kernel ``K`` (``heat_exchange``,
  ``exact_heat_distribution``, ``xft_log_ratio``, ``fit_xft_slope``). A
  reversible kernel is its own adjoint and one ensemble gives both sides.
* **Detailed balance, done right** (Sec. 2). The paper claims that the
  alternating sweep (h from v, then v from h) is reversible on joint states
  ``s = (v, h)``. It is not: ``p(s) P(s -> s') != p(s') P(s' -> s)`` by up to
  ~1e-2 on a 3 x 2 RBM, and the XFT then needs the adjoint sweep (v from h,
  then h from v) for the backward process (``kernel="alternating",
  adjoint=True``). The palindromic sweep h, v, h (``kernel="symmetric"``),
  the random scan, either single block update, and the marginal chain on v
  (or h) alone are reversible (``detailed_balance_violation``).
* **Second law and entropy** (Sec. 3.1): ``beta <W> - beta Delta F >= 0``
  (``second_law``) and the Shannon entropy ``S = log Z + beta <E>``
  (``shannon_entropy``).
* **Jarzynski / Crooks / Bennett along annealing** (Sec. 5): the works of
  annealed importance sampling (AIS) and reverse AIS (``annealing_works``),
  Crooks' relation between the two work distributions
  (``crooks_free_energy``) and the Bennett acceptance ratio.
* **Contrastive divergence as a thermodynamic process** (Sec. 4.2):
  ``CD_n = KL(p_D || p) - KL(p_n || p)`` split into an energy and an entropy
  term (``contrastive_divergence_terms``) and ``CD_inf = beta <W> - beta
  Delta F`` (``contrastive_divergence_limit``).

Functions read models through the analysis protocol (``rbm_parameters``): an
estimator implementing ``_parameters()`` (skneq's ``RBM``), a fitted
:class:`sklearn.neural_network.BernoulliRBM`, or explicit parameters
``(W, b, c)`` with ``W`` of shape (n_hidden, n_visible); anything else gets a
``TypeError``. Energies use ``E(v, h) = -h W v - b.v - c.h`` and
``p_beta(s) = exp(-beta E(s)) / Z(beta)``. Exact answers enumerate states
(``skneq.rbm._exact``); sampled ones run on the parameters' array namespace
and device (or ``backend``).
"""

from ._balance import detailed_balance_violation, detailed_balance_violation_matrix, nmm_transition_matrix
from ._cd import CDLimit, CDTerms, contrastive_divergence_limit, contrastive_divergence_terms
from ._entropy import EntropyTerms, SecondLaw, second_law, shannon_entropy
from ._heat import XFTFit, exact_heat_distribution, fit_xft_slope, heat_exchange, xft_log_ratio
from ._params import rbm_parameters
from ._work import AnnealingWorks, CrooksFit, annealing_works, crooks_free_energy, exact_model_samples

__all__ = [
    "rbm_parameters",
    "detailed_balance_violation_matrix",
    "detailed_balance_violation",
    "nmm_transition_matrix",
    "heat_exchange",
    "exact_heat_distribution",
    "xft_log_ratio",
    "XFTFit",
    "fit_xft_slope",
    "exact_model_samples",
    "AnnealingWorks",
    "annealing_works",
    "CrooksFit",
    "crooks_free_energy",
    "CDTerms",
    "contrastive_divergence_terms",
    "CDLimit",
    "contrastive_divergence_limit",
    "EntropyTerms",
    "shannon_entropy",
    "SecondLaw",
    "second_law",
]
