"""What every skneq estimator shares.

:class:`GenerativeMixin` gives an estimator, once:

* the backend it was fitted on (``_fitted_backend``), read from one fitted
  array named by the class attribute ``_backend_anchor``;
* input checks after fit (``_validate_fitted_input``): scikit-learn's
  ``validate_data`` with ``reset=False``, a move to the fitted backend and the
  family's domain check (``_input_domain``: ``"unit_interval"``, ``"binary"``
  or ``None``);
* named random streams (``_rng``): training, monitoring, sampling, ... Each
  stream has its own salt, so monitoring never draws from the training stream
  and a fit is the same with and without ``verbose``;
* per-call generators for public methods (``_method_rng``): an explicit
  ``random_state`` is used as given (exactly reproducible); ``None`` means the
  estimator's own ``random_state``, salted with a call counter so successive
  calls draw fresh numbers while a fit-and-call sequence stays reproducible
  (as ``BernoulliRBM`` advances its ``random_state_``);
* one progress printer (``_progress``) and the ``history_`` helpers
  (``_init_history``, ``_record_history``): ``history_`` is a dict of
  equal-length lists on every estimator, one entry per record;
* the check before a fit continues (``partial_fit``, ``warm_start``): the
  parameters that fixed the fitted state's shapes and meaning
  (``_frozen_params``, recorded by ``_record_frozen_params`` when the state
  is built) must not have been changed by ``set_params`` since
  (``_check_frozen_params``): a clear ``ValueError`` instead of a silently
  ignored parameter or a NumPy error deep in the update.

Random generators are created per call and never stored (``_backend``).
"""

from __future__ import annotations

import contextlib
import copy
import numbers

from sklearn import get_config
from sklearn.utils import gen_batches
from sklearn.utils.validation import check_is_fitted

from . import _backend, _config
from ._validation import check_binary, check_unit_interval, is_sparse, validate_X

__all__ = ["GenerativeMixin", "STREAMS", "row_chunks", "dense_rows", "map_rows", "blas_threads"]

# Salts of the named random streams. Never reuse a number: a fit's result
# depends on which stream each draw comes from.
STREAMS = {
    "initialization": 11,
    "training": 12,
    "monitoring": 13,
    "sampling": 14,
    "scoring": 15,
    "log_partition": 16,
    "transform": 17,
    "split": 18,
    "bootstrap": 19,
    "lyapunov": 20,
    "tempering": 21,
}


class GenerativeMixin:
    """Shared glue of the skneq estimators (see the module docstring).

    Subclasses set ``_backend_anchor`` (the name of a fitted array whose
    namespace, device and dtype are the fitted backend) and
    ``_input_domain``.
    """

    _backend_anchor = "components_"
    _input_domain = "unit_interval"
    #: Parameters that fix the fitted state (shapes, chains, optimiser
    #: state): a fit can only continue with the values it was built with.
    _frozen_params = ()

    # ------------------------------------------------------------ backend
    def _fitted_backend(self):
        """The ``Backend`` the estimator was fitted on."""
        check_is_fitted(self, self._backend_anchor)
        return _backend.backend_of(getattr(self, self._backend_anchor))

    def _validate_fitted_input(self, X, *, domain=None, accept_sparse=False, name="X"):
        """Validate ``X`` after fit and move it to the fitted backend.

        With ``accept_sparse`` a SciPy sparse ``X`` stays CSR on the host (read
        it one chunk at a time with :func:`dense_rows`).

        Returns
        -------
        X : array on the fitted backend
        bk : Backend
        where : (namespace, device) of the input, for ``convert_like``
        """
        bk = self._fitted_backend()
        X, bk, where = validate_X(self, X, reset=False, backend=bk, accept_sparse=accept_sparse, name=name)
        self._check_domain(X, bk.xp, domain)
        return X, bk, where

    def _check_domain(self, X, xp, domain=None):
        domain = self._input_domain if domain is None else domain
        if domain == "unit_interval":
            check_unit_interval(X, xp, what=type(self).__name__)
        elif domain == "binary":
            check_unit_interval(X, xp, what=type(self).__name__)
            check_binary(X, xp, what=type(self).__name__)
        return X

    # ------------------------------------------------------------ random streams
    def _rng(self, bk, stream, *salt, random_state=None):
        """Generator of the named ``stream`` seeded from ``random_state`` (default the estimator's)."""
        random_state = self.random_state if random_state is None else random_state
        return _backend.make_rng(bk, random_state, STREAMS[stream], *salt)

    def _method_rng(self, bk, stream, random_state=None):
        """Generator for one call of a public method (``sample``, ``gibbs``, ...).

        An explicit ``random_state`` is used as given. ``None`` means the
        estimator's own ``random_state``; with an int, a call counter is
        salted in so successive calls draw fresh numbers.
        """
        if random_state is not None:
            return _backend.make_rng(bk, random_state, STREAMS[stream])
        count = self.__dict__.get("_n_method_calls", 0)
        self._n_method_calls = count + 1
        if isinstance(self.random_state, numbers.Integral):
            return _backend.make_rng(bk, self.random_state, STREAMS[stream], 1 + count)
        return _backend.make_rng(bk, self.random_state)

    def __sklearn_tags__(self):
        # The models are defined on [0, 1] (or {0, 1}) data, read sparse input
        # one chunk at a time and compute in float32.
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.input_tags.sparse = True
        if tags.transformer_tags is not None:
            tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    # ------------------------------------------------------------ continuing a fit
    def _record_frozen_params(self):
        """Record the ``_frozen_params`` the fitted state is being built with."""
        self._frozen_values = {name: copy.deepcopy(getattr(self, name)) for name in self._frozen_params}

    def _same_frozen_value(self, name, built, now):
        """Whether a fitted state built with ``name=built`` can continue with ``name=now``."""
        if isinstance(built, (tuple, list)) and isinstance(now, (tuple, list)):
            return list(built) == list(now)  # layer sizes: (500, 100) and [500, 100] build the same
        return bool(built == now)  # validated parameters: numbers, strings, sequences of ints

    def _check_frozen_params(self, restart="call fit"):
        """Refuse to continue a fit whose ``_frozen_params`` were changed since it was built.

        ``restart`` says how to start a new model instead (``"call fit"``,
        ``"fit with warm_start=False"``).
        """
        built = self.__dict__.get("_frozen_values")
        if built is None:  # pickled before the record existed
            return
        changed = [f"{name} from {built[name]!r} to {getattr(self, name)!r}" for name in built
                   if not self._same_frozen_value(name, built[name], getattr(self, name))]
        if changed:
            which = "it fixes" if len(changed) == 1 else "they fix"
            raise ValueError(
                f"{type(self).__name__} cannot continue training: set_params changed {' and '.join(changed)} "
                f"after the fitted state was built ({which} its shapes or meaning). Set the old value back, "
                f"or {restart} to start a new model.")

    # ------------------------------------------------------------ progress and history
    def _progress(self, message):
        """Print one progress line when ``verbose`` (the one printer of every estimator)."""
        if getattr(self, "verbose", 0):
            print(f"[{type(self).__name__}] {message}", flush=True)

    def _init_history(self, *keys):
        """Start ``history_`` as a dict of empty lists (``epoch`` and ``n_updates`` always)."""
        self.history_ = {key: [] for key in ("epoch", "n_updates", "time", *keys)}

    def _record_history(self, **values):
        """Append one record to ``history_``; keys not given get ``None``.

        Every list keeps the same length, so ``history_[key][i]`` belongs to
        ``history_["epoch"][i]``.
        """
        history = self.history_
        for key in values:
            if key not in history:
                history[key] = [None] * len(history["epoch"])
        for key, column in history.items():
            column.append(values.get(key))


# --------------------------------------------------------------------------
# Bounded memory, sparse input and BLAS threads
# --------------------------------------------------------------------------


def row_chunks(n_rows, bytes_per_row):
    """Slices of ``range(n_rows)`` sized by scikit-learn's ``working_memory``.

    ``bytes_per_row`` is the temporary memory one row costs (e.g.
    ``8 * (n_features + 2 * n_components)`` for a float64 pass over an RBM),
    so a method that loops over these slices stays within a quarter of
    ``sklearn.get_config()["working_memory"]`` MiB (256 MiB by default)
    whatever ``n_rows`` is: the quarter leaves room for the copies the
    caller's estimate of ``bytes_per_row`` does not see (conversions to the
    input's namespace, the output).
    """
    budget = get_config()["working_memory"] * 2**20 / 4
    chunk = min(max(1, int(budget // max(1, int(bytes_per_row)))), max(1, int(n_rows)))
    return list(gen_batches(int(n_rows), chunk))


def dense_rows(X, rows, bk, dtype=None):
    """Rows ``rows`` (a slice or index array) of ``X`` as a dense array on ``bk``.

    Sparse ``X`` (CSR on the host, from ``validate_X(accept_sparse=True)``) is
    densified one chunk at a time, never whole.
    """
    if is_sparse(X):
        if not isinstance(rows, slice):
            rows = _backend.to_numpy(rows)  # a (small) index array drawn on the device
        return bk.asarray(X[rows].toarray(), dtype=dtype)
    if isinstance(rows, slice):
        part = X[rows, ...]
    else:
        part = bk.xp.take(X, rows, axis=0)
    return part if dtype is None or part.dtype == dtype else bk.xp.astype(part, dtype)


def map_rows(X, bk, bytes_per_row, fn, dtype=None):
    """``fn`` applied to dense row chunks of ``X`` (``row_chunks`` sizes),
    results concatenated along the first axis: the bounded-memory pass of
    ``score_samples`` / ``transform`` / ``free_energy`` on every estimator."""
    dtype = bk.dtype if dtype is None else dtype
    parts = [fn(dense_rows(X, rows, bk, dtype)) for rows in row_chunks(X.shape[0], bytes_per_row)]
    return parts[0] if len(parts) == 1 else bk.xp.concat(parts, axis=0)


def blas_threads(bk):
    """Context that caps the host's compute threads (NumPy's BLAS, torch on the CPU)
    at ``skneq.get_config()["host_threads"]``, read when the context is made.

    The default, one thread: the training loops of these models multiply
    small matrices, where threads buy little, and the summation order (hence
    the result) depends on the thread count, which a stochastic or chaotic
    fit amplifies to O(1) differences; with one thread the same seed gives
    the same model on any core count. ``skneq.config_context(host_threads=n)``
    caps the pools at ``n`` threads instead (faster on large models, results
    tied to ``n``); ``host_threads=None`` leaves them as they are. On a GPU
    backend it does nothing.
    """
    limit = _config.get_config()["host_threads"]
    if limit is None:
        return contextlib.nullcontext()
    return _backend.host_threads(bk, limit)
