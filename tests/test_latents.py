"""Seed to latent (`ganzoo_edge.latents` and its JavaScript twin): one rule for ganzoo, ganzoo-edge
and exported web pages, so the same seed draws the same picture in each."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from ganzoo_edge.latents import MAX_SEED, LatentStream, latents

TWIN = Path(__file__).resolve().parents[1] / "ganzoo-edge" / "ganzoo_edge" / "latents.js"
# CI installs Node.js and sets this, so the comparison with the browser's code never skips there.
NODE_REQUIRED = os.environ.get("GANZOO_REQUIRE_NODE") == "1"


def javascript_latents(tmp_path, count: int, latent_dim: int, seed: int,
                       truncation: float | None = None) -> np.ndarray:
    node = shutil.which("node")
    if node is None:
        if NODE_REQUIRED:
            pytest.fail("GANZOO_REQUIRE_NODE=1 but there is no `node` on PATH")
        pytest.skip("needs Node.js to run ganzoo_edge/latents.js")
    script = tmp_path / "draw.mjs"
    script.write_text(
        f"import {{ latents }} from {str(TWIN.as_uri())!r};\n"
        f"const z = latents([...Array({count}).keys()], {latent_dim}, {seed}n, "
        f"{'null' if truncation is None else truncation});\n"
        f"process.stdout.write(Buffer.from(z.buffer));\n")
    output = subprocess.run([node, str(script)], check=True, capture_output=True).stdout
    return np.frombuffer(output, np.float32).reshape(count, latent_dim)


def test_the_javascript_twin_draws_the_numpy_latents_bit_for_bit(tmp_path):
    # A million entries: float64 sines and logarithms may differ in their last bit between
    # languages, which would show here as a float32 entry one step apart.
    np.testing.assert_array_equal(javascript_latents(tmp_path, 4000, 256, 7),
                                  latents(range(4000), 256, 7))


def test_the_javascript_twin_truncates_and_takes_the_largest_seed_as_numpy_does(tmp_path):
    np.testing.assert_array_equal(javascript_latents(tmp_path, 40, 100, MAX_SEED, 0.7),
                                  latents(range(40), 100, MAX_SEED, truncation=0.7))


def test_a_latent_depends_on_its_seed_and_index_only():
    many = latents(range(10), 64, seed=3)
    np.testing.assert_array_equal(latents([7], 64, seed=3)[0], many[7])
    assert not np.array_equal(many[0], many[1])
    assert not np.array_equal(latents([0], 64, seed=4)[0], many[0])


def test_the_stream_reads_on_across_takes_of_any_size():
    stream = LatentStream(5, 2)
    np.testing.assert_array_equal(np.concatenate([stream.take(3), stream.take(6)]),
                                  LatentStream(5, 2).take(9))


def test_latents_are_standard_normal():
    z = latents(range(400), 256, seed=11).ravel().astype(np.float64)  # 102,400 entries
    assert z.dtype == np.float64 and abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    # The tails: 4.55 % of a standard normal lies beyond 2 (binomial sd here 0.07 %).
    assert abs(np.mean(np.abs(z) > 2) - 0.0455) < 0.003
    assert abs(np.corrcoef(z[:-1], z[1:])[0, 1]) < 0.01  # Box-Muller's pairs are independent


def test_truncation_redraws_only_the_entries_beyond_psi():
    plain, truncated = latents(range(50), 32, seed=1), latents(range(50), 32, seed=1,
                                                               truncation=0.5)
    assert np.abs(truncated).max() <= 0.5
    inside = np.abs(plain) <= 0.5
    np.testing.assert_array_equal(truncated[inside], plain[inside])
    assert not np.array_equal(truncated[~inside], plain[~inside])


@pytest.mark.parametrize("seed, index", [(-1, 0), (MAX_SEED + 1, 0), (0, -1)])
def test_a_seed_or_index_outside_64_bits_is_refused_by_name(seed, index):
    with pytest.raises(ValueError, match=r"must be an integer in \[0, 2\*\*64\)"):
        LatentStream(seed, index)


def test_ganzoo_sample_draws_the_edge_runners_latents():
    from ganzoo.sampling import latents as sampling_latents

    np.testing.assert_array_equal(sampling_latents(6, 20, 9), latents(range(6), 20, 9))
