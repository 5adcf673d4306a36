"""Spectral distance: how far the frequency content of generated pictures is from real ones.

Durall, Keuper & Keuper, "Watch your Up-Convolution: CNN Based Generative Deep Neural Networks
are Failing to Reproduce Spectral Distributions", CVPR 2020. https://arxiv.org/abs/2003.01826
Official code: https://github.com/cc-hpc-itwm/UpConv

As in the paper, each picture becomes a one-dimensional spectrum: its grey levels are Fourier
transformed and the power is averaged over rings of equal spatial frequency (the azimuthal
average). Upsampling layers and strided convolutions leave periodic patterns (a lattice every
8 pixels, a checkerboard) that show as peaks at their frequency and its harmonics, which a
feature network that pools them away can miss.

ganzoo's distance, with its deviations named:
- A set's spectrum is the mean power of its pictures per ring, then its base-10 logarithm (the
  paper min-max normalises each picture's log spectrum for its classifier; a normalised curve
  cannot see that a whole band is too weak or too strong).
- The distance is the mean absolute difference of two sets' log spectra over the rings from
  frequency 1 to the Nyquist frequency (side / 2), leaving out the mean brightness (ring 0,
  which colour metrics see) and the corners beyond Nyquist (rings there are incomplete). Its
  unit is decades of power: 0.3 means the power differs by a factor of 2 on average.
- Grey levels are ITU-R 601 luma, Pillow's ``L``, scaled to [0, 1].
"""

from __future__ import annotations

import numpy as np

__all__ = ["distance", "log_spectrum", "radial_power", "spectral_distance"]

# Keeps the logarithm finite for a ring without power (a flat picture); far below the power of
# one grey level of difference over a 28x28 picture.
_FLOOR = 1e-12
_BATCH = 256


def _grey(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] not in (1, 3) or images.dtype != np.uint8:
        raise ValueError(f"Expected uint8 images [n, height, width, 1 or 3]. Received: "
                         f"dtype={images.dtype}, shape={images.shape}.")
    if images.shape[1] != images.shape[2]:
        raise ValueError(f"The spectral distance needs square pictures. Received: "
                         f"{images.shape[1]}x{images.shape[2]}.")
    pixels = images.astype(np.float64)
    if images.shape[-1] == 3:  # Pillow's convert("L"): L = R * 299/1000 + G * 587/1000 + B * 114/1000
        pixels = pixels @ np.array([0.299, 0.587, 0.114])
    else:
        pixels = pixels[..., 0]
    return pixels / 255.0


def _rings(side: int) -> np.ndarray:
    """Each frequency's ring: its distance from the zero frequency, rounded to an integer."""
    frequencies = np.fft.fftfreq(side) * side
    return np.rint(np.hypot(*np.meshgrid(frequencies, frequencies, indexing="ij"))).astype(int)


def radial_power(images: np.ndarray) -> np.ndarray:
    """The azimuthally averaged power spectrum of each picture: ``[n, side // 2 + 1]``, ring
    0 (the mean) to the Nyquist frequency, power of grey levels in [0, 1]."""
    grey = _grey(images)
    side = grey.shape[1]
    rings = _rings(side).ravel()
    inside = rings <= side // 2
    # Averaging by a matrix product: ring membership, each row divided by its ring's size.
    average = np.zeros((int(inside.sum()), side // 2 + 1))
    average[np.arange(len(average)), rings[inside]] = 1.0
    average /= average.sum(axis=0)
    out = np.empty((len(grey), side // 2 + 1))
    for start in range(0, len(grey), _BATCH):
        power = np.abs(np.fft.fft2(grey[start:start + _BATCH])) ** 2 / side ** 4
        out[start:start + len(power)] = power.reshape(len(power), -1)[:, inside] @ average
    return out


def log_spectrum(images: np.ndarray) -> np.ndarray:
    """A set's spectrum: ``log10`` of its pictures' mean ring power, rings 1 to Nyquist."""
    return np.log10(radial_power(images).mean(axis=0)[1:] + _FLOOR)


def distance(spectrum_a: np.ndarray, spectrum_b: np.ndarray) -> float:
    """Mean absolute difference of two `log_spectrum`s (decades of power)."""
    return float(np.mean(np.abs(spectrum_a - spectrum_b)))


def spectral_distance(generated: np.ndarray, real: np.ndarray) -> float:
    """Mean absolute difference of the two sets' log spectra (decades of power), lower is
    better; real pictures against other real pictures give its floor.

    Args:
        generated, real: uint8 pictures ``[n, side, side, channels]`` of one size.
    """
    if np.shape(generated)[1:3] != np.shape(real)[1:3]:
        raise ValueError(f"Both sets must have pictures of one size. Received: "
                         f"{np.shape(generated)[1:3]} and {np.shape(real)[1:3]}.")
    return distance(log_spectrum(generated), log_spectrum(real))
