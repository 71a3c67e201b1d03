"""Train a model from the command line: ``python -m cs231nbook.train --help``.

Trains a fully-connected net, a three-layer conv net or a deep conv net with
:class:`cs231nbook.solver.Solver`, on the bundled 8x8 digits (the default, offline)
or on CIFAR-10 from the official files (``--cifar10 DIR``), prints the Solver's
progress and the final training, validation and test accuracies, and optionally
saves a checkpoint after every epoch (``--checkpoint``) and a plot of the curves
(``--plot``). An interrupted run continues exactly where it stopped with
``--resume``: give the same options and the checkpoint it wrote.

Examples
--------
::

    python -m cs231nbook.train --model deep --batchnorm --epochs 10
    python -m cs231nbook.train --model threelayer --num-filters 32 --filter-size 7 \\
        --cifar10 ~/data --epochs 5 --checkpoint cifar.npz --plot cifar.png
    # interrupted? the same command with --resume continues from the last epoch saved
    python -m cs231nbook.train --model threelayer --num-filters 32 --filter-size 7 \\
        --cifar10 ~/data --epochs 5 --checkpoint cifar.npz --plot cifar.png --resume cifar.npz

:func:`main` takes the argument list, so the command can also be run (and
tested) from Python: ``main(["--epochs", "1"])``.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from .checkpoint import read_checkpoint
from .classifiers import DeepConvNet, FullyConnectedNet, ThreeLayerConvNet
from .optim import UPDATE_RULES
from .solver import Solver, TrainingDivergedError

# --- argument types: each raises ArgumentTypeError, which argparse reports as a usage error -----


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {value}")
    return value


def _nonnegative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0; got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0; got {value}")
    return value


def _number(text: str, positive: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number; got {text!r}") from None
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        what = "a positive number" if positive else "a number >= 0"
        raise argparse.ArgumentTypeError(f"expected {what}; got {text}")
    return value


def _positive_float(text: str) -> float:
    return _number(text, positive=True)


def _decay(text: str) -> float:
    value = _number(text, positive=True)
    if value > 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1]; got {text}")
    return value


def _nonnegative_float(text: str) -> float:
    return _number(text, positive=False)


def _weight_scale(text: str) -> float | str:
    if text == "kaiming":
        return text
    try:
        return _number(text, positive=True)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected a positive number or 'kaiming'; got {text!r}"
        ) from None


def build_parser() -> argparse.ArgumentParser:
    """The command's argument parser (``--help`` lists every option with its default)."""
    parser = argparse.ArgumentParser(
        prog="python -m cs231nbook.train",
        description=(
            "Train a classifier with the cs231nbook Solver on the bundled 8x8 digits (default) "
            "or on CIFAR-10, print the progress and the final accuracies."
        ),
        epilog=(
            "CIFAR-10 pixels stay on the 0..255 scale, as in CS231n (only the mean image is "
            "subtracted): with Kaiming weights use --batchnorm or a small --lr there."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    model = parser.add_argument_group("model")
    model.add_argument(
        "--model",
        choices=["fc", "threelayer", "deep"],
        default="threelayer",
        help="fully-connected net, three-layer conv net or VGG-style deep conv net",
    )
    model.add_argument(
        "--hidden-dims",
        type=_positive_int,
        nargs="+",
        default=[100, 100],
        metavar="D",
        help="fc: widths of the hidden layers",
    )
    model.add_argument(
        "--num-filters",
        type=_positive_int,
        nargs="+",
        default=None,
        metavar="F",
        help="threelayer: one filter count (default 32); deep: one per conv layer "
        "(default 16 32 64)",
    )
    model.add_argument(
        "--filter-size",
        type=_positive_int,
        default=3,
        help="threelayer: odd filter size (stride 1, size-preserving pad)",
    )
    model.add_argument(
        "--hidden-dim",
        type=_positive_int,
        default=100,
        help="threelayer: width of the hidden affine layer",
    )
    model.add_argument(
        "--max-pools",
        type=_nonnegative_int,
        nargs="*",
        default=None,
        metavar="I",
        help="deep: indices (from 0) of the conv layers followed by a 2x2 max "
        "pool (default: every layer)",
    )
    model.add_argument(
        "--batchnorm",
        action="store_true",
        help="fc, deep: batch normalization after every hidden layer",
    )
    model.add_argument(
        "--weight-scale",
        type=_weight_scale,
        default="kaiming",
        help="std of the initial weights, or 'kaiming' for sqrt(2 / fan_in)",
    )
    model.add_argument(
        "--reg",
        type=_nonnegative_float,
        default=0.0,
        help="L2 strength: the loss gains 0.5 * reg * sum(W**2)",
    )
    model.add_argument(
        "--dtype",
        choices=["float32", "float64"],
        default="float32",
        help="of the parameters and the computation (float64 is slower, for checks)",
    )

    training = parser.add_argument_group("training")
    training.add_argument(
        "--epochs", type=_positive_int, default=10, help="passes over the training set"
    )
    training.add_argument(
        "--batch-size", type=_positive_int, default=50, help="examples per minibatch"
    )
    training.add_argument(
        "--update-rule",
        choices=sorted(UPDATE_RULES),
        default="adam",
        help="a rule from cs231nbook.optim",
    )
    training.add_argument("--lr", type=_positive_float, default=1e-3, help="learning rate")
    training.add_argument(
        "--lr-decay",
        type=_decay,
        default=1.0,
        help="factor in (0, 1] applied to the learning rate after every epoch",
    )
    training.add_argument(
        "--seed",
        type=_nonnegative_int,
        default=0,
        help="seeds the initial weights and the minibatch order",
    )
    training.add_argument(
        "--print-every",
        type=_positive_int,
        default=None,
        metavar="N",
        help="also print the minibatch loss every N iterations",
    )
    training.add_argument("--quiet", action="store_true", help="no per-epoch progress lines")

    data = parser.add_argument_group("data and output")
    data.add_argument(
        "--cifar10",
        metavar="DIR",
        default=None,
        help="train on CIFAR-10 read from DIR (holding cifar-10-batches-bin or "
        "cifar-10-batches-py) instead of the bundled digits",
    )
    data.add_argument(
        "--num-training",
        type=_positive_int,
        default=49000,
        help="CIFAR-10: the first N training images train",
    )
    data.add_argument(
        "--num-validation",
        type=_positive_int,
        default=1000,
        help="CIFAR-10: the next N training images validate",
    )
    data.add_argument(
        "--num-test",
        type=_positive_int,
        default=1000,
        help="CIFAR-10: the first N test images test",
    )
    data.add_argument(
        "--checkpoint",
        metavar="PATH",
        default=None,
        help="save the run's whole state (Solver's .npz format) to PATH after every epoch, "
        "replacing it, so that an interrupted run can be continued with --resume PATH",
    )
    data.add_argument(
        "--resume",
        metavar="PATH",
        default=None,
        help="continue the run saved in the checkpoint PATH (give the options it was started "
        "with; --epochs may be larger, to extend it); it ends exactly as the uninterrupted run "
        "would have",
    )
    data.add_argument(
        "--plot",
        metavar="PATH",
        default=None,
        help="save the loss and accuracy curves as an image (needs matplotlib)",
    )
    return parser


def _check_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Report options that do not apply to the chosen model, instead of ignoring them."""
    if args.batchnorm and args.model == "threelayer":
        parser.error("--batchnorm applies to --model fc or deep, not threelayer")
    if args.max_pools is not None and args.model != "deep":
        parser.error(f"--max-pools applies to --model deep, not {args.model}")
    if args.num_filters is not None and args.model == "fc":
        parser.error("--num-filters applies to --model threelayer or deep, not fc")
    if args.model == "threelayer" and args.num_filters is not None and len(args.num_filters) != 1:
        parser.error(f"--model threelayer takes one --num-filters value; got {args.num_filters}")
    if args.plot is not None:
        try:  # now, not after a long training run
            import matplotlib  # noqa: F401
        except ImportError:
            parser.error("--plot needs matplotlib: pip install matplotlib (or cs231nbook[book])")
    # Output paths are checked before training, not after it.
    for option, path in (("--checkpoint", args.checkpoint), ("--plot", args.plot)):
        if path is not None:
            problem = _unwritable(path)
            if problem:
                parser.error(f"argument {option}: {problem}")
    if args.plot is not None:
        from matplotlib.backend_bases import FigureCanvasBase

        extension = os.path.splitext(args.plot)[1].lstrip(".").lower() or "png"
        formats = FigureCanvasBase.get_supported_filetypes()
        if extension not in formats:
            parser.error(
                f"argument --plot: matplotlib cannot write .{extension} files; "
                f"use one of {', '.join(sorted(formats))}"
            )
    if args.resume is not None:
        if os.path.isdir(args.resume):
            parser.error(f"argument --resume: {args.resume!r} is a directory, not a file")
        if not os.path.isfile(args.resume):  # a file that cannot be read: OSError in main
            parser.error(f"argument --resume: no such file: {args.resume!r}")


def _unwritable(path: str) -> str | None:
    """Why a file cannot be written at ``path``, or None if it can."""
    if os.path.isdir(path):
        return f"{path!r} is a directory, not a file"
    directory = os.path.dirname(os.path.realpath(path))  # a link's target is written
    if not os.path.isdir(directory):
        return f"the directory {directory!r} does not exist"
    try:
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        return f"cannot write in the directory {directory!r} ({error.strerror})"
    return None


def load_data(args: argparse.Namespace) -> dict[str, np.ndarray]:
    """The digits, or CIFAR-10 if ``--cifar10`` was given, in the model's dtype."""
    from .data import get_cifar10_data, load_digits

    if args.cifar10 is None:
        return load_digits(dtype=args.dtype)
    return get_cifar10_data(
        args.cifar10,
        num_training=args.num_training,
        num_validation=args.num_validation,
        num_test=args.num_test,
        dtype=args.dtype,
    )


def build_model(args: argparse.Namespace, input_dims: tuple[int, ...], num_classes: int) -> Any:
    """The model the options describe (raises ValueError/TypeError on an inconsistent one)."""
    common = {"num_classes": num_classes, "reg": args.reg, "dtype": args.dtype, "seed": args.seed}
    if args.model == "threelayer":
        filters = 32 if args.num_filters is None else args.num_filters[0]
        return ThreeLayerConvNet(
            input_dim=input_dims,
            num_filters=filters,
            filter_size=args.filter_size,
            hidden_dim=args.hidden_dim,
            weight_scale=args.weight_scale,
            **common,
        )
    if args.model == "deep":
        filters = [16, 32, 64] if args.num_filters is None else args.num_filters
        pools = list(range(len(filters))) if args.max_pools is None else args.max_pools
        return DeepConvNet(
            input_dims=input_dims,
            num_filters=filters,
            max_pools=pools,
            batchnorm=args.batchnorm,
            weight_scale=args.weight_scale,
            **common,
        )
    return FullyConnectedNet(
        args.hidden_dims,
        input_dim=int(np.prod(input_dims)),
        normalization="batchnorm" if args.batchnorm else None,
        weight_scale=args.weight_scale,  # a number or 'kaiming', as every model takes
        **common,
    )


def _resume_hint(args: argparse.Namespace, solver: Solver) -> str:
    """How to continue an interrupted run: the checkpoint file that holds its last epoch.

    ``--checkpoint`` (or else ``--resume``) qualifies if it holds an epoch of
    this very run (its losses are the first ones of this run), whatever the
    moment of the interruption, even during the checkpoint's own writing.
    """
    for path in (args.checkpoint, args.resume):
        if path is None:
            continue
        try:
            saved = read_checkpoint(path)
        except (OSError, ValueError):
            continue
        if saved.epoch > 0 and saved.loss_history == solver.loss_history[: saved.iteration]:
            return f"; {path} holds epoch {saved.epoch}: continue with --resume {path}"
    return " (use --checkpoint PATH to be able to continue an interrupted run)"


def save_plot(solver: Solver, path: str, title: str) -> None:
    """Loss per iteration and accuracies per epoch, side by side, saved to ``path``."""
    from matplotlib.figure import Figure  # no pyplot: works without any display
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(10, 4), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    ax_loss.plot(solver.loss_history, lw=0.8)
    ax_loss.set(xlabel="iteration", ylabel="training loss (minibatch)", title="loss")
    epochs = np.arange(len(solver.val_acc_history))
    ax_acc.plot(epochs, solver.train_acc_history, "o-", label="train")
    ax_acc.plot(epochs, solver.val_acc_history, "o-", label="validation")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy", ylim=(0, 1.02))
    ax_acc.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_acc.legend()
    fig.suptitle(title)
    fig.savefig(path, dpi=100)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with the arguments ``argv`` (default: ``sys.argv[1:]``).

    Returns the exit status: 0 on success, 1 when the data cannot be read, a
    file cannot be written or training diverges, 130 when interrupted (Ctrl-C).
    Invalid options, unwritable output paths and a checkpoint that does not fit
    exit with status 2 and a usage message (``SystemExit``, from argparse), as
    does ``--help`` with status 0. Every failure is one line on stderr that
    names the option concerned, never a traceback.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_options(parser, args)

    def fail(message: str, status: int = 1) -> int:
        print(f"{parser.prog}: error: {message}", file=sys.stderr)
        return status

    try:
        data = load_data(args)
    except (OSError, ValueError) as error:
        return fail(f"cannot read the data: {error}")
    input_dims = data["X_train"].shape[1:]
    num_classes = int(max(data["y_train"].max(), data["y_val"].max())) + 1
    try:
        model = build_model(args, input_dims, num_classes)
    except (TypeError, ValueError) as error:
        parser.error(str(error))

    name = "CIFAR-10" if args.cifar10 else "digits"
    num_params = sum(p.size for p in model.params.values())
    print(
        f"{type(model).__name__} with {num_params} parameters on {name}: "
        f"{len(data['X_train'])} training images of shape {input_dims}"
    )
    try:
        solver = Solver(
            model,
            data,
            update_rule=args.update_rule,
            optim_config={"learning_rate": args.lr},
            lr_decay=args.lr_decay,
            batch_size=args.batch_size,
            num_epochs=args.epochs,
            print_every=args.print_every,
            verbose=not args.quiet,
            seed=args.seed,
            checkpoint_path=args.checkpoint,
        )
    except (TypeError, ValueError) as error:
        parser.error(str(error))
    if args.resume is not None:
        try:
            restored = solver.restore(args.resume)
        except (OSError, ValueError) as error:
            parser.error(f"argument --resume: {error}")
        print(f"resumed from {args.resume} after epoch {restored.epoch}")
    first_epoch = solver.epoch + 1
    start = time.perf_counter()
    try:
        solver.train()
    except TrainingDivergedError as error:
        return fail(str(error))
    except OSError as error:  # only the checkpoint is written during training
        return fail(f"argument --checkpoint: cannot write {args.checkpoint!r}: {error}")
    except KeyboardInterrupt:
        return fail(f"interrupted after epoch {solver.epoch}{_resume_hint(args, solver)}", 130)
    seconds = time.perf_counter() - start

    accuracies = {
        split: solver.check_accuracy(data[f"X_{split}"], data[f"y_{split}"])
        for split in ("train", "val", "test")
    }
    if solver.epoch < first_epoch:
        trained = f"nothing left to train (the run had reached epoch {solver.epoch})"
    elif solver.epoch == first_epoch:
        trained = f"trained epoch {solver.epoch} in {seconds:.1f} s"
    else:
        trained = f"trained epochs {first_epoch} to {solver.epoch} in {seconds:.1f} s"
    best = int(np.argmax(solver.val_acc_history))
    print(f"{trained}; best validation accuracy at epoch {best}")
    print("final accuracy: " + "  ".join(f"{k} {v:.4f}" for k, v in accuracies.items()))
    if args.checkpoint is not None:
        print(f"checkpoint of epoch {solver.epoch} saved to {args.checkpoint}")
    if args.plot is not None:
        try:
            save_plot(solver, args.plot, f"{type(model).__name__} on {name}")
        except (OSError, ValueError) as error:
            return fail(f"argument --plot: cannot write {args.plot!r}: {error}")
        print(f"plot saved to {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
