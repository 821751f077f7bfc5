"""skneq: scikit-learn-compatible generative models from nonequilibrium statistical physics."""

from . import landscape, metrics, thermodynamics
from ._backend import estimator_to_numpy, to_numpy
from ._config import config_context, get_config, set_config
from .chaotic import ChaoticRNNGenerator
from .nmm import NonequilibriumMarkovMachine
from .rbm import RBM
from .reciprocal import ReciprocalSpaceProjector

__version__ = "0.2.0"

__all__ = [
    "RBM",
    "NonequilibriumMarkovMachine",
    "ChaoticRNNGenerator",
    "ReciprocalSpaceProjector",
    "metrics",
    "thermodynamics",
    "landscape",
    "estimator_to_numpy",
    "to_numpy",
    "set_config",
    "get_config",
    "config_context",
    "__version__",
]
