"""Boolean options of public functions and methods: only True / False.

A flag read by truthiness would take ``"no"``, ``0.0`` or ``[False]`` as a
choice and answer silently; every flag goes through
``skneq._validation.check_bool`` and refuses anything but a bool (NumPy's
included) with a ValueError that names it.
"""

from __future__ import annotations

import numpy as np
import pytest

from skneq import RBM, NonequilibriumMarkovMachine
from skneq.metrics import make_generative_scorer
from skneq.nmm import fit_independent_runs
from skneq.nmm._estimates import markov_indicators
from skneq.rbm import fit_bernoulli_mixture
from skneq.reciprocal import training_checkpoints
from skneq.thermodynamics import detailed_balance_violation, exact_heat_distribution, heat_exchange

X = (np.random.default_rng(0).random((40, 4)) < 0.4).astype(float)
RBM_TINY = RBM(n_components=2, n_iter=2, checkpoints=2, random_state=0).fit(X)
NMM_TINY = NonequilibriumMarkovMachine(n_components=2, n_iter=1, n_updates_per_epoch=2, n_steps_per_update=4,
                                       n_estimate_steps=200, monitor=False, random_state=0).fit(X)
CHAIN = np.array([[0.9, 0.1, 0.0], [0.0, 0.8, 0.2], [0.3, 0.0, 0.7]])

FLAGS = {
    "return_info (RBM.sample)": ("return_info", lambda v: RBM_TINY.sample(2, n_steps=1, return_info=v)),
    "return_info (fit_bernoulli_mixture)": ("return_info", lambda v: fit_bernoulli_mixture(X, 2, return_info=v)),
    "return_latent": ("return_latent", lambda v: NMM_TINY.sample(2, return_latent=v)),
    "greater_is_better": ("greater_is_better", lambda v: make_generative_scorer("second_moment_error", greater_is_better=v)),
    "spectral": ("spectral", lambda v: markov_indicators(CHAIN, spectral=v)),
    "batched": ("batched", lambda v: fit_independent_runs(NMM_TINY, X, n_runs=1, batched=v, n_jobs=1)),
    "include_initial": ("include_initial", lambda v: training_checkpoints(RBM_TINY, include_initial=v)),
    "adjoint (exact)": ("adjoint", lambda v: exact_heat_distribution(RBM_TINY, 1.0, 0.5, adjoint=v)),
    "adjoint (sampled)": ("adjoint", lambda v: heat_exchange(RBM_TINY, 1.0, 0.5, n_samples=10, adjoint=v,
                                                             random_state=0)),
    "return_matrix": ("return_matrix", lambda v: detailed_balance_violation(RBM_TINY, return_matrix=v)),
}


@pytest.mark.parametrize("case", sorted(FLAGS))
@pytest.mark.parametrize("value", [0, 1, "no", None, [False], 1.0])
def test_flags_refuse_anything_but_a_bool(case, value):
    name, call = FLAGS[case]
    with pytest.raises(ValueError, match=f"{name} must be True or False"):
        call(value)


@pytest.mark.parametrize("case", sorted(FLAGS))
def test_flags_take_python_and_numpy_bools(case):
    _, call = FLAGS[case]
    for value in (False, True, np.bool_(True)):
        call(value)
