"""Seed to latent: the one generator that ganzoo, ganzoo-edge and the exported web page share.

The same seed draws the same pictures in ``ganzoo sample``, ``ganzoo-edge`` and a page made by
``ganzoo export --format web``, so the rule is written down here, exactly, and implemented twice:
in numpy (this module) and in JavaScript (``latents.js`` beside it, for browsers, whose
JavaScript has no numpy). tests/test_latents.py runs both and holds them equal.

Latent row ``index`` of seed ``seed`` (both integers in [0, 2**64)) is read from its own stream,
so a picture depends on its seed and index only, never on how many are drawn or in what batches:

1. Words: Philox4x64-10 (Salmon, Moraes, Dror & Shaw, "Parallel Random Numbers: As Easy as 1, 2,
   3", SC 2011, https://doi.org/10.1145/2063384.2063405), as numpy's `numpy.random.Philox`
   implements it, with the 128-bit key whose low 64 bits are ``seed`` and high 64 bits
   ``index``, counter 0: its 64-bit words w0, w1, ... in `Philox.random_raw` order (the block
   of counter 1 first, its four words in order, then counter 2, ...).
2. Uniforms, one pair per two words: u1 = ((w[2j] >> 11) + 0.5) / 2**53, in (0, 1), and
   u2 = (w[2j + 1] >> 11) / 2**53, in [0, 1).
3. Normals by Box and Muller ("A Note on the Generation of Random Normal Deviates", Ann. Math.
   Statist. 29, 1958): with r = sqrt(-2 ln u1) and t = 2 pi u2, entries 2j and 2j + 1 of the
   stream are r cos t and r sin t, computed in float64 and rounded to float32.
4. The row is the stream's first ``latent_dim`` entries. With truncation ``psi`` (BigGAN's
   trick: Brock, Donahue & Simonyan, ICLR 2019, section 3.1), every entry whose magnitude
   exceeds ``psi`` is replaced, in entry order, by the stream's next entries, and again until
   none does.

Why not numpy's own normal generator: it cannot run in a browser, and its algorithm is numpy's
to change. Box-Muller needs only a logarithm, a square root, a sine and a cosine, which every
language has; float64 results of the two implementations can differ in the last bit, so the
float32 values agree except when a float64 value sits that close to a float32 rounding boundary
(none in the million entries tests/test_latents.py compares).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ganzoo_edge._errors import EdgeError

__all__ = ["MAX_SEED", "LatentStream", "latents", "read_latents"]

MAX_SEED = 2**64 - 1
_TWO_53 = float(2**53)


class LatentStream:
    """The normal entries of latent row `index` of `seed`, in order (see the module docstring)."""

    def __init__(self, seed: int, index: int) -> None:
        for name, value in (("seed", seed), ("index", index)):
            if not 0 <= int(value) <= MAX_SEED:
                raise ValueError(f"{name} must be an integer in [0, 2**64). "
                                 f"Received: {name}={value}.")
        self._words = np.random.Philox(key=int(seed) | (int(index) << 64))
        self._spare = np.empty(0, np.float32)

    def take(self, count: int) -> np.ndarray:
        """The next `count` entries, float32."""
        spare, self._spare = self._spare, np.empty(0, np.float32)
        pairs = (count - len(spare) + 1) // 2
        words = self._words.random_raw(2 * pairs).reshape(pairs, 2)
        u1 = ((words[:, 0] >> np.uint64(11)).astype(np.float64) + 0.5) / _TWO_53
        u2 = (words[:, 1] >> np.uint64(11)).astype(np.float64) / _TWO_53
        radius, angle = np.sqrt(-2.0 * np.log(u1)), 2.0 * np.pi * u2
        fresh = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
        entries = np.concatenate([spare, fresh.reshape(-1).astype(np.float32)])
        # Entries come in pairs; one left over is the stream's next.
        self._spare = entries[count:]
        return entries[:count]

    def row(self, latent_dim: int, truncation: float | None = None) -> np.ndarray:
        """The latent: the first `latent_dim` entries, with entries beyond `truncation` in
        magnitude replaced by the next ones until none is left."""
        z = self.take(latent_dim)
        if truncation is None:
            return z
        outside = np.flatnonzero(np.abs(z) > truncation)
        while outside.size:
            z[outside] = self.take(outside.size)
            outside = outside[np.abs(z[outside]) > truncation]
        return z


def latents(indices: Iterable[int], latent_dim: int, seed: int,
            truncation: float | None = None) -> np.ndarray:
    """Float32 latents ``[len(indices), latent_dim]``: row i is `LatentStream(seed, i).row`."""
    indices = list(indices)
    rows = np.empty((len(indices), latent_dim), np.float32)
    for row, index in enumerate(indices):
        rows[row] = LatentStream(seed, int(index)).row(latent_dim, truncation)
    return rows


def read_latents(path, latent_dim: int) -> np.ndarray:
    """The latents saved in the .npy file `path` (``ganzoo project`` writes them; so does
    ``numpy.save``) as float32 ``[n, latent_dim]``: one latent ``[latent_dim]`` or a stack of
    them. Raises `EdgeError` (one line) for a missing or unreadable file, a shape that does not
    fit the generator, or values that are not finite."""
    try:
        with open(path, "rb") as handle:
            array = np.load(handle, allow_pickle=False)
    except FileNotFoundError:
        raise EdgeError(f"--latents: no such file: {str(path)!r}.") from None
    except (OSError, ValueError) as error:
        raise EdgeError(f"--latents {str(path)!r} is not a .npy array of numbers "
                        f"({error}); write one with numpy.save.") from None
    if array.ndim == 1:
        array = array[None]
    if array.ndim != 2 or array.shape[1] != latent_dim or not len(array) \
            or not np.issubdtype(array.dtype, np.number):
        raise EdgeError(f"--latents {str(path)!r} must hold numbers of shape [n, {latent_dim}] "
                        f"or [{latent_dim}] for this generator. Received: shape "
                        f"{tuple(array.shape)}, dtype {array.dtype}.")
    latents = array.astype(np.float32)
    if not np.isfinite(latents).all():
        raise EdgeError(f"--latents {str(path)!r} holds values that are not finite (NaN or "
                        f"infinity).")
    return latents
