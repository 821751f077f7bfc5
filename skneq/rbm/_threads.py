"""One BLAS thread for the RBM's small products, with a cached controller.

``skneq._base.blas_threads`` builds a ``threadpoolctl.threadpool_limits``
per call, which scans the process's loaded libraries (about 4 ms): more than
a whole ``partial_fit`` on a mini-batch. The libraries are found once here
and the limit is applied through the cached controller.
"""

from __future__ import annotations

import contextlib

__all__ = ["one_blas_thread"]

_CONTROLLER = []


def one_blas_thread(bk):
    """Context capping BLAS at one thread on the host (NumPy backend only);
    see ``skneq._base.blas_threads`` for why."""
    if not bk.is_numpy:
        return contextlib.nullcontext()
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1, user_api="blas")
