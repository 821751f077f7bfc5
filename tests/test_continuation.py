"""Continuing a fit after ``set_params`` (``partial_fit``, ``warm_start``, checkpoints).

The parameters that fixed the fitted state (``_frozen_params``: layer
sizes, chains, optimiser moments, the fixed couplings of the chaotic
network) cannot change between the first call and the next: the update
would run on arrays of the old shapes and silently ignore the new value, or
fail deep inside with a NumPy message (0.2 before this check: ``RBM``
switched to ``method="pt"`` raised AttributeError, ``NonequilibriumMarkovMachine``
with a new ``latent`` a broadcast error, ``ChaoticRNNGenerator`` kept its
old ``n_components``). Every other parameter may change, and ``fit`` starts
a new model with the new values.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

from skneq import RBM, ChaoticRNNGenerator, NonequilibriumMarkovMachine

X = (np.random.default_rng(0).random((40, 6)) < 0.4).astype(float)


def rbm(**params):
    return RBM(n_components=3, n_iter=1, batch_size=10, random_state=0, **params)


def nmm(**params):
    return NonequilibriumMarkovMachine(n_components=2, n_iter=1, n_updates_per_epoch=2, n_steps_per_update=4,
                                       n_estimate_steps=200, monitor=False, random_state=0, **params)


def chaotic(**params):
    return ChaoticRNNGenerator(n_components=4, n_steps_per_update=5, n_iter=1, batch_size=10, random_state=0,
                               **params)


# (factory, its own parameters, the frozen parameter, a new value)
FROZEN = [
    (rbm, {}, "n_components", 4),
    (rbm, {}, "n_chains", 7),
    (rbm, {}, "centering", False),
    (rbm, {}, "optimizer", "adam"),
    (rbm, {}, "method", "pt"),
    (rbm, {"method": "pt"}, "method", "pcd"),
    (rbm, {"method": "pt", "n_temperatures": 3}, "n_temperatures", 4),
    (nmm, {}, "n_components", 3),
    (nmm, {}, "latent", "binary"),
    (nmm, {}, "reversible", True),
    (nmm, {}, "n_chains", 2),
    (nmm, {}, "centering", False),
    (nmm, {}, "optimizer", "sgd"),
    (chaotic, {}, "n_components", 5),
    (chaotic, {}, "architecture", "unrestricted"),
    (chaotic, {}, "g", 3.0),
    (chaotic, {}, "g_convention", "std"),
]
IDS = [f"{f.__name__}-{name}-{value}" for f, _, name, value in FROZEN]


def _fitted(factory, params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short runs: convergence and likelihood warnings
        return factory(**params).fit(X)


def _partial_fit(model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.partial_fit(X)


@pytest.mark.parametrize("factory, params, name, value", FROZEN, ids=IDS)
def test_partial_fit_refuses_a_changed_frozen_parameter(factory, params, name, value):
    model = _fitted(factory, params)
    before = model.get_params()[name]
    model.set_params(**{name: value})
    with pytest.raises(ValueError, match=rf"set_params changed {name} from {before!r} to {value!r}"):
        _partial_fit(model)
    # setting it back continues; fit starts a new model with the new value
    model.set_params(**{name: before})
    updates = model.n_updates_ if hasattr(model, "n_updates_") else model.n_iter_
    _partial_fit(model)
    assert (model.n_updates_ if hasattr(model, "n_updates_") else model.n_iter_) > updates
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.set_params(**{name: value}).fit(X)
    _partial_fit(model)  # built with the new value, so it continues


@pytest.mark.parametrize("factory", [rbm, nmm, chaotic])
def test_other_parameters_may_change_between_calls(factory):
    model = _fitted(factory, {})
    model.set_params(learning_rate=0.05, n_iter=2)
    _partial_fit(model)
    if factory is rbm:
        model.set_params(method="cd", batch_size=7, n_steps_per_update=2, n_temperatures=4)
        _partial_fit(model)  # "cd" and "pcd" share their chains; no replicas without "pt"


def test_warm_started_chaotic_fit_refuses_a_changed_frozen_parameter():
    model = _fitted(chaotic, {"warm_start": True})
    model.set_params(architecture="deep", n_components=(3, 2))
    with pytest.raises(ValueError, match="architecture from 'restricted' to 'deep' and n_components from 4 to "
                                         r"\(3, 2\).*fit with warm_start=False"):
        model.fit(X)
    model.set_params(warm_start=False).fit(X)
    assert model.fixed_hidden2_to_hidden_coupling_.shape == (3, 2)  # (n_h1, n_h2)
    # the same layer sizes as a list continue; other sizes do not
    model.set_params(warm_start=True, n_components=[3, 2]).fit(X)
    model.set_params(n_components=[3, 3])
    with pytest.raises(ValueError, match=r"n_components from \(3, 2\) to \[3, 3\]"):
        model.fit(X)


def test_the_record_survives_pickling_and_rbm_checkpoints(tmp_path):
    model = pickle.loads(pickle.dumps(_fitted(rbm, {})))
    model.set_params(n_components=5)
    with pytest.raises(ValueError, match="n_components from 3 to 5"):
        _partial_fit(model)
    # a checkpoint saved after the change still knows what its arrays were built with
    path = tmp_path / "rbm.npz"
    model.save_checkpoint(path)
    loaded = RBM.load_checkpoint(path)
    assert loaded.n_components == 5
    with pytest.raises(ValueError, match="n_components from 3 to 5"):
        _partial_fit(loaded)
    loaded = RBM.load_checkpoint(path, n_components=3)
    _partial_fit(loaded)
    assert loaded.n_iter_ == 2


def test_models_pickled_without_the_record_still_continue():
    model = _fitted(chaotic, {})
    del model._frozen_values  # as pickled by 0.2 before the record existed
    _partial_fit(pickle.loads(pickle.dumps(model)))


@pytest.mark.parametrize("cls", [RBM, NonequilibriumMarkovMachine, ChaoticRNNGenerator])
def test_frozen_parameters_are_parameters_and_each_is_tested(cls):
    # every name is a constructor parameter, and FROZEN above exercises each one
    assert set(cls._frozen_params) <= set(cls().get_params())
    tested = {name for factory, _, name, _ in FROZEN if factory().__class__ is cls}
    assert tested == set(cls._frozen_params)
