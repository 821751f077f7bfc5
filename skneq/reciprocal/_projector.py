"""Reciprocal-space view of a restricted Boltzmann machine (seed 003).

The couplings ``W`` (``N`` visible x ``M`` hidden, ``W = components_.T``)
are decomposed as ``W = U S V^T``; states are projected to reciprocal
variables ``x = U^T v`` and ``y = V^T h`` (eq. 17a), in which the energy of
eq. 3 splits into independent two-variable modes (eq. 14-16), each a
hyperbolic paraboloid with a saddle point (Sec. 3, eq. 18-20). The module
also offers the Marchenko-Pastur law of the singular values at
initialisation (eq. 21), the high-temperature constraint-potential minimum
(eq. 29) and the rotation probes of Sec. 5.1-5.2.

Layout: the estimator lives here; the validated free functions in
:mod:`skneq.reciprocal._functions` (re-exported here, import them from
``skneq.reciprocal``); the pure kernels in :mod:`skneq.reciprocal._kernels`.
"""

from __future__ import annotations

import copy

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted

from .. import _backend
from . import _kernels as _rm
from ._kernels import ConstraintMinimum
from ._functions import (
    apply_random_rotations,
    constraint_potential_minimum,
    jensen_shannon_divergence,
    marchenko_pastur_pdf,
    marchenko_pastur_support,
    random_plane_rotation,
    reciprocal_kurtosis,
)
from .._validation import check_array_xp, validate_X

__all__ = [
    "ReciprocalSpaceProjector",
    "ConstraintMinimum",
    "marchenko_pastur_pdf",
    "marchenko_pastur_support",
    "constraint_potential_minimum",
    "random_plane_rotation",
    "apply_random_rotations",
    "jensen_shannon_divergence",
    "reciprocal_kurtosis",
]

# --------------------------------------------------------------------------
# Estimator
# --------------------------------------------------------------------------


def _default_estimator():
    from ..rbm import RBM

    return RBM(n_components=16)


class ReciprocalSpaceProjector(TransformerMixin, BaseEstimator):
    """Project an RBM's states onto the singular modes of its couplings (seed 003, Sec. 3).

    A meta-transformer in the style of
    :class:`~sklearn.feature_selection.SelectFromModel`: it fits a clone of
    ``estimator`` (unless ``prefit``), then takes the full singular value
    decomposition ``W = U S V^T`` of the couplings ``W = components_.T``
    (shape ``(N, M)``, ``N`` visible and ``M`` hidden units, paper
    orientation). With the energy of eq. 3,
    ``E(v, h) = -a^T v - b^T h - v^T W h``, the reciprocal variables
    ``x = U^T v`` and ``y = V^T h`` (eq. 17a) turn ``E`` into a sum of
    ``max(N, M)`` independent modes (eq. 15-16).

    Parameters
    ----------
    estimator : estimator or None, default=None
        Any RBM exposing ``components_`` (M, N), ``intercept_hidden_`` (M,)
        and ``intercept_visible_`` (N,) after fitting:
        :class:`sklearn.neural_network.BernoulliRBM` or ``skneq.rbm.RBM``.
        ``None`` uses ``BernoulliRBM(n_components=16)``.
    prefit : bool, default=False
        If True, ``estimator`` is already fitted: ``fit`` deep-copies it and
        only computes the decomposition (``X`` may then be None).
    backend : None, str or module, default=None
        Compute namespace (see ``skneq._backend.resolve``). ``None`` follows
        ``X`` under ``sklearn.set_config(array_api_dispatch=True)``, else
        NumPy. Computations use float64 where the device has it: the
        decomposition is analysis, not training, and the energy identity
        should hold to rounding.

    Attributes
    ----------
    estimator_ : estimator
        The fitted clone (or deep copy when ``prefit``).
    singular_values_ : array of shape (K,)
        ``lambda_i`` in decreasing order, ``K = min(N, M)``.
    visible_modes_ : array of shape (N, N)
        Orthogonal ``U``; column ``i`` is mode ``i``. Sign convention: the
        largest-magnitude entry of each coupled column (``i < K``) is
        positive (``(u_i, v_i) -> (-u_i, -v_i)`` leaves ``W`` unchanged).
    hidden_modes_ : array of shape (M, M)
        Orthogonal ``V``.
    reciprocal_visible_bias_ : array of shape (N,)
        ``a0 = U^T a`` (eq. 17a).
    reciprocal_hidden_bias_ : array of shape (M,)
        ``b0 = V^T b`` (eq. 17a).
    saddle_points_ : array of shape (K, 2)
        ``(x0_i, y0_i) = (-b0_i / lambda_i, -a0_i / lambda_i)``, the saddle of
        mode ``i`` (Sec. 3, after eq. 18); NaN where ``lambda_i`` is
        numerically zero (no saddle).
    saddle_energies_ : array of shape (K,)
        ``a0_i b0_i / lambda_i``, the energy at the saddle (eq. 20).
    n_visible_, n_hidden_ : int
        ``N`` and ``M``.
    n_features_in_ : int
        ``N``.
    feature_names_in_ : ndarray of str
        Defined when ``X`` has string feature names.

    Notes
    -----
    **Uncoupled modes.** When ``N != M`` the larger layer has ``|N - M|``
    directions with zero singular value. Their part of the bias energy,
    e.g. ``-a^T (I - U_K U_K^T) v`` for ``N > M``, is carried by the
    uncoupled modes ``E_i = -a0_i x_i`` (``i >= K``) of eq. 16, so the sum
    over modes is exactly ``E(v, h)``. The basis of that null space is not
    unique; we choose it so that the bias lies along its first vector: mode
    ``K`` carries all of it (``a0_K >= 0``) and modes ``K+1, ...`` have zero
    bias and zero energy. This choice is independent of the LAPACK
    completion, hence reproducible across backends.

    **Coordinates.** The rotated coordinates ``(u, w)`` of eq. 19 use
    ``theta = pi/4`` with ``u = ((x - x0) + (y - y0))/sqrt(2)`` and
    ``w = ((y - y0) - (x - x0))/sqrt(2)``, the signs of eq. 27d-e and
    29a-b (eq. 23 prints another sign combination; eq. 19-20 fix it).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neural_network import BernoulliRBM
    >>> from skneq.reciprocal import ReciprocalSpaceProjector
    >>> X = (np.random.default_rng(0).random((50, 6)) > 0.5).astype(float)
    >>> proj = ReciprocalSpaceProjector(BernoulliRBM(n_components=4, random_state=0)).fit(X)
    >>> proj.transform(X).shape, proj.singular_values_.shape
    ((50, 6), (4,))
    >>> np.allclose(proj.inverse_transform(proj.transform(X)), X)
    True
    """

    def __init__(self, estimator=None, *, prefit=False, backend=None):
        self.estimator = estimator
        self.prefit = prefit
        self.backend = backend

    # ------------------------------------------------------------------ fit

    def fit(self, X, y=None, **fit_params):
        """Fit the wrapped RBM (unless ``prefit``) and decompose its couplings.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_visible) or None
            Training data for the RBM (values in [0, 1]; the wrapped
            estimator validates them). May be None when ``prefit=True``.
        y : None
            Ignored.
        **fit_params : dict
            Passed to ``estimator.fit`` (ignored when ``prefit``).

        Returns
        -------
        self : ReciprocalSpaceProjector
        """
        if not isinstance(self.prefit, (bool, np.bool_)):
            raise ValueError(f"prefit must be a bool, got {self.prefit!r}.")
        estimator = _default_estimator() if self.estimator is None else self.estimator
        if X is not None:
            X_checked, _, _ = validate_X(self, X, reset=True, backend=self.backend)
        elif not self.prefit:
            raise ValueError("X is None: fit needs training data unless prefit=True.")
        if self.prefit:
            try:
                check_is_fitted(estimator)
            except NotFittedError as exc:
                raise NotFittedError("When prefit=True, estimator must already be fitted.") from exc
            self.estimator_ = copy.deepcopy(estimator)
        else:
            self.estimator_ = clone(estimator).fit(X, y, **fit_params)
        for name in ("components_", "intercept_hidden_", "intercept_visible_"):
            if not hasattr(self.estimator_, name):
                raise ValueError(
                    f"{type(self.estimator_).__name__} has no attribute {name!r}: "
                    "ReciprocalSpaceProjector needs an RBM with components_, intercept_hidden_ "
                    "and intercept_visible_ (e.g. BernoulliRBM or skneq.rbm.RBM)."
                )
        components = self.estimator_.components_
        n_hidden, n_visible = components.shape
        if X is not None and X_checked.shape[1] != n_visible:
            raise ValueError(
                f"X has {X_checked.shape[1]} features but the estimator has {n_visible} visible units."
            )
        if X is None:
            self.n_features_in_ = n_visible
        bk = _backend.resolve(X if X is not None else components, self.backend)
        bk = _backend.Backend(bk.xp, bk.device, bk.accurate_dtype())
        xp = bk.xp
        weights = xp.matrix_transpose(bk.asarray(components))
        visible_bias = xp.reshape(bk.asarray(self.estimator_.intercept_visible_), (n_visible,))
        hidden_bias = xp.reshape(bk.asarray(self.estimator_.intercept_hidden_), (n_hidden,))
        decomposition = _rm.reciprocal_decomposition(weights, visible_bias, hidden_bias, xp=xp)
        self.visible_modes_ = decomposition.visible_modes
        self.hidden_modes_ = decomposition.hidden_modes
        self.singular_values_ = decomposition.singular_values
        self.reciprocal_visible_bias_ = decomposition.visible_bias
        self.reciprocal_hidden_bias_ = decomposition.hidden_bias
        self.saddle_points_, self.saddle_energies_ = _rm.saddle_points(
            decomposition.singular_values, decomposition.visible_bias, decomposition.hidden_bias, xp=xp
        )
        self.n_visible_ = n_visible
        self.n_hidden_ = n_hidden
        return self

    # ------------------------------------------------------------ helpers

    def _fitted_backend(self):
        check_is_fitted(self, "visible_modes_")
        xp, device = _backend.namespace_of(self.visible_modes_)
        return _backend.Backend(xp, device, self.visible_modes_.dtype)

    def _states(self, A, n_columns, name, bk):
        """Validate ``A`` (n_samples, n_columns), move it to ``bk``; also return the caller's namespace."""
        xp_in, device_in = _backend.namespace_of(A)
        A = check_array_xp(A, name=name)
        if A.shape[1] != n_columns:
            raise ValueError(f"{name} has {A.shape[1]} columns, expected {n_columns}.")
        return bk.asarray(A), (xp_in, device_in)

    def _visible(self, X, bk):
        xp_in, device_in = _backend.namespace_of(X)
        X, _, _ = validate_X(self, X, reset=False, backend=bk)
        return X, (xp_in, device_in)

    # ------------------------------------------------------------ transforms

    def transform(self, X):
        """Visible reciprocal variables ``x = U^T v`` (eq. 17a).

        Parameters
        ----------
        X : array-like of shape (n_samples, N)
            Visible states (binary or probabilities; the map is linear and
            accepts any real values).

        Returns
        -------
        x : array of shape (n_samples, N)
            Same namespace and device as ``X``.
        """
        bk = self._fitted_backend()
        X, like = self._visible(X, bk)
        return _backend.convert_like(bk.xp.matmul(X, self.visible_modes_), *like)

    def inverse_transform(self, X):
        """Visible states ``v = U x`` from reciprocal variables (exact: ``U`` is orthogonal).

        Parameters
        ----------
        X : array-like of shape (n_samples, N)

        Returns
        -------
        v : array of shape (n_samples, N)
        """
        bk = self._fitted_backend()
        X, like = self._states(X, self.n_visible_, "X", bk)
        return _backend.convert_like(bk.xp.matmul(X, bk.xp.matrix_transpose(self.visible_modes_)), *like)

    def transform_hidden(self, H):
        """Hidden reciprocal variables ``y = V^T h`` (eq. 17a).

        Parameters
        ----------
        H : array-like of shape (n_samples, M)

        Returns
        -------
        y : array of shape (n_samples, M)
        """
        bk = self._fitted_backend()
        H, like = self._states(H, self.n_hidden_, "H", bk)
        return _backend.convert_like(bk.xp.matmul(H, self.hidden_modes_), *like)

    def inverse_transform_hidden(self, Y):
        """Hidden states ``h = V y`` from hidden reciprocal variables.

        Parameters
        ----------
        Y : array-like of shape (n_samples, M)

        Returns
        -------
        h : array of shape (n_samples, M)
        """
        bk = self._fitted_backend()
        Y, like = self._states(Y, self.n_hidden_, "Y", bk)
        return _backend.convert_like(bk.xp.matmul(Y, bk.xp.matrix_transpose(self.hidden_modes_)), *like)

    def _pair(self, X, H):
        bk = self._fitted_backend()
        X, like = self._visible(X, bk)
        H, _ = self._states(H, self.n_hidden_, "H", bk)
        if X.shape[0] != H.shape[0]:
            raise ValueError(f"X and H must have the same number of rows, got {X.shape[0]} and {H.shape[0]}.")
        xp = bk.xp
        return xp.matmul(X, self.visible_modes_), xp.matmul(H, self.hidden_modes_), like, xp

    def mode_energies(self, X, H):
        """Energy of each reciprocal mode, eq. 15-16; rows sum to ``E(v, h)`` of eq. 3.

        Parameters
        ----------
        X : array-like of shape (n_samples, N)
            Visible states ``v``.
        H : array-like of shape (n_samples, M)
            Hidden states ``h``.

        Returns
        -------
        energies : array of shape (n_samples, max(N, M))
            ``E_i = -a0_i x_i - b0_i y_i - lambda_i x_i y_i`` for ``i < K``,
            then the uncoupled modes (see Notes of the class).
        """
        x, y, like, xp = self._pair(X, H)
        energies = _rm.mode_energies(
            x, y, self.singular_values_, self.reciprocal_visible_bias_, self.reciprocal_hidden_bias_, xp=xp
        )
        return _backend.convert_like(energies, *like)

    def rotated_coordinates(self, X, H):
        """Coordinates ``(u, w)`` of eq. 19 (``theta = pi/4``) about each saddle point.

        In them each coupled mode reads (eq. 20)
        ``E_i = a0_i b0_i / lambda_i - lambda_i (u_i^2 - w_i^2) / 2``.

        Parameters
        ----------
        X : array-like of shape (n_samples, N)
        H : array-like of shape (n_samples, M)

        Returns
        -------
        u, w : arrays of shape (n_samples, K)
        """
        x, y, like, xp = self._pair(X, H)
        u, w = _rm.rotated_coordinates(x, y, self.saddle_points_, xp=xp)
        return _backend.convert_like(u, *like), _backend.convert_like(w, *like)

    def constraint_minimum(self, visible_mean=0.5, hidden_mean=0.5):
        """High-temperature minimum of the constraint potential, eq. 29.

        Parameters
        ----------
        visible_mean : float or array-like of shape (N,), default=0.5
            ``<v>``; 1/2 for uniformly random states (eq. 29). A data mean
            gives the reciprocal image of the data average (Fig. 7-8).
        hidden_mean : float or array-like of shape (M,), default=0.5
            ``<h>``.

        Returns
        -------
        ConstraintMinimum
            Named tuple ``(u, w, x, y)``; see
            :func:`constraint_potential_minimum`.
        """
        check_is_fitted(self, "visible_modes_")
        return constraint_potential_minimum(
            self.visible_modes_, self.hidden_modes_, self.saddle_points_, visible_mean, hidden_mean
        )

    def rotated_components(
        self, n_rotations_visible=None, n_rotations_hidden=None, *, angle=None, side="both", random_state=None
    ):
        """Couplings after random plane rotations of ``U`` and ``V`` (Sec. 5.1, Fig. 4).

        ``U_R = R U R^T`` and ``V_R = R' V R'^T`` by default (the paper's
        conjugation), each ``R`` a product of rotations in random 2-planes;
        the returned ``W_R = U_R S V_R^T`` has the same singular values.

        Parameters
        ----------
        n_rotations_visible, n_rotations_hidden : int or None
            Number of rotations of ``U`` and of ``V``; None uses
            ``round(0.1 N)`` and ``round(0.1 M)`` as in the paper.
        angle : float or None
            Rotation angle; None draws each uniformly in ``[0, 2 pi)``.
        side : {"left", "right", "both"}, default="both"
            See :func:`apply_random_rotations`.
        random_state : int, RandomState or None

        Returns
        -------
        components : array of shape (M, N)
            Rotated couplings in ``components_`` layout, fitted namespace.
        """
        bk = self._fitted_backend()
        xp = bk.xp
        n_vis = round(0.1 * self.n_visible_) if n_rotations_visible is None else n_rotations_visible
        n_hid = round(0.1 * self.n_hidden_) if n_rotations_hidden is None else n_rotations_hidden
        seed_visible, seed_hidden = (int(s) for s in check_random_state(random_state).randint(0, 2**31 - 1, size=2))
        U = apply_random_rotations(self.visible_modes_, n_vis, angle=angle, side=side, random_state=seed_visible)
        V = apply_random_rotations(self.hidden_modes_, n_hid, angle=angle, side=side, random_state=seed_hidden)
        k = self.singular_values_.shape[0]
        weights = xp.matmul(U[:, :k] * self.singular_values_, xp.matrix_transpose(V[:, :k]))
        return xp.matrix_transpose(weights)

    def get_feature_names_out(self, input_features=None):
        """Names ``mode0, mode1, ...`` of the ``N`` reciprocal variables.

        Parameters
        ----------
        input_features : array-like of str or None
            Checked against the names seen in ``fit``; otherwise unused.

        Returns
        -------
        names : ndarray of str objects, shape (N,)
        """
        check_is_fitted(self, "visible_modes_")
        _check_feature_names_in(self, input_features, generate_names=False)
        return np.asarray([f"mode{i}" for i in range(self.n_visible_)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        try:
            inner = get_tags(_default_estimator() if self.estimator is None else self.estimator)
        except (AttributeError, TypeError):  # not a scikit-learn estimator: keep the defaults
            inner = None
        if inner is not None:
            tags.input_tags.positive_only = inner.input_tags.positive_only
            tags.array_api_support = inner.array_api_support
        tags.input_tags.allow_nan = False
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags
