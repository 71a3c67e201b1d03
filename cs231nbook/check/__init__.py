"""Check a student's own CS231n Assignment 2 code against cs231nbook.

``python -m cs231nbook.check PATH [--json FILE] [--timeout SECONDS]``, where PATH is the
assignment folder holding a ``cs231n/`` package in the starter's layout
(``cs231n/layers.py``, ``optim.py``, ``classifiers/fc_net.py``, ``classifiers/cnn.py``).

For every function it finds (every layer forward and backward, the naive convolution and
pooling, the spatial normalizations, the two losses, the update rules,
``FullyConnectedNet`` and ``ThreeLayerConvNet``) it compares, in float64:

- forward values with cs231nbook's, on geometries that catch the classic bugs (stride 2,
  pad 0 and 2, non-square inputs, overlapping pools, a batch of one, scores of size 1000);
- each gradient (``dx``, ``dw``, ``db``, ``dgamma`` ...) with cs231nbook's, computed on
  the same inputs, and, where the student's forward pass gives cs231nbook's output, with
  the numerical gradient of that forward pass (a wrong forward pass is reported where it
  is, and a right backward pass that reads its cache is not failed for it);
- batch norm's running statistics and test mode; dropout's semantics (``p`` keeps,
  inverted scaling, identity at test time); several steps of each update rule;
- that inputs are not modified (an update rule may change ``w`` in place, as the starter's
  own ``sgd`` does);
- the models' loss and gradients with the student's parameters copied into cs231nbook's
  (and the same running statistics in both); a seeded dropout net against its own
  numerical gradient.

Each function runs in its own process with a time limit, so a crash or a hang is reported
and the rest still run; bytecode writing is off, so nothing is written into PATH. The
report names, for a failure, the worst relative error, the first failing case with its
shapes and parameters, a hint (``"dw wrong for 'stride 2, pad 1' and 'batch of 1' only
(the cases with stride 2)"``, or a diagnosis such as ``"the bias is not added"``) and the
chapter and section of the book that derives the function; a model's failure also names
the student's layers it calls that fail their own checks. Exit status: 0 when nothing failed, 1 when
something failed, errored or timed out, 2 on a usage error. A function absent from the
student's module is reported ``missing`` and does not fail the run.
"""

from .runner import Verdict, run_checks

__all__ = ["Verdict", "run_checks"]
