"""scikit-learn's own BernoulliRBM tests, run against :class:`skneq.RBM`.

The test module ships in the scikit-learn wheel
(``sklearn/neural_network/tests/test_rbm.py``); it is imported from the
installed package (never copied here), its ``BernoulliRBM`` name is replaced
by ``skneq.RBM`` and every test function runs with each of its parameter
sets. A test that cannot pass is an expected failure (``strict=True``: it must
fail, so a fix is noticed) whose reason is a difference documented in
``docs/user_guide/rbm.rst`` ("Differences from BernoulliRBM").
"""

from __future__ import annotations

import inspect

import pytest

import skneq

sk_rbm = pytest.importorskip("sklearn.neural_network.tests.test_rbm")

_EXACT = ("score_samples is the exact log-likelihood log p(v), not BernoulliRBM's stochastic pseudo-likelihood "
          "(documented difference)")
_RANGE = "values outside [0, 1] (raw digits 0-16) are refused with a ValueError (documented difference)"
_NUMBERS = ("compares against numbers of BernoulliRBM's own training stream and rule (centering, linear step "
            "decay, separate random streams): a documented difference, not a bug")
_FLOAT32 = "RBM computes in float32 whatever the input dtype, so transform returns float32 (documented difference)"
_PRIVATE = "uses BernoulliRBM's private methods or attributes (h_samples_, _mean_hiddens; documented difference)"

# Reasons per test function (all parameter sets), found by running the suite:
# 11 of 24 cases; the sparse, gibbs, verbose and feature-name cases pass.
EXPECTED_FAILURES = {
    "test_fit": _EXACT,  # expects the pseudo-likelihood value -21 on digits
    "test_partial_fit": _EXACT,
    "test_score_samples": _RANGE,  # scores digits * 2 after checking the pseudo-likelihood is random
    "test_fit_gibbs": _NUMBERS,  # hard-coded weights of BernoulliRBM's stream
    "test_sample_hiddens": _PRIVATE,
    "test_transform": _PRIVATE,
    "test_convergence_dtype_consistency": _PRIVATE + "; " + _FLOAT32,
    "test_transformer_dtypes_casting": _FLOAT32,
}
# These score 64-unit models, whose log Z comes from forward and reverse AIS
# (about 5 s each on the 2-core CI machine): run with -m slow.
SLOW = {"test_small_sparse_partial_fit", "test_partial_fit"}
# float32 input is preserved, so that parameter set passes.
_PASSING_CASES = {("test_transformer_dtypes_casting", 0)}


def _cases():
    cases = []
    for name, fn in sorted(inspect.getmembers(sk_rbm, inspect.isfunction)):
        if not name.startswith("test_"):
            continue
        marks = [m for m in getattr(fn, "pytestmark", []) if m.name == "parametrize"]
        if not marks:
            cases.append(pytest.param(name, 0, {}, id=name, marks=pytest.mark.slow if name in SLOW else ()))
            continue
        argnames, values = marks[0].args[:2]
        argnames = [a.strip() for a in argnames.split(",")] if isinstance(argnames, str) else list(argnames)
        for i, value in enumerate(values):
            value = value.values if hasattr(value, "values") and not isinstance(value, (tuple, list)) else value
            value = tuple(value) if len(argnames) > 1 else (value[0] if isinstance(value, tuple) and len(value) == 1
                                                             else value,)
            kwargs = dict(zip(argnames, value))
            cases.append(pytest.param(name, i, kwargs, id=f"{name}[{i}]",
                                      marks=pytest.mark.slow if name in SLOW else ()))
    return cases


class BernoulliRBM(skneq.RBM):
    """``skneq.RBM`` under scikit-learn's class name and nothing else: the
    suite checks names derived from the class name (feature names
    ``bernoullirbm0``, the ``[BernoulliRBM]`` progress prefix), which a user
    who swaps the import keeps this way."""


@pytest.mark.parametrize("name, case, kwargs", _cases())
def test_sklearn_rbm_suite(name, case, kwargs, monkeypatch, request):
    if name in EXPECTED_FAILURES and (name, case) not in _PASSING_CASES:
        request.applymarker(pytest.mark.xfail(strict=True, reason=EXPECTED_FAILURES[name]))
    monkeypatch.setattr(sk_rbm, "BernoulliRBM", BernoulliRBM)
    fn = getattr(sk_rbm, name)
    for fixture in inspect.signature(fn).parameters:
        if fixture not in kwargs:
            kwargs[fixture] = request.getfixturevalue(fixture)
    fn(**kwargs)
