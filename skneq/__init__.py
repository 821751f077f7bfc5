"""skneq: scikit-learn-compatible generative models from nonequilibrium statistical physics."""

from . import landscape, metrics, thermodynamics
from ._backend import estimator_to_numpy
from .rbm import RBM
from .reciprocal import ReciprocalSpaceProjector

__version__ = "0.1.0"

__all__ = ["RBM", "ReciprocalSpaceProjector", "metrics", "thermodynamics", "landscape", "estimator_to_numpy", "__version__"]
