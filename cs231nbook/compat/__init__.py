"""Run the official CS231n Assignment 2 notebooks on cs231nbook.

``install()`` makes ``import cs231n`` and its submodules resolve to a thin module tree,
``cs231nbook.compat.cs231n``, that has the starter code's import surface and its
semantics, while every computation stays in the cs231nbook package:

================================  ===================================================
``cs231n.layers``                 every layer of :mod:`cs231nbook.layers`
``cs231n.layer_utils``            the sandwiches, plus ``from .layers import *`` and
                                  ``from .fast_layers import *`` as in the starter
``cs231n.fast_layers``            the fast layers, also under the starter's other names
``cs231n.optim``                  the update rules
``cs231n.solver``                 ``Solver(model, data, **kwargs)``
``cs231n.gradient_check``         the numerical gradients and ``rel_error``
``cs231n.classifiers.fc_net``     ``FullyConnectedNet`` (and every layer name)
``cs231n.classifiers.cnn``        ``ThreeLayerConvNet`` (and every layer name)
``cs231n.data_utils``             ``get_CIFAR10_data``, ``load_CIFAR10``
``cs231n.vis_utils``              ``visualize_grid``
================================  ===================================================

Where the starter's semantics differ from cs231nbook's own rules, this tree follows the
starter, and only here:

- models draw their initial weights from NumPy's *global* generator, in the starter's
  order (``W1``, ``W2``, ...), so ``np.random.seed(231)`` reproduces published outputs;
- ``FullyConnectedNet(..., seed=s)`` fixes the dropout masks, so ``loss()`` is a
  deterministic function of the parameters and a numerical gradient check works;
- ``dropout_forward`` draws its mask from the global generator (after
  ``np.random.seed(dropout_param['seed'])`` when a seed is given);
- ``batchnorm_forward`` starts missing running statistics at zeros, and so do the
  batch-norm layers of ``FullyConnectedNet``;
- ``spatial_groupnorm_forward`` ignores the ``'mode'`` key the notebooks pass it;
- the ``Solver`` takes the starter's keyword arguments and seeds its minibatch stream
  from the global generator.

Typical use, as the first cell of an official notebook::

    import cs231nbook.compat; cs231nbook.compat.install()

or, from a shell, ``python -m cs231nbook.compat run FullyConnectedNets.ipynb``.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

__all__ = ["MODULES", "install", "installed", "uninstall"]

#: The names ``install`` makes importable, each mapped to the module that backs it.
MODULES: dict[str, str] = {
    "cs231n": "cs231nbook.compat.cs231n",
    "cs231n.layers": "cs231nbook.compat.cs231n.layers",
    "cs231n.fast_layers": "cs231nbook.compat.cs231n.fast_layers",
    "cs231n.layer_utils": "cs231nbook.compat.cs231n.layer_utils",
    "cs231n.optim": "cs231nbook.compat.cs231n.optim",
    "cs231n.solver": "cs231nbook.compat.cs231n.solver",
    "cs231n.gradient_check": "cs231nbook.compat.cs231n.gradient_check",
    "cs231n.data_utils": "cs231nbook.compat.cs231n.data_utils",
    "cs231n.vis_utils": "cs231nbook.compat.cs231n.vis_utils",
    "cs231n.classifiers": "cs231nbook.compat.cs231n.classifiers",
    "cs231n.classifiers.fc_net": "cs231nbook.compat.cs231n.classifiers.fc_net",
    "cs231n.classifiers.cnn": "cs231nbook.compat.cs231n.classifiers.cnn",
}

# What sys.modules held under each alias before install(), restored by uninstall().
_displaced: dict[str, ModuleType] = {}


def installed() -> bool:
    """Whether ``import cs231n`` currently resolves to this module tree."""
    return all(
        sys.modules.get(alias) is sys.modules.get(target) is not None
        for alias, target in MODULES.items()
    )


def install() -> None:
    """Make ``import cs231n...`` resolve to ``cs231nbook.compat.cs231n``.

    Idempotent. A ``cs231n`` package imported before (for example a student's own) is
    set aside, not deleted, and comes back with :func:`uninstall`. Modules imported
    afterwards under the ``cs231n`` names get this tree even if a ``cs231n/`` folder
    lies next to the notebook, because Python looks in ``sys.modules`` first.
    """
    if installed():
        return
    for alias, target in MODULES.items():
        module = importlib.import_module(target)
        previous = sys.modules.get(alias)
        if previous is not None and previous is not module and alias not in _displaced:
            _displaced[alias] = previous
        sys.modules[alias] = module
    # Submodules of a student's cs231n that we do not provide would otherwise be found
    # through their package's __path__; they are set aside too.
    for name in [n for n in sys.modules if n.startswith("cs231n.") and n not in MODULES]:
        _displaced[name] = sys.modules.pop(name)


def uninstall() -> None:
    """Undo :func:`install`: the ``cs231n`` names resolve as they did before it."""
    for alias, target in MODULES.items():
        if sys.modules.get(alias) is sys.modules.get(target):
            del sys.modules[alias]
    sys.modules.update(_displaced)
    _displaced.clear()
