"""``cs231n.layer_utils``: the sandwich layers, with the starter's star imports."""

from cs231nbook import layer_utils as _layer_utils
from cs231nbook.layer_utils import *  # noqa: F403

from .fast_layers import *  # noqa: F403
from .fast_layers import __all__ as _fast_names
from .layers import *  # noqa: F403
from .layers import __all__ as _layer_names

__all__ = sorted(set(_layer_utils.__all__) | set(_layer_names) | set(_fast_names))
