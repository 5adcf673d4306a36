"""argparse value types whose errors say what was expected (argparse exits with status 2)."""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, received {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, received {value}")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, received {text!r}")
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, received {value}")
    return value


def latent_seed(text: str) -> int:
    """A seed of latents: an integer from 0 to `ganzoo_edge.latents.MAX_SEED`."""
    from ganzoo_edge.latents import MAX_SEED  # only commands that draw latents parse a seed

    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"expected an integer from 0 to {MAX_SEED}, "
                                         f"received {text!r}")
    return value


def decay(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number from 0 up to (not including) 1, "
                                         f"received {text!r}")
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a number from 0 up to (not including) 1, "
                                         f"received {value}")
    return value
