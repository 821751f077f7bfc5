"""Package-wide settings of skneq: ``set_config``, ``get_config``, ``config_context``.

Modelled on scikit-learn's ``sklearn.set_config`` / ``config_context``: the
settings are thread-local (a thread starts from the global defaults, and a
change in one thread is invisible to the others), and ``config_context``
restores the previous values on exit, also on an exception.

Settings
--------
host_threads : int >= 1 or None, default=1
    Threads the host's compute pools (NumPy's BLAS through threadpoolctl,
    torch's CPU intra-op pool) may use inside skneq's training, sampling and
    annealing loops. ``1``, the default, makes a fit reproducible across
    machines of the same CPU type: the same seed gives the same model on any
    core count, because the summation order of a product depends on the
    thread count and a stochastic fit amplifies round-off into different
    models. An int ``n`` caps the pools at ``n`` threads (faster products on
    large models; the result then depends on ``n``). ``None`` leaves the
    pools as the user, ``OMP_NUM_THREADS`` or ``threadpoolctl`` set them.
    Nothing changes on GPU backends. Processes started by joblib (loky)
    begin with the defaults: skneq's own parallel calls pass the caller's
    settings on (:func:`with_config`).
"""

from __future__ import annotations

import contextlib
import threading

from ._validation import check_int

__all__ = ["set_config", "get_config", "config_context"]

_GLOBAL_CONFIG = {"host_threads": 1}
_THREAD_LOCAL = threading.local()


class _Unchanged:
    """Default of the setters: keep the current value (``None`` is a value here)."""

    def __repr__(self):
        return "<unchanged>"


_UNCHANGED = _Unchanged()


def _local_config():
    config = getattr(_THREAD_LOCAL, "config", None)
    if config is None:
        config = _THREAD_LOCAL.config = dict(_GLOBAL_CONFIG)
    return config


def _check_host_threads(value):
    if value is None:
        return None
    if isinstance(value, float):  # check_int takes 2.0; a thread count is an int
        raise ValueError(f"host_threads must be an int >= 1 or None, got {value!r}")
    return check_int(value, "host_threads", low=1)


def get_config():
    """The current settings of this thread, as a new dict.

    Returns
    -------
    config : dict
        ``{"host_threads": int or None}`` (see :func:`set_config`).
    """
    return dict(_local_config())


def set_config(host_threads=_UNCHANGED):
    """Change skneq's settings for the current thread.

    Parameters
    ----------
    host_threads : int >= 1 or None, default=unchanged
        Threads of the host's BLAS / torch-CPU pools inside skneq's loops.
        ``1`` (the initial value): the same seed gives the same model on any
        core count. An int ``n``: pools capped at ``n`` threads, faster on
        large models, results depend on ``n``. ``None``: pools left as the
        user or ``threadpoolctl`` set them. Left out: unchanged.

    Raises
    ------
    ValueError
        If ``host_threads`` is not ``None`` or an int >= 1 (0, negatives,
        floats, strings and bools are refused).

    See Also
    --------
    config_context : the same, restored on exit.
    get_config : the current values.
    """
    config = _local_config()
    if host_threads is not _UNCHANGED:
        config["host_threads"] = _check_host_threads(host_threads)


@contextlib.contextmanager
def config_context(*, host_threads=_UNCHANGED):
    """Context manager changing skneq's settings inside a ``with`` block.

    Parameters
    ----------
    host_threads : int >= 1 or None, default=unchanged
        As in :func:`set_config`.

    Examples
    --------
    >>> import skneq
    >>> with skneq.config_context(host_threads=2):
    ...     skneq.get_config()["host_threads"]
    2
    >>> skneq.get_config()["host_threads"]
    1
    """
    old = get_config()
    set_config(host_threads=host_threads)  # validates before the block runs
    try:
        yield
    finally:
        _local_config().clear()
        _local_config().update(old)


def with_config(function, config=None):
    """``function`` wrapped to run under ``config`` (default: the caller's current settings).

    joblib's process workers (loky) start from the defaults, so a setting
    made with :func:`set_config` or :func:`config_context` around a parallel
    call would not reach them; ``delayed(with_config(f))(...)`` carries it
    along, as scikit-learn's ``sklearn.utils.parallel.delayed`` does for
    scikit-learn's own configuration.

    Returns
    -------
    wrapped : callable
        Picklable (a :func:`functools.partial` of a module-level function).
    """
    import functools

    return functools.partial(_call_with_config, function, get_config() if config is None else dict(config))


def _call_with_config(function, config, *args, **kwargs):
    with config_context(**config):
        return function(*args, **kwargs)
