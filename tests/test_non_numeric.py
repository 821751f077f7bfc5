"""Bad array arguments other than ``X``: a ValueError that names the argument.

Functions that compute on the host convert their array arguments with
``skneq._validation.host_float64``; a dict, an object or strings used to
reach ``float()`` and end in a TypeError (or NumPy's "could not convert").
Starting states (``init``) go through scikit-learn's checks, whose messages
say "X": ``validate_X(name="init")`` prefixes them with the argument's name.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from skneq import RBM, ChaoticRNNGenerator, NonequilibriumMarkovMachine
from skneq.nmm import cycle_decomposition, dominant_cycle
from skneq.reciprocal import reciprocal_moments, track_modes
from skneq.rbm._annealing import check_schedule
from skneq.rbm._free_energy import stepping_stone_log_partition
from skneq.thermodynamics import crooks_free_energy, fit_xft_slope, second_law, xft_log_ratio

CHAIN = np.array([[0.9, 0.1], [0.2, 0.8]])
WORKS = np.linspace(-1.0, 1.0, 50)
ONES = np.ones(4)

CALLS = {
    "M": lambda v: dominant_cycle(v),
    "M ": lambda v: cycle_decomposition(v),
    "p": lambda v: cycle_decomposition(CHAIN, v),
    "modes": lambda v: reciprocal_moments(v),
    "modes[0]": lambda v: track_modes([v, np.eye(2)]),
    "schedule": lambda v: check_schedule(v),
    "forward_ratios": lambda v: stepping_stone_log_partition(0.0, v, ONES),
    "reverse_ratios": lambda v: stepping_stone_log_partition(0.0, ONES, v),
    "forward works": lambda v: crooks_free_energy(v, WORKS),
    "reverse works": lambda v: crooks_free_energy(WORKS, v),
    "Q": lambda v: fit_xft_slope(v),
    "q": lambda v: xft_log_ratio(v, ONES / 4),
    "works": lambda v: second_law(v, 0.0),
    "components": lambda v: RBM.from_parameters(v, np.zeros(2), np.zeros(2)),
    "intercept_visible": lambda v: RBM.from_parameters(np.eye(2), v, np.zeros(2)),
    "intercept_hidden": lambda v: RBM.from_parameters(np.eye(2), np.zeros(2), v),
    "visible_mean": lambda v: RBM.from_parameters(np.eye(2), np.zeros(2), np.zeros(2), visible_mean=v),
}


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize("value", [{}, object(), ["a", "b"]], ids=["dict", "object", "strings"])
def test_non_numeric_arrays_are_refused_by_name(name, value):
    with pytest.raises(ValueError, match="^" + re.escape(name.strip()) + " must be a numeric array"):
        CALLS[name](value)


def _fitted():
    X = (np.random.default_rng(0).random((40, 6)) < 0.4).astype(float)
    return X, [
        RBM(n_components=3, n_iter=1, random_state=0).fit(X),
        ChaoticRNNGenerator(n_components=4, n_steps_per_update=5, n_iter=1, batch_size=10, random_state=0).fit(X),
        NonequilibriumMarkovMachine(n_components=2, n_iter=1, n_updates_per_epoch=2, n_steps_per_update=4,
                                    n_estimate_steps=200, monitor=False, random_state=0).fit(X),
    ]


@pytest.mark.parametrize("bad, match", [(np.nan, "contains NaN"), ("columns", "5 features")])
def test_bad_starting_states_are_named_init(bad, match):
    X, (rbm, chaotic, nmm) = _fitted()
    init = X[:2, :5] if bad == "columns" else np.where(X[:2] > 0, bad, 0.0)
    calls = [lambda: rbm.sample(2, n_steps=1, init=init),
             lambda: rbm.sample(2, n_steps=1, init=init, method="parallel_tempering"),
             lambda: chaotic.sample(init=init, n_steps=1)]
    if bad != "columns":  # the NMM takes one state; a wrong length is its own message
        calls.append(lambda: nmm.sample_trajectory(2, init=init[0]))
    for call in calls:
        with pytest.raises(ValueError, match=f"^Invalid init: .*{match}"):
            call()
