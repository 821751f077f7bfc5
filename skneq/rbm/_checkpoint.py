"""Checkpoints of :class:`skneq.RBM` in NumPy ``.npz`` files, and models built
from parameters trained elsewhere (a mixin).

File format (``save_checkpoint``), readable with ``numpy.load`` alone:

================================  =====================================================
key                               content
================================  =====================================================
``format``                        the string ``"skneq.RBM checkpoint 1"``
``params_json``                   ``get_params()`` as JSON (``backend``, ``random_state``
                                  objects other than ints are stored as ``null``)
``frozen_params_json``            optional: the parameters the state was built with
                                  (``n_components``, ``n_chains``, ...) as JSON
``components``                    ``W``, float, shape (n_components, n_features)
``intercept_visible``             ``b``, shape (n_features,)
``intercept_hidden``              ``c``, shape (n_components,)
``visible_mean``                  training data mean, shape (n_features,)
``visible_offset``                visible centering offset, shape (n_features,)
``hidden_offset``                 hidden centering offset, shape (n_components,)
``persistent_chains``             visible chain states, shape (n_chains, n_features)
``persistent_hidden``             hidden chain states, shape (n_chains, n_components)
``tempering_chains``              ``method="pt"`` only: visible states of every rung,
                                  shape (n_temperatures, n_chains, n_features)
``annealing_base_log_weights``    optional: ``annealing_base_``, the mixture base
``annealing_base_logits``         of ``score``'s AIS: ``log pi_k``, shape (K,), and
                                  logits, shape (K, n_features); absent when None
``initial_W/b/c``                 parameters at initialisation
``optimizer_state_i_j``           array ``j`` (for W, b, c) of moment ``i`` of the optimiser
``optimizer_step``                Adam's step counter (0 for the other rules)
``counters``                      int64 ``[n_iter_, n_updates_, n_features_in_, method calls]``
``history_json``                  ``history_`` without ``params`` as JSON
``training_rng_state``            only in files written during ``fit``: the NumPy bit
                                  generator state of the training stream, as JSON
================================  =====================================================

The training stream of a ``partial_fit`` call is seeded by ``random_state``
salted with ``n_updates_``, so the counters are its position: a loaded model
continues bit for bit as the saved one would. A ``fit`` draws every epoch from
one stream, whose generator state the files written during it
(``checkpoint_path``) store, for ``continue_fit``.
"""

from __future__ import annotations

import json
import numbers

import numpy as np

from .. import _backend
from .._math import clipped_mean
from .._validation import host_float64
from ._path import FactorizedMixture

__all__ = ["CheckpointMixin", "FORMAT"]

FORMAT = "skneq.RBM checkpoint 1"


def _jsonable_params(params):
    out = {}
    for key, value in params.items():
        if isinstance(value, (bool, numbers.Integral)):
            out[key] = int(value) if not isinstance(value, bool) else value
        elif isinstance(value, (numbers.Real, str)) or value is None:
            out[key] = value
        elif isinstance(value, (list, tuple)) and all(isinstance(v, numbers.Integral) for v in value):
            out[key] = [int(v) for v in value]
        else:
            out[key] = None
    return out


class CheckpointMixin:
    """``save_checkpoint`` / ``load_checkpoint`` and ``from_parameters``."""

    def save_checkpoint(self, path, *, training_rng=None):
        """Write the complete training state to ``path`` (a ``.npz`` file).

        Parameters, persistent chains, centering offsets, optimiser state,
        counters (hence the random-stream position) and ``history_`` (without
        the parameter copies); see the module docstring for the keys.
        :meth:`load_checkpoint` restores a model whose ``partial_fit``
        continues exactly as this one's would. ``training_rng`` (internal:
        the generator of a running ``fit``) adds its state for ``continue_fit``.
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "components_")
        np_ = _backend.to_numpy
        arrays = {
            "format": np.asarray(FORMAT),
            "params_json": np.asarray(json.dumps(_jsonable_params(self.get_params(deep=False)))),
            "frozen_params_json": np.asarray(json.dumps(
                _jsonable_params(self.__dict__.get("_frozen_values")
                                 or {name: getattr(self, name) for name in self._frozen_params}))),
            "components": np_(self.components_),
            "intercept_visible": np_(self.intercept_visible_),
            "intercept_hidden": np_(self.intercept_hidden_),
            "visible_mean": np_(self.visible_mean_),
            "visible_offset": np_(self.visible_offset_),
            "hidden_offset": np_(self.hidden_offset_),
            "persistent_chains": np_(self.persistent_chains_),
            "persistent_hidden": np_(self.persistent_hidden_),
            "counters": np.asarray([self.n_iter_, self.n_updates_, self.n_features_in_,
                                    self.__dict__.get("_n_method_calls", 0)], dtype=np.int64),
            "history_json": np.asarray(json.dumps(
                {k: v for k, v in self.history_.items() if k != "params"})),
        }
        for name, p in zip("Wbc", self.initial_params_):
            arrays[f"initial_{name}"] = np.asarray(p)
        state = self.optimizer_state_
        moments = state[:2] if self.optimizer == "adam" else state
        for i, moment in enumerate(moments):
            for j, a in enumerate(moment):
                arrays[f"optimizer_state_{i}_{j}"] = np_(a)
        arrays["optimizer_step"] = np.asarray(state[2] if self.optimizer == "adam" else 0, dtype=np.int64)
        gen = getattr(training_rng, "_gen", None)
        if gen is not None and hasattr(gen, "bit_generator") and isinstance(gen, np.random.Generator):
            arrays["training_rng_state"] = np.asarray(json.dumps(gen.bit_generator.state))
        if "tempering_chains_" in self.__dict__:
            arrays["tempering_chains"] = np_(self.tempering_chains_)
        base = self.__dict__.get("annealing_base_")
        if base is not None:
            arrays["annealing_base_log_weights"] = np_(base.log_weights)
            arrays["annealing_base_logits"] = np_(base.logits)
        if hasattr(self, "feature_names_in_"):
            arrays["feature_names_in"] = np.asarray(self.feature_names_in_, dtype=str)
        with open(path, "wb") as f:
            np.savez(f, **arrays)

    @classmethod
    def load_checkpoint(cls, path, *, backend=None, **params):
        """An RBM restored from a file written by :meth:`save_checkpoint`.

        Parameters
        ----------
        path : str or file
        backend : None or str
            Backend to put the arrays on (default NumPy).
        **params
            Parameters overriding the saved ones (e.g. ``learning_rate``).

        Returns
        -------
        rbm : RBM
        """
        with np.load(path, allow_pickle=False) as f:
            data = {k: f[k] for k in f.files}
        if str(data.get("format")) != FORMAT:
            raise ValueError(f"{path!r} is not an skneq RBM checkpoint (format {FORMAT!r})")
        saved = json.loads(str(data["params_json"]))
        built = (json.loads(str(data["frozen_params_json"])) if "frozen_params_json" in data
                 else {name: saved[name] for name in cls._frozen_params if name in saved})
        saved.update(params)
        saved["backend"] = backend
        rbm = cls(**saved)
        rbm._frozen_values = built  # what the saved state was built with (partial_fit checks it)
        bk = _backend.resolve(data["components"], backend, data["components"].dtype.name)

        def on(a):
            return bk.asarray(a, dtype=getattr(bk.xp, a.dtype.name))

        rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_ = (
            on(data["components"]), on(data["intercept_visible"]), on(data["intercept_hidden"]))
        rbm.visible_mean_, rbm.visible_offset_, rbm.hidden_offset_ = (
            on(data["visible_mean"]), on(data["visible_offset"]), on(data["hidden_offset"]))
        rbm.persistent_chains_, rbm.persistent_hidden_ = on(data["persistent_chains"]), on(data["persistent_hidden"])
        if "tempering_chains" in data:
            rbm.tempering_chains_ = on(data["tempering_chains"])
        rbm.annealing_base_ = None  # also for files written before the key existed
        if "annealing_base_logits" in data:
            rbm.annealing_base_ = FactorizedMixture(on(data["annealing_base_log_weights"]),
                                                    on(data["annealing_base_logits"]))
        rbm.initial_params_ = tuple(np.array(data[f"initial_{n}"]) for n in "Wbc")
        n_moments = 2 if rbm.optimizer == "adam" else 1
        moments = tuple(tuple(on(data[f"optimizer_state_{i}_{j}"]) for j in range(3)) for i in range(n_moments))
        rbm.optimizer_state_ = moments + ((int(data["optimizer_step"]),) if rbm.optimizer == "adam" else ())
        n_iter_, n_updates_, n_features_in_, calls = (int(v) for v in data["counters"])
        rbm.n_iter_, rbm.n_updates_, rbm.n_features_in_ = n_iter_, n_updates_, n_features_in_
        if calls:
            rbm._n_method_calls = calls
        if "feature_names_in" in data:
            rbm.feature_names_in_ = np.asarray(data["feature_names_in"], dtype=object)
        history = json.loads(str(data["history_json"]))
        history["params"] = [None] * len(history["epoch"])
        rbm.history_ = history
        if "training_rng_state" in data:
            rbm._resume_rng_state = json.loads(str(data["training_rng_state"]))
        return rbm

    @classmethod
    def from_parameters(cls, components, intercept_visible=None, intercept_hidden=None, *, orientation="hidden_visible",
                        visible_mean=None, X=None, backend=None, **params):
        """An RBM holding parameters trained elsewhere, ready to score, sample or train on.

        Parameters
        ----------
        components : array-like or fitted estimator
            Weights, or a fitted ``sklearn.neural_network.BernoulliRBM`` (or
            any object with ``components_``, ``intercept_visible_``,
            ``intercept_hidden_``), whose arrays are then used.
        intercept_visible : array-like of shape (n_features,)
            Visible bias ``b``.
        intercept_hidden : array-like of shape (n_components,)
            Hidden bias ``c``.
        orientation : {"hidden_visible", "visible_hidden"}, default="hidden_visible"
            Layout of ``components``: (n_components, n_features) as
            scikit-learn and skneq, or (n_features, n_components) as the
            ``rbms`` package's ``weight_matrix`` (then transposed).
        visible_mean : array-like of shape (n_features,) or None
            Mean of the training data (centering offset and AIS base model);
            default the mean of ``X`` when given, else ``sigmoid(b)``
            clipped, the marginals of the model without couplings.
        X : {array-like, sparse matrix} of shape (n_samples, n_features) or None
            The training data, values in [0, 1]: sets ``visible_mean`` (when
            not given) and ``annealing_base_`` as ``fit`` would (a mixture
            fitted on ``X`` when ``annealing_base="mixture"`` and ``score``
            cannot enumerate). Without it ``annealing_base_`` is None and
            ``score``'s AIS starts from the data mean.
        backend : None or str
        **params
            Other constructor parameters (``beta``, ``random_state``, ...);
            ``n_components`` is set from the weights.

        Returns
        -------
        rbm : RBM
            Fitted: ``n_iter_ = n_updates_ = 0``, persistent chains drawn at
            ``visible_mean`` from the "initialization" stream.
        """
        from .._validation import check_option, validate_X

        check_option(orientation, "orientation", ("hidden_visible", "visible_hidden"))
        if hasattr(components, "components_"):
            est = components
            components, intercept_visible, intercept_hidden = (
                est.components_, est.intercept_visible_, est.intercept_hidden_)
            if hasattr(est, "feature_names_in_"):
                params.setdefault("_feature_names_in", est.feature_names_in_)
        feature_names = params.pop("_feature_names_in", None)
        if intercept_visible is None or intercept_hidden is None:
            raise ValueError("from_parameters needs intercept_visible and intercept_hidden (or a fitted estimator)")
        W = host_float64(components, "components")
        if W.ndim != 2:
            raise ValueError(f"components must be 2-D, got shape {W.shape}")
        if orientation == "visible_hidden":
            W = W.T
        b = host_float64(intercept_visible, "intercept_visible").reshape(-1)
        c = host_float64(intercept_hidden, "intercept_hidden").reshape(-1)
        n_hidden, n_visible = W.shape
        if b.shape != (n_visible,) or c.shape != (n_hidden,):
            raise ValueError(
                f"with components of shape {W.shape} ({orientation}: n_components={n_hidden}, n_features={n_visible}) "
                f"intercept_visible must have shape ({n_visible},) and intercept_hidden ({n_hidden},); got "
                f"{b.shape} and {c.shape}")
        for name, a in (("components", W), ("intercept_visible", b), ("intercept_hidden", c)):
            if not np.all(np.isfinite(a)):
                raise ValueError(f"{name} contains NaN or infinity")
        rbm = cls(n_components=n_hidden, backend=backend, **params)
        rbm._validate_params()
        bk = _backend.resolve(W, backend)
        if X is not None:
            X_, _, _ = validate_X(rbm, X, reset=True, backend=bk, accept_sparse=True)
            if X_.shape[1] != n_visible:
                raise ValueError(f"X has {X_.shape[1]} features, but the components have n_features={n_visible}")
            rbm._check_domain(X_, bk.xp)
            if visible_mean is None:
                visible_mean = _backend.to_numpy(rbm._column_mean(X_, bk))
        if visible_mean is None:
            mean = clipped_mean((1.0 / (1.0 + np.exp(-b)))[None, :], xp=np)
        else:
            mean = host_float64(visible_mean, "visible_mean").reshape(-1)
            if mean.shape != (n_visible,) or not np.all((mean >= 0) & (mean <= 1)):
                raise ValueError(f"visible_mean must have shape ({n_visible},) with values in [0, 1]")
        rbm.n_features_in_ = n_visible
        if feature_names is not None:
            rbm.feature_names_in_ = np.asarray(feature_names, dtype=object)
        W_, b_, c_, mean_ = (bk.asarray(a) for a in (W, b, c, mean))
        rbm._set_initial_state(W_, b_, c_, mean_, bk, rbm._rng(bk, "initialization"))
        if X is not None:
            rbm.annealing_base_ = rbm._fit_annealing_base(X_, bk)
        return rbm
