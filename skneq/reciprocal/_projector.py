"""Reciprocal-space view of a restricted Boltzmann machine.

Toledo-Marin, Maiti, Fox and Melko (2025), "Exploring the energy landscape of
RBMs: reciprocal space insights into bosons, hierarchical learning and
symmetry breaking", arXiv:2503.21536 (equation numbers refer to it).

The couplings ``W`` (``N`` visible x ``M`` hidden, ``W = components_.T``)
are decomposed as ``W = U S V^T``; states are projected to reciprocal
variables ``x = U^T v`` and ``y = V^T h`` (eq. 17a), in which the energy of
eq. 3 splits into independent two-variable modes (eq. 14-16), each a
hyperbolic paraboloid with a saddle point (Sec. 3, eq. 18-20).

The estimator lives here; the validated free functions in
:mod:`skneq.reciprocal._functions`; the pure kernels in
:mod:`skneq.reciprocal._kernels`. Parameters are read through the analysis
protocol of :func:`skneq.thermodynamics.rbm_parameters` (``_parameters()``,
a fitted BernoulliRBM, or arrays via :meth:`ReciprocalSpaceProjector.from_parameters`).
"""

from __future__ import annotations

import copy
import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted

from .. import _backend
from .._validation import check_array_xp, check_int, check_option, validate_X
from .._protocol import rbm_parameters
from . import _kernels as _rm
from ._functions import apply_random_rotations, constraint_potential_minimum

__all__ = ["ReciprocalSpaceProjector", "LAYOUTS"]

#: Orientations of a weight matrix given as an array: ``"hidden_by_visible"``
#: is scikit-learn's ``components_`` (M, N); ``"visible_by_hidden"`` the
#: paper's ``W`` (N, M).
LAYOUTS = ("hidden_by_visible", "visible_by_hidden")

# Salt of the random stream that draws the Haar completion of the null space.
_NULL_SPACE_SALT = 31
# Salt of the per-call streams of methods (random rotations).
_METHOD_SALT = 32
_DEFAULT_N_COMPONENTS = 16


def _as_array(a, name):
    if a is None:
        raise ValueError(f"{name} is required, got None.")
    if _backend.is_array(a):
        return a
    try:
        return np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array: {exc}") from exc


class ReciprocalSpaceProjector(TransformerMixin, BaseEstimator):
    """Project an RBM's states onto the singular modes of its couplings.

    Toledo-Marin et al. (2025, arXiv:2503.21536), Sec. 3. A meta-transformer
    in the style of :class:`~sklearn.feature_selection.SelectFromModel`: it
    fits a clone of ``estimator`` (unless ``prefit``), then takes the full
    singular value decomposition ``W = U S V^T`` of the couplings
    ``W = components_.T`` (shape ``(N, M)``, ``N`` visible and ``M`` hidden
    units, paper orientation). With the energy of eq. 3,
    ``E(v, h) = -a^T v - b^T h - v^T W h``, the reciprocal variables
    ``x = U^T v`` and ``y = V^T h`` (eq. 17a) turn ``E`` into a sum of
    ``max(N, M)`` independent modes (eq. 15-16).

    Parameters
    ----------
    estimator : estimator or None, default=None
        An RBM read through the analysis protocol: an estimator implementing
        ``_parameters()`` (``skneq.RBM``) or a
        :class:`sklearn.neural_network.BernoulliRBM`. ``None`` uses
        ``skneq.RBM(n_components=16)`` seeded from ``random_state``.
        Raw arrays: use :meth:`from_parameters`.
    prefit : bool, default=False
        If True, ``estimator`` is already fitted: ``fit`` deep-copies it and
        only computes the decomposition (``X`` may then be None).
    null_space : {"haar", "lapack"}, default="haar"
        Basis of the ``|N - M|``-dimensional null space of a rectangular
        ``W`` (zero singular value). ``"haar"``: a Haar-random orthonormal
        basis drawn from ``random_state``, as the paper's Gaussian
        statements about ``x_{M+1..N}`` assume; ``"lapack"``: LAPACK's
        completion, whose vectors are localised on a few units. In both,
        the first null vector carries the bias (see Notes).
    random_state : int, RandomState instance or None, default=0
        Seeds the default inner RBM and the Haar completion, so that
        ``ReciprocalSpaceProjector()`` is reproducible.
    backend : None, str or module, default=None
        Compute namespace (see ``skneq._backend.resolve``). ``None`` follows
        ``X`` under ``sklearn.set_config(array_api_dispatch=True)``, else
        NumPy. Computations use float64 where the device has it: the
        decomposition is analysis, not training, and the energy identity
        should hold to rounding.

    Attributes
    ----------
    estimator_ : estimator or None
        The fitted clone (or deep copy when ``prefit``); None when built by
        :meth:`from_parameters`.
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
    unique; we choose it (after the Haar rotation) so that the bias lies
    along its first vector: mode ``K`` carries all of it (``a0_K >= 0``)
    and modes ``K+1, ...`` have zero bias and zero energy.

    **Orientation.** A square ``W`` cannot reveal its orientation; arrays
    therefore go through :meth:`from_parameters` with an explicit
    ``layout`` keyword, never a guess.

    **Coordinates.** The rotated coordinates ``(u, w)`` of eq. 19 use
    ``theta = pi/4`` with ``u = ((x - x0) + (y - y0))/sqrt(2)`` and
    ``w = ((y - y0) - (x - x0))/sqrt(2)``, the signs of eq. 27d-e and
    29a-b (eq. 23 prints another sign combination; eq. 19-20 fix it).

    References
    ----------
    J. Q. Toledo-Marin, A. Maiti, G. C. Fox and R. G. Melko, "Exploring the
    energy landscape of RBMs: reciprocal space insights into bosons,
    hierarchical learning and symmetry breaking", arXiv:2503.21536 (2025).

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

    _parameter_constraints = {
        "estimator": [HasMethods(["fit"]), None],
        "prefit": ["boolean"],
        "null_space": [StrOptions({"haar", "lapack"})],
        "random_state": ["random_state"],
        "backend": "no_validation",
    }

    def __init__(self, estimator=None, *, prefit=False, null_space="haar", random_state=0, backend=None):
        self.estimator = estimator
        self.prefit = prefit
        self.null_space = null_space
        self.random_state = random_state
        self.backend = backend

    # ------------------------------------------------------------ loaders

    @classmethod
    def from_parameters(cls, W, visible_bias, hidden_bias, *, layout="hidden_by_visible", null_space="haar",
                        random_state=0, backend=None):
        """A fitted projector for explicit RBM parameters.

        Parameters
        ----------
        W : array-like of shape (M, N) or (N, M)
            Couplings; which one is said by ``layout`` (a square matrix
            cannot tell).
        visible_bias : array-like of shape (N,)
        hidden_bias : array-like of shape (M,)
        layout : {"hidden_by_visible", "visible_by_hidden"}, default="hidden_by_visible"
            ``"hidden_by_visible"``: ``W`` is ``components_`` (M, N), the
            layout of ``BernoulliRBM`` and ``skneq.RBM``;
            ``"visible_by_hidden"``: the paper's ``W`` (N, M).
        null_space, random_state, backend
            As in the constructor.

        Returns
        -------
        projector : ReciprocalSpaceProjector
            Fitted; ``estimator_`` is None.
        """
        check_option(layout, "layout", LAYOUTS)
        W = _as_array(W, "W")
        visible_bias = _as_array(visible_bias, "visible_bias")
        hidden_bias = _as_array(hidden_bias, "hidden_bias")
        if W.ndim != 2 or visible_bias.ndim != 1 or hidden_bias.ndim != 1:
            raise ValueError("W must be 2-D and the biases 1-D.")
        n_visible, n_hidden = visible_bias.shape[0], hidden_bias.shape[0]
        expected = (n_hidden, n_visible) if layout == "hidden_by_visible" else (n_visible, n_hidden)
        if tuple(W.shape) != expected:
            other = [name for name in LAYOUTS if name != layout][0]
            hint = f" (it matches layout={other!r})" if tuple(W.shape) == expected[::-1] else ""
            raise ValueError(
                f"W has shape {tuple(W.shape)} but layout={layout!r} with {n_visible} visible and "
                f"{n_hidden} hidden biases needs {expected}{hint}."
            )
        xp, _ = _backend.namespace_of(W)
        components = W if layout == "hidden_by_visible" else xp.matrix_transpose(W)
        projector = cls(None, prefit=True, null_space=null_space, random_state=random_state, backend=backend)
        projector._validate_params()
        projector.estimator_ = None
        projector._decompose((components, visible_bias, hidden_bias), components)
        projector.n_features_in_ = n_visible
        return projector

    @classmethod
    def from_estimator(cls, estimator, *, null_space="haar", random_state=0, backend=None):
        """A fitted projector for an already fitted RBM (``skneq.RBM`` or ``BernoulliRBM``).

        Same as ``ReciprocalSpaceProjector(estimator, prefit=True).fit(None)``.
        """
        return cls(estimator, prefit=True, null_space=null_space, random_state=random_state,
                   backend=backend).fit(None)

    # ------------------------------------------------------------------ fit

    def _default_estimator(self):
        from ..rbm import RBM

        return RBM(n_components=_DEFAULT_N_COMPONENTS, random_state=_backend.child_seeds(self.random_state, 1)[0])

    @_fit_context(prefer_skip_nested_validation=False)
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
        estimator = self._default_estimator() if self.estimator is None else self.estimator
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
        W, _, _, _ = rbm_parameters(self.estimator_)  # TypeError for a non-RBM
        n_visible = W.shape[1]
        if X is not None and X_checked.shape[1] != n_visible:
            raise ValueError(
                f"X has {X_checked.shape[1]} features but the estimator has {n_visible} visible units."
            )
        if X is None:
            self.n_features_in_ = n_visible
        self._decompose(self.estimator_, X)
        return self

    def _decompose(self, model, like):
        """Set the fitted attributes from ``model`` (estimator or (W, b, c)), on ``like``'s backend."""
        W0 = rbm_parameters(model)[0]
        bk = _backend.resolve(like if like is not None else W0, self.backend)
        W, visible_bias, hidden_bias, bk = rbm_parameters(model, backend=bk)
        xp = bk.xp
        n_hidden, n_visible = W.shape
        gaussian = None
        rank_gap = abs(n_visible - n_hidden)
        if self.null_space == "haar" and rank_gap > 1:
            rng = _backend.make_rng(bk, self.random_state, _NULL_SPACE_SALT)
            gaussian = rng.normal((rank_gap, rank_gap))
        decomposition = _rm.reciprocal_decomposition(
            xp.matrix_transpose(W), visible_bias, hidden_bias, xp=xp, null_space_gaussian=gaussian
        )
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

    def _project(self, A, modes_name, n_columns, name, *, inverse):
        """``A @ modes`` (``inverse=False``) or ``A @ modes.T``, in ``A``'s namespace and device."""
        bk = self._fitted_backend()
        if name == "X" and not inverse:
            A, like = self._visible(A, bk)
        else:
            A, like = self._states(A, n_columns, name, bk)
        modes = getattr(self, modes_name)
        if inverse:
            modes = bk.xp.matrix_transpose(modes)
        return _backend.convert_like(bk.xp.matmul(A, modes), *like)

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
        return self._project(X, "visible_modes_", None, "X", inverse=False)

    def inverse_transform(self, X):
        """Visible states ``v = U x`` from reciprocal variables (exact: ``U`` is orthogonal).

        Parameters
        ----------
        X : array-like of shape (n_samples, N)

        Returns
        -------
        v : array of shape (n_samples, N)
        """
        check_is_fitted(self, "visible_modes_")
        return self._project(X, "visible_modes_", self.n_visible_, "X", inverse=True)

    def transform_hidden(self, H):
        """Hidden reciprocal variables ``y = V^T h`` (eq. 17a).

        Parameters
        ----------
        H : array-like of shape (n_samples, M)

        Returns
        -------
        y : array of shape (n_samples, M)
        """
        check_is_fitted(self, "hidden_modes_")
        return self._project(H, "hidden_modes_", self.n_hidden_, "H", inverse=False)

    def inverse_transform_hidden(self, Y):
        """Hidden states ``h = V y`` from hidden reciprocal variables.

        Parameters
        ----------
        Y : array-like of shape (n_samples, M)

        Returns
        -------
        h : array of shape (n_samples, M)
        """
        check_is_fitted(self, "hidden_modes_")
        return self._project(Y, "hidden_modes_", self.n_hidden_, "Y", inverse=True)

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
            None means the projector's own ``random_state``, advanced at
            each call (successive calls draw fresh rotations; a
            fit-and-call sequence stays reproducible). An explicit value is
            used as given.

        Returns
        -------
        components : array of shape (M, N)
            Rotated couplings in ``components_`` layout, fitted namespace.
        """
        bk = self._fitted_backend()
        xp = bk.xp
        n_vis = round(0.1 * self.n_visible_) if n_rotations_visible is None else n_rotations_visible
        n_hid = round(0.1 * self.n_hidden_) if n_rotations_hidden is None else n_rotations_hidden
        n_vis = check_int(n_vis, "n_rotations_visible", low=0)
        n_hid = check_int(n_hid, "n_rotations_hidden", low=0)
        seed_visible, seed_hidden = _backend.child_seeds(self._method_seed(random_state), 2)
        U = apply_random_rotations(self.visible_modes_, n_vis, angle=angle, side=side, random_state=seed_visible)
        V = apply_random_rotations(self.hidden_modes_, n_hid, angle=angle, side=side, random_state=seed_hidden)
        k = self.singular_values_.shape[0]
        weights = xp.matmul(U[:, :k] * self.singular_values_, xp.matrix_transpose(V[:, :k]))
        return xp.matrix_transpose(weights)

    def _method_seed(self, random_state):
        """``random_state`` of one method call: None is the projector's own, salted with a call counter."""
        if random_state is not None:
            return random_state
        count = self.__dict__.get("_n_method_calls", 0)
        self._n_method_calls = count + 1
        if isinstance(self.random_state, numbers.Integral):
            return _backend.seed_from(self.random_state, _METHOD_SALT, 1 + count) % (2**31)
        return self.random_state

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
            inner = get_tags(self._default_estimator() if self.estimator is None else self.estimator)
        except (AttributeError, TypeError):  # not a scikit-learn estimator: keep the defaults
            inner = None
        if inner is not None:
            tags.input_tags.positive_only = inner.input_tags.positive_only
            tags.array_api_support = inner.array_api_support
        tags.input_tags.allow_nan = False
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags
