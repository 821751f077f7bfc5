"""Argument checks shared by the thermodynamics tools; the model reader is :mod:`skneq._protocol`."""

from __future__ import annotations

from .._protocol import model_beta as _model_beta
from .._protocol import rbm_parameters
from .._validation import check_beta, check_option
from ..rbm._kernels import JOINT_KERNELS

__all__ = ["rbm_parameters", "_model_beta", "_check_beta", "_check_kernel"]


def _check_beta(beta, name="beta"):
    """A finite non-negative inverse temperature (0 is the uniform distribution)."""
    return check_beta(beta, name, allow_zero=True)


def _check_kernel(kernel, allowed=JOINT_KERNELS):
    return check_option(kernel, "kernel", allowed)
