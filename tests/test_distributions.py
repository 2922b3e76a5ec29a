"""Distributions against scipy.stats, and the reproducibility of the sampling streams."""

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from stuntsim.risk import (
    BLOCK_SIZE,
    Fixed,
    LogNormal,
    Normal,
    Triangular,
    TruncatedNormal,
    Uniform,
    block_uniforms,
    draw,
    plan_chunks,
    stable_hash,
    uniforms,
)

U = np.array([1e-12, 1e-6, 0.001, 0.02, 0.25, 0.5, 0.7, 0.975, 0.999, 1 - 1e-9])

# (our distribution, the same law in scipy.stats)
PAIRS = [
    (Uniform(2.0, 5.0), stats.uniform(loc=2.0, scale=3.0)),
    (Normal(1.25, 0.46), stats.norm(loc=1.25, scale=0.46)),
    (TruncatedNormal(0.8, 0.1, 0.0, 1.0), stats.truncnorm(-8.0, 2.0, loc=0.8, scale=0.1)),
    (TruncatedNormal(0.8, 0.1, 0.75, math.inf), stats.truncnorm(-0.5, np.inf, 0.8, 0.1)),
    (TruncatedNormal(0.0, 1.0, -math.inf, -3.0), stats.truncnorm(-np.inf, -3.0)),
    # far in a tail, where the naive (Φ(x) − Φ(a)) / (Φ(b) − Φ(a)) is 0/0
    (TruncatedNormal(0.0, 1.0, 10.0, 12.0), stats.truncnorm(10.0, 12.0)),
    (TruncatedNormal(0.0, 1.0, -40.0, -39.0), stats.truncnorm(-40.0, -39.0)),
    # reaction time, Fambro et al. 1998 fit (REFERENCES.md): median e^0.01 s, σ 0.42
    (LogNormal(math.exp(0.01), 0.42), stats.lognorm(s=0.42, scale=math.exp(0.01))),
    (Triangular(0.5, 0.6, 0.8), stats.triang(c=0.1 / 0.3, loc=0.5, scale=0.3)),
    (Triangular(0.0, 0.0, 1.0), stats.triang(c=0.0, loc=0.0, scale=1.0)),
    (Triangular(0.0, 1.0, 1.0), stats.triang(c=1.0, loc=0.0, scale=1.0)),
]
IDS = [repr(d) for d, _ in PAIRS]


@pytest.mark.parametrize(("dist", "reference"), PAIRS, ids=IDS)
def test_ppf_matches_scipy(dist, reference):
    # The tolerance allows for the float spacing of x itself near a bound of the
    # support (e.g. x ≈ 10 for u = 1e-12 in the 10–12 σ truncated normal).
    np.testing.assert_allclose(dist.ppf(U), reference.ppf(U), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(("dist", "reference"), PAIRS, ids=IDS)
def test_cdf_matches_scipy(dist, reference):
    x = reference.ppf(U[2:-1])  # away from the extreme tails, where x itself is coarse
    np.testing.assert_allclose(dist.cdf(x), reference.cdf(x), rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize(("dist", "reference"), PAIRS, ids=IDS)
def test_moments_and_support_match_scipy(dist, reference):
    assert dist.expected_value == pytest.approx(reference.mean(), rel=1e-9)
    assert dist.median == pytest.approx(reference.median(), rel=1e-9)
    lo, hi = dist.support
    assert (lo, hi) == pytest.approx(reference.support())


@pytest.mark.parametrize(("dist", "reference"), PAIRS, ids=IDS)
def test_ppf_stays_in_support_and_is_nan_outside_unit_interval(dist, reference):
    x = dist.ppf(np.linspace(0.0, 1.0, 101))
    lo, hi = dist.support
    assert np.all((x >= lo) & (x <= hi))
    assert np.all(np.diff(x) >= 0)
    assert np.isnan(dist.ppf(np.array([-0.1, 1.1]))).all()


@pytest.mark.parametrize(("dist", "reference"), PAIRS, ids=IDS)
def test_standard_normal_round_trip(dist, reference):
    z = np.linspace(-5.0, 5.0, 41)
    x = dist.from_standard_normal(z)
    # u = Φ(z) → x = ppf(u) is the definition
    np.testing.assert_allclose(x, reference.ppf(stats.norm.cdf(z)), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(dist.to_standard_normal(x), z, rtol=1e-6, atol=1e-6)


def test_fixed():
    dist = Fixed(3.0)
    np.testing.assert_array_equal(dist.ppf(np.array([0.01, 0.5, 0.99])), 3.0)
    np.testing.assert_array_equal(dist.cdf(np.array([2.9, 3.0, 3.1])), [0.0, 1.0, 1.0])
    assert (dist.expected_value, dist.median, dist.support) == (3.0, 3.0, (3.0, 3.0))
    # z is clipped, so a Fixed input is finite in standard-normal space
    assert np.all(np.isfinite(dist.to_standard_normal(np.array([2.0, 3.0, 4.0]))))
    np.testing.assert_array_equal(dist.from_standard_normal(np.array([-40.0, 0.0, 40.0])), 3.0)


def test_bounded_distributions_are_finite_at_extreme_z():
    for dist in (Uniform(0.0, 1.0), Triangular(0.0, 0.3, 1.0), TruncatedNormal(0, 1, -1, 1)):
        x = dist.from_standard_normal(np.array([-50.0, 50.0]))
        # u is clipped to [U_MIN, 1 − 2⁻⁵³]; the triangle's ppf near 1 is 1 − √(2⁻⁵³·0.7)
        np.testing.assert_allclose(x, dist.support, rtol=0, atol=1e-8)
        assert np.all(np.isfinite(dist.to_standard_normal(np.array([-1.0, 5.0]))))


def test_shifted_moves_the_nominal_and_keeps_the_spread():
    assert Normal(10.0, 2.0).shifted(5.0) == Normal(15.0, 2.0)
    assert Uniform(-1.0, 1.0).shifted(3.0) == Uniform(2.0, 4.0)
    assert Triangular(0.0, 1.0, 3.0).shifted(1.0) == Triangular(1.0, 2.0, 4.0)
    assert TruncatedNormal(0.0, 1.0, -2.0, 2.0).shifted(1.0) == TruncatedNormal(1.0, 1.0, -1.0, 3.0)


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: Normal(0.0, 0.0), "sd must be > 0"),
        (lambda: Normal(0.0, -1.0), "sd must be > 0"),
        (lambda: Normal(math.nan, 1.0), "mean must be finite"),
        (lambda: Normal("1", 1.0), "mean must be a number"),
        (lambda: Normal(True, 1.0), "mean must be a number"),
        (lambda: Uniform(1.0, 1.0), "need low < high"),
        (lambda: Uniform(2.0, 1.0), "need low < high"),
        (lambda: Uniform(0.0, math.inf), "high must be finite"),
        (lambda: TruncatedNormal(0.0, 1.0, 1.0, -1.0), "need low < high"),
        (lambda: TruncatedNormal(0.0, 0.0, -1.0, 1.0), "sd must be > 0"),
        (lambda: TruncatedNormal(0.0, 1.0, math.nan, 1.0), "low must be a number"),
        (lambda: LogNormal(0.0, 0.4), "median must be > 0"),
        (lambda: LogNormal(1.0, -0.4), "sigma must be > 0"),
        (lambda: Triangular(0.0, 2.0, 1.0), "low ≤ mode ≤ high"),
        (lambda: Triangular(1.0, 1.0, 1.0), "need low < high"),
        (lambda: Fixed(math.inf), "value must be finite"),
    ],
)
def test_invalid_parameters_are_refused(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


def test_distributions_are_frozen():
    dist = Normal(0.0, 1.0)
    with pytest.raises(AttributeError):
        dist.sd = 2.0


# --- sampling ----------------------------------------------------------------------

DISTS = {
    "mu": TruncatedNormal(0.8, 0.1, 0.3, 1.2),
    "entry_speed": Normal(11.0, 0.5),
    "reaction_time": LogNormal(0.9, 0.43),
}
NAMES = list(DISTS)


def test_uniforms_are_strictly_inside_the_unit_interval():
    u = block_uniforms(7, 0, ["a"], size=100_000)["a"]
    assert u.min() > 0.0
    assert u.max() < 1.0


@pytest.mark.parametrize("chunk_blocks", [1, 3, 1000])
def test_draws_do_not_depend_on_chunking(chunk_blocks):
    n = 5 * BLOCK_SIZE + 123  # not a multiple of the block size
    whole = draw(2024, NAMES, DISTS, 0, n)
    chunks = plan_chunks(n, chunk_blocks)
    assert chunks[0].start == 0
    assert chunks[-1].stop == n
    assert all(a.stop == b.start for a, b in itertools.pairwise(chunks))
    pieces = [draw(2024, NAMES, DISTS, c.start, c.stop) for c in reversed(chunks)]
    for name in NAMES:
        joined = np.concatenate([p[name] for p in reversed(pieces)])
        np.testing.assert_array_equal(joined, whole[name])


def test_draws_of_a_sample_do_not_depend_on_the_slice():
    whole = draw(1, NAMES, DISTS, 0, 3 * BLOCK_SIZE)
    part = draw(1, NAMES, DISTS, BLOCK_SIZE - 5, 2 * BLOCK_SIZE + 5)
    for name in NAMES:
        np.testing.assert_array_equal(part[name], whole[name][BLOCK_SIZE - 5 : 2 * BLOCK_SIZE + 5])


def test_adding_a_parameter_leaves_the_others_unchanged():
    # per-name streams: common random numbers between a baseline and a variant
    base = draw(3, ["mu"], DISTS, 0, 1000)
    more = draw(3, ["entry_speed", "mu", "reaction_time"], DISTS, 0, 1000)
    np.testing.assert_array_equal(base["mu"], more["mu"])


def test_draws_are_reproducible_and_depend_on_the_seed():
    a = uniforms(11, ["x"], 0, 500)["x"]
    np.testing.assert_array_equal(a, uniforms(11, ["x"], 0, 500)["x"])
    assert not np.array_equal(a, uniforms(12, ["x"], 0, 500)["x"])


def test_streams_of_different_names_and_blocks_are_uncorrelated():
    n = BLOCK_SIZE
    u = block_uniforms(5, 0, ["a", "b", "c"], size=n)
    other_block = block_uniforms(5, 1, ["a"], size=n)["a"]
    # sample correlation of independent variables has SD ≈ 1/√n; 4/√n is a 4σ bound
    bound = 4.0 / math.sqrt(n)
    for x, y in [(u["a"], u["b"]), (u["a"], u["c"]), (u["b"], u["c"]), (u["a"], other_block)]:
        assert abs(np.corrcoef(x, y)[0, 1]) < bound


def test_sampled_normal_passes_kolmogorov_smirnov():
    # fixed seed: deterministic; p > 0.001 would fail for a wrong transform
    dist = Normal(1.25, 0.46)
    x = draw(99, ["t"], {"t": dist}, 0, 20_000)["t"]
    assert stats.kstest(x, stats.norm(1.25, 0.46).cdf).pvalue > 0.001


def test_partial_last_block_is_a_prefix_of_the_full_block():
    full = block_uniforms(8, 2, ["a"])["a"]
    np.testing.assert_array_equal(block_uniforms(8, 2, ["a"], size=10)["a"], full[:10])


def test_stable_hash_is_crc32_and_fixed():
    # zlib.crc32(b"mu") = 0xB1E582A6: a fixed number across processes, unlike hash("mu")
    assert stable_hash("mu") == 0xB1E582A6
    assert 0 <= stable_hash("reaction_time") < 2**32


def test_known_first_uniform_pins_the_stream_definition():
    # Regression value: changes if the seeding scheme or the uniform mapping changes,
    # which would silently change every stored result.
    u = block_uniforms(0, 0, ["x"], size=2)["x"]
    raw = np.random.PCG64(
        np.random.SeedSequence(entropy=0, spawn_key=(0, stable_hash("x")))
    ).random_raw(2)
    np.testing.assert_array_equal(u, ((raw >> np.uint64(12)).astype(float) + 0.5) * 2.0**-52)


def test_plan_chunks_layout():
    chunks = plan_chunks(10 * BLOCK_SIZE + 1, 4)
    assert [(c.first_block, c.n_blocks) for c in chunks] == [(0, 4), (4, 4), (8, 3)]
    assert chunks[-1].stop == 10 * BLOCK_SIZE + 1
    assert [c.index for c in chunks] == [0, 1, 2]
    assert sum(c.size for c in chunks) == 10 * BLOCK_SIZE + 1
    assert plan_chunks(1, 5) == [plan_chunks(1, 5)[0]]
    assert plan_chunks(1, 5)[0].stop == 1


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: plan_chunks(0, 1), ValueError),
        (lambda: plan_chunks(10, 0), ValueError),
        (lambda: plan_chunks(10.0, 1), ValueError),
        (lambda: uniforms(-1, ["a"], 0, 10), ValueError),
        (lambda: uniforms(True, ["a"], 0, 10), ValueError),
        (lambda: uniforms(1, ["a", "a"], 0, 10), ValueError),
        (lambda: uniforms(1, "ab", 0, 10), TypeError),
        (lambda: uniforms(1, ["a"], 10, 5), ValueError),
        (lambda: draw(1, ["a", "b"], {"a": Normal(0.0, 1.0)}, 0, 10), ValueError),
    ],
)
def test_bad_sampling_arguments_are_refused(call, error):
    with pytest.raises(error):
        call()
