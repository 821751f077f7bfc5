"""Stochastic thermodynamics of Bernoulli RBMs (seed 004) and detailed balance.

Tools to check, on a trained model, the fluctuation theorems of seed 004
(Salazar 2017, reproduced in ``004_bb35592359a4c133``):

* **Heat exchange fluctuation theorem** (Sec. 3.2, XFT): a system in
  equilibrium at inverse temperature ``beta_1`` makes Gibbs steps at ``beta_2``;
  the heat ``Q = E(s') - E(s)`` obeys ``ln P(Q) / P(-Q) = (beta_1 - beta_2) Q``
  *if the kernel at beta_2 is reversible* (``heat_exchange``,
  ``exact_heat_distribution``, ``fit_xft_slope``).
* **Detailed balance, done right** (Sec. 2). The seed claims that the
  alternating sweep (h from v, then v from h) is reversible on joint states
  ``s = (v, h)``. It is not: ``p(s) P(s -> s') != p(s') P(s' -> s)`` by up to
  ~1e-2 on a 3 x 2 RBM, and the XFT then fails. The palindromic sweep h, v, h
  (``kernel="symmetric"``), the random scan, either single block update, and
  the marginal chain on v (or h) alone are reversible
  (``detailed_balance_violation``).
* **Jarzynski / Crooks / Bennett along annealing** (Sec. 5): the works of
  annealed importance sampling (AIS) and reverse AIS (``annealing_works``),
  Crooks' relation between the two work distributions
  (``crooks_free_energy``) and the Bennett acceptance ratio.
* **Contrastive divergence as a thermodynamic process** (Sec. 4.2):
  ``CD_n = KL(p_D || p) - KL(p_n || p)`` split into an energy and an entropy
  term (``contrastive_divergence_terms``).

Functions accept a fitted RBM (any object with ``components_``,
``intercept_visible_``, ``intercept_hidden_``) or explicit parameters
``(W, b, c)`` with ``W`` of shape (n_hidden, n_visible). Energies use
``E(v, h) = -h W v - b.v - c.h`` and ``p_beta(s) = exp(-beta E(s)) / Z(beta)``.
Exact answers enumerate states (``skneq.rbm._exact``); sampled ones run on
the parameters' array namespace and device (or ``backend``).
"""

from ._balance import detailed_balance_violation, detailed_balance_violation_matrix, nmm_transition_matrix
from ._cd import CDTerms, contrastive_divergence_terms
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
]
