"""The spectral distance (Durall et al. 2020) checked against its definition, and the damaged
rungs of the ladder checked for the damage they name."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from ganzoo.metrics import log_spectrum, spectral_distance
from ganzoo.metrics._ladder import blurred, jpeg, lattice, recoloured
from ganzoo.metrics._spectrum import radial_power


def pictures(seed: int, count: int = 6, side: int = 16, channels: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (count, side, side, channels),
                                                dtype=np.uint8)


def definition_radial_power(picture: np.ndarray) -> np.ndarray:
    """The azimuthal average written out: loop over every frequency, add its power to the ring
    at its rounded distance from zero frequency, divide by the ring's count."""
    grey = np.asarray(Image.fromarray(picture).convert("L"), np.float64) / 255
    side = grey.shape[0]
    transform = np.fft.fft2(grey)
    sums, counts = np.zeros(side // 2 + 1), np.zeros(side // 2 + 1)
    for u in range(side):
        for v in range(side):
            fu = u if u <= side // 2 else u - side
            fv = v if v <= side // 2 else v - side
            ring = int(round(np.hypot(fu, fv)))
            if ring <= side // 2:
                sums[ring] += abs(transform[u, v]) ** 2 / side ** 4
                counts[ring] += 1
    return sums / counts


def test_radial_power_is_the_azimuthal_average_of_each_pictures_power():
    images = pictures(0)
    expected = np.stack([definition_radial_power(image) for image in images])
    # Pillow rounds luma to whole grey levels; the metric does not, hence the tolerance.
    np.testing.assert_allclose(radial_power(images), expected, rtol=0.02, atol=1e-9)


def test_spectral_distance_is_the_mean_absolute_difference_of_log_mean_ring_power():
    a, b = pictures(1, side=32), pictures(2, side=32)
    power_a, power_b = radial_power(a).mean(0)[1:], radial_power(b).mean(0)[1:]
    expected = np.mean(np.abs(np.log10(power_a) - np.log10(power_b)))
    # rel 1e-6: the metric adds 1e-12 to each power before the logarithm, for flat pictures.
    assert spectral_distance(a, b) == pytest.approx(expected, rel=1e-6)
    assert spectral_distance(a, a) == 0.0
    assert spectral_distance(a, b) == pytest.approx(spectral_distance(b, a))


def test_a_sine_grating_puts_its_power_in_the_ring_of_its_frequency():
    side, frequency = 32, 5
    x = np.arange(side)
    grating = 127.5 + 100 * np.sin(2 * np.pi * frequency * x / side)
    image = np.repeat(np.tile(grating, (side, 1))[None, :, :, None], 3, -1).round().astype(np.uint8)
    spectrum = log_spectrum(image)  # rings 1..16
    assert spectrum.argmax() + 1 == frequency
    assert spectrum[frequency - 1] > spectrum[np.arange(len(spectrum)) != frequency - 1].max() + 3


def test_a_lattice_every_8_pixels_raises_power_at_its_harmonics_and_the_distance_sees_it():
    real = np.stack([np.asarray(Image.new("RGB", (64, 64), colour)) for colour in
                     ((250, 250, 250), (240, 200, 40), (20, 80, 200), (200, 30, 30))])
    faint = lattice(real)
    harmonics = [8 * k - 1 for k in (1, 2, 3, 4)]  # rings 8, 16, 24, 32 (index = ring - 1)
    assert np.all(log_spectrum(faint)[harmonics] > log_spectrum(real)[harmonics] + 2)
    assert spectral_distance(faint, real) > 1.0


def test_blur_lowers_high_frequencies_and_the_distance_grows_with_sigma():
    real = pictures(3, count=16, side=64)
    distances = [spectral_distance(blurred(real, sigma), real) for sigma in (1, 2, 3)]
    assert distances == sorted(distances) and distances[0] > 0.1
    assert log_spectrum(blurred(real, 2))[-1] < log_spectrum(real)[-1] - 1


def test_the_spectral_distance_refuses_pictures_of_two_sizes_and_non_square_pictures():
    with pytest.raises(ValueError, match="one size"):
        spectral_distance(pictures(0, side=16), pictures(0, side=32))
    with pytest.raises(ValueError, match="square"):
        spectral_distance(np.zeros((2, 8, 16, 3), np.uint8), np.zeros((2, 8, 16, 3), np.uint8))


def test_the_colour_rungs_rotate_hue_and_halve_saturation():
    red = np.zeros((1, 8, 8, 3), np.uint8)
    red[..., 0] = 255
    hsv = np.asarray(Image.fromarray(recoloured(red, hue_degrees=30)[0]).convert("HSV"))
    assert abs(int(hsv[0, 0, 0]) - round(30 * 256 / 360)) <= 1  # red (hue 0) moved 30 degrees
    pale = np.asarray(Image.fromarray(recoloured(red, saturation=0.5)[0]).convert("HSV"))
    assert abs(int(pale[0, 0, 1]) - 128) <= 1 and pale[0, 0, 0] == 0


def test_the_jpeg_rung_changes_pictures_and_keeps_their_shape():
    real = pictures(4, side=32)
    damaged = jpeg(real)
    assert damaged.shape == real.shape and damaged.dtype == np.uint8
    assert np.abs(damaged.astype(int) - real).mean() > 5
