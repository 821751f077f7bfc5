"""Model-selection scorers built on the sample-quality metrics.

A scorer samples from a fitted generator and compares the samples with the
held-out ``X`` of a cross-validation split, so that ``GridSearchCV`` and
``cross_val_score`` can select generative models on the indices of Fournier & Urbani
(2024, arXiv:2405.10822, appendix B) instead of a likelihood.
"""

from __future__ import annotations

from .._validation import check_bool, check_int
from ._samples import aai_error, second_moment_error, spectrum_error

__all__ = [
    "make_generative_scorer",
    "aai_error_scorer",
    "second_moment_error_scorer",
    "spectrum_error_scorer",
]

_METRICS = {
    "aai_error": aai_error,
    "second_moment_error": second_moment_error,
    "spectrum_error": spectrum_error,
}


class _GenerativeScorer:
    """Callable ``(estimator, X, y=None) -> float``; see :func:`make_generative_scorer`."""

    def __init__(self, metric, n_samples, sign, random_state, metric_kwargs):
        self._metric = metric
        self._n_samples = n_samples
        self._sign = sign
        self._random_state = random_state
        self._metric_kwargs = metric_kwargs

    def __call__(self, estimator, X, y=None):
        """Sample from ``estimator`` and score the samples against ``X``.

        Parameters
        ----------
        estimator : fitted estimator with ``sample(n_samples, *, random_state)``
        X : array-like of shape (n_samples, n_features)
            Held-out data.
        y : ignored

        Returns
        -------
        score : float
            ``sign * metric(X, samples)``; higher is better.
        """
        if not hasattr(estimator, "sample"):
            raise TypeError(
                f"{type(estimator).__name__} has no sample method; a generative scorer needs a "
                "fitted generator with sample(n_samples, random_state=...)."
            )
        n_samples = self._n_samples if self._n_samples is not None else int(X.shape[0] if hasattr(X, "shape") else len(X))
        X_generated = estimator.sample(n_samples, random_state=self._random_state)
        return self._sign * float(self._metric(X, X_generated, **self._metric_kwargs))

    def __repr__(self):
        name = getattr(self._metric, "__name__", repr(self._metric))
        kwargs = "".join(f", {k}={v!r}" for k, v in self._metric_kwargs.items())
        return (
            f"make_generative_scorer({name}, n_samples={self._n_samples!r}, "
            f"greater_is_better={self._sign > 0}, random_state={self._random_state!r}{kwargs})"
        )


def make_generative_scorer(metric, *, n_samples=None, greater_is_better=False, random_state=0, **metric_kwargs):
    """Turn a sample-quality metric into a ``scoring`` callable for model selection.

    The scorer calls ``estimator.sample(n_samples or len(X),
    random_state=random_state)`` on the fitted estimator and returns
    ``metric(X, samples, **metric_kwargs)``, negated unless
    ``greater_is_better``, so that higher is always better as scikit-learn
    expects.

    Parameters
    ----------
    metric : callable or {"aai_error", "second_moment_error", "spectrum_error"}
        ``metric(X_data, X_generated, **metric_kwargs) -> float``.
    n_samples : int, optional
        Number of samples to draw; default the number of rows of the held-out
        ``X`` (required by ``spectrum_error``).
    greater_is_better : bool, default=False
        Whether ``metric`` is a score (True) or an error (False, the default:
        the scorer returns ``-metric``).
    random_state : int, RandomState instance or None, default=0
        Passed to ``sample``. A fixed integer gives every candidate model of a
        search the same random stream (common random numbers), which makes
        their comparison less noisy; None draws fresh samples each call.
    **metric_kwargs
        Extra keyword arguments of ``metric`` (e.g. ``chunk_size``).

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None) -> float``, usable as ``scoring=`` in
        ``GridSearchCV``, ``cross_val_score`` and ``cross_validate``.

    Examples
    --------
    >>> from skneq.metrics import make_generative_scorer, aai_error
    >>> scorer = make_generative_scorer(aai_error, random_state=0)
    >>> # GridSearchCV(BernoulliRBM(), {"n_components": [16, 64]}, scoring=scorer)
    """
    if isinstance(metric, str):
        if metric not in _METRICS:
            raise ValueError(f"Unknown metric {metric!r}; expected a callable or one of {sorted(_METRICS)}.")
        metric = _METRICS[metric]
    if not callable(metric):
        raise ValueError(f"metric must be callable or a metric name, got {metric!r}.")
    if n_samples is not None:
        n_samples = check_int(n_samples, "n_samples", low=1)  # 2.7 and True refused, never truncated
    sign = 1.0 if check_bool(greater_is_better, "greater_is_better") else -1.0
    return _GenerativeScorer(metric, n_samples, sign, random_state, dict(metric_kwargs))


#: Scorer returning ``-aai_error(X, samples)`` (eq. B4 of Fournier & Urbani).
aai_error_scorer = make_generative_scorer(aai_error)
#: Scorer returning ``-second_moment_error(X, samples)`` (eq. B1 of Fournier & Urbani).
second_moment_error_scorer = make_generative_scorer(second_moment_error)
#: Scorer returning ``-spectrum_error(X, samples)`` (eq. B2 of Fournier & Urbani).
spectrum_error_scorer = make_generative_scorer(spectrum_error)
