"""Failure anatomy (stuntsim.risk.anatomy, stuntsim.report.anatomy): what the failing takes
have in common, checked on problems whose answer is known in closed form or by brute force,
and end to end through the command line for both stunt kinds.

Tolerances come from the sample size (fixed seeds): each is a bound that a correct
estimator misses with a stated small probability, never a value the code printed before.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st

from stuntsim.cli import main
from stuntsim.risk.anatomy import (
    TOO_FEW,
    concentration,
    failure_anatomy,
    holm,
    joint_log_density,
    median_standard_error,
)
from stuntsim.risk.distributions import (
    Fixed,
    LogNormal,
    Normal,
    Triangular,
    TruncatedNormal,
    Uniform,
)
from stuntsim.risk.subset import subset_simulation

ROOT = Path(__file__).resolve().parents[1]
ROME = ROOT / "scenarios" / "rome_sharp_turn.yaml"
TRAIN = ROOT / "scenarios" / "train_roof.yaml"

A = 2.0  # failure iff x1 > A
N = 20_000
#: E[X | X > a] for a standard normal (inverse Mills ratio) and Var[X | X > a]
LAMBDA = st.norm.pdf(A) / st.norm.sf(A)  # 2.3732
VAR_FAIL = 1.0 + A * LAMBDA - LAMBDA**2
#: the median of X | X > a: the point above which half the tail mass lies
MEDIAN_FAIL = st.norm.isf(st.norm.sf(A) / 2.0)


@pytest.fixture(scope="module")
def synthetic():
    rng = np.random.default_rng(20240611)
    x1, x2 = rng.standard_normal((2, N))
    failing = x1 > A
    dists = {"x1": Normal(0.0, 1.0), "x2": Normal(0.0, 1.0)}
    draws = {"x1": x1, "x2": x2}
    density = joint_log_density(dists, draws)
    anatomy = failure_anatomy(draws, failing, log_density=density,
                              z={name: d.to_standard_normal(draws[name])
                                 for name, d in dists.items()})
    return x1, x2, failing, anatomy


# ------------------------------------------------------------------ densities


@pytest.mark.parametrize(("ours", "reference"), [
    (Normal(1.0, 2.0), st.norm(1.0, 2.0)),
    (Uniform(0.0, 3.0), st.uniform(0.0, 3.0)),
    (LogNormal(2.0, 0.4), st.lognorm(s=0.4, scale=2.0)),
    (Triangular(0.0, 1.0, 4.0), st.triang(c=0.25, loc=0.0, scale=4.0)),
    (Triangular(0.0, 0.0, 4.0), st.triang(c=0.0, loc=0.0, scale=4.0)),
    (Triangular(0.0, 4.0, 4.0), st.triang(c=1.0, loc=0.0, scale=4.0)),
    (TruncatedNormal(1.0, 2.0, 0.0, 3.0), st.truncnorm(-0.5, 1.0, 1.0, 2.0)),
    (TruncatedNormal(0.0, 1.0, 10.0, 12.0), st.truncnorm(10.0, 12.0, 0.0, 1.0)),
    (TruncatedNormal(0.0, 1.0, -12.0, -10.0), st.truncnorm(-12.0, -10.0, 0.0, 1.0)),
])
def test_log_densities_match_scipy(ours, reference):
    low, high = ours.support
    x = np.concatenate([np.linspace(-15, 15, 3001),
                        np.linspace(max(low, -15), min(high, 15), 101)])
    expected = reference.logpdf(x)
    got = ours.logpdf(x)
    inside = np.isfinite(expected)
    assert np.array_equal(np.isfinite(got), inside)
    np.testing.assert_allclose(got[inside], expected[inside], rtol=1e-10, atol=1e-10)
    assert np.all(got[~inside] == -np.inf)


def test_a_fixed_input_is_a_point_mass():
    assert Fixed(2.0).logpdf([2.0, 2.5]).tolist() == [0.0, -np.inf]


# ------------------------------------------------------------------ known failure region


def test_failing_x1_shifts_by_the_conditional_mean(synthetic):
    x1, _, failing, anatomy = synthetic
    k = int(failing.sum())
    assert anatomy.status == "ranked"
    assert anatomy.failures == k
    shift = {s.name: s for s in anatomy.inputs}["x1"]
    # mean(x_F) − mean(x_all) estimates E[X | X > 2] − E[X] = λ(2); its variance is at most
    # Var[X | X > 2]/k + 1/n (the two means are positively correlated): 4 standard errors
    se = math.sqrt(VAR_FAIL / k + 1.0 / N)
    assert abs(shift.mean_shift - LAMBDA) < 4 * se
    lo, hi = shift.mean_shift_ci95
    assert lo < LAMBDA < hi
    # the interval's width is that of the estimator: (1 − k/n)(mean_F − mean_P), with the
    # variances of the truncated normals on each side of 2
    share = k / N
    var_pass = st.truncnorm(-np.inf, A).var()
    se_exact = (1 - share) * math.sqrt(VAR_FAIL / k + var_pass / (N - k))
    assert (hi - lo) / (2 * 1.96 * se_exact) == pytest.approx(1.0, abs=0.15)
    # in standard deviations of the input (its SD is 1): the same within the SD's own error
    assert shift.mean_shift_sd == pytest.approx(shift.mean_shift / x1.std(ddof=1))
    assert abs(shift.mean_shift_sd - LAMBDA) < 4 * se + 4 * LAMBDA / math.sqrt(2 * N)


def test_failing_x1_median_and_ks_distance_match_their_closed_forms(synthetic):
    _, _, failing, anatomy = synthetic
    k = int(failing.sum())
    shift = {s.name: s for s in anatomy.inputs}["x1"]
    # asymptotic SE of a sample median, 1/(2 f(m) √m): f the conditional density at its
    # median for the failing takes, φ(0) for all
    density_fail = st.norm.pdf(MEDIAN_FAIL) / st.norm.sf(A)
    se = math.hypot(1 / (2 * density_fail * math.sqrt(k)),
                    1 / (2 * st.norm.pdf(0.0) * math.sqrt(N)))
    assert abs(shift.median_shift - MEDIAN_FAIL) < 4 * se
    lo, hi = shift.median_shift_ci95
    assert lo < MEDIAN_FAIL < hi
    # sup |F_F − F_all| = Φ(2) at x = 2 (F_F = 0 there); each empirical CDF is within
    # √(ln(2/α)/(2m)) of its own with probability 1 − α (Dvoretzky–Kiefer–Wolfowitz),
    # α = 1e-4 each
    eps = math.sqrt(math.log(2e4) / (2 * k)) + math.sqrt(math.log(2e4) / (2 * N))
    assert abs(shift.ks_statistic - st.norm.cdf(A)) < eps
    assert shift.flagged
    assert shift.p_adjusted < 1e-100


def test_the_input_that_does_not_matter_is_not_flagged(synthetic):
    _, _, _, anatomy = synthetic
    assert [s.name for s in anatomy.inputs] == ["x1", "x2"]  # ranked by D
    x2 = anatomy.inputs[1]
    assert not x2.flagged
    assert x2.mean_shift_ci95[0] < 0 < x2.mean_shift_ci95[1]
    assert x2.median_shift_ci95[0] < 0 < x2.median_shift_ci95[1]
    assert anatomy.flagged == (anatomy.inputs[0],)


def test_the_most_likely_failing_take_is_the_brute_force_design_point(synthetic):
    x1, x2, failing, anatomy = synthetic
    likely = anatomy.most_likely
    # brute force: the failing take with the largest product of the two normal densities
    log_density = st.norm.logpdf(x1) + st.norm.logpdf(x2)
    candidates = np.flatnonzero(failing)
    best = candidates[np.argmax(log_density[candidates])]
    assert likely.index == best
    assert likely.log_density == pytest.approx(log_density[best], rel=1e-12)
    assert likely.values == {"x1": x1[best], "x2": x2[best]}
    second = candidates[np.argsort(-log_density[candidates])[1]]
    assert likely.runner_up == second
    assert likely.distance == pytest.approx(math.hypot(x1[best], x2[best]))
    # near the design point (2, 0): d² = (x1 − 2)² + x2² ≤ x1² + x2² − 4 for x1 ≥ 2, so no
    # farther than the failing take nearest to (2, 0) allows ...
    d = math.hypot(x1[best] - A, x2[best])
    near = candidates[np.argmin((x1[candidates] - A) ** 2 + x2[candidates] ** 2)]
    assert d**2 <= 4 * (x1[near] - A) + (x1[near] - A) ** 2 + x2[near] ** 2 + 1e-12
    # ... and within √s of it, s such that no failing take with x1² + x2² ≤ 4 + s has
    # probability exp(−n φ(2)φ(0) s^1.5 / 3) < 1e-6 (s = 0.21 at n = 20 000)
    s = (math.log(1e6) * 3 / (N * st.norm.pdf(A) * st.norm.pdf(0))) ** (2 / 3)
    assert d < math.sqrt(s)


def test_the_estimators_cover_on_repeated_problems():
    """The mean-shift interval covers λ(2) in about 95 % of 200 independent problems
    (n = 5000): binomial 99.9 % acceptance band around 0.95 for 200 trials."""
    hits = mean_hits = flagged_x2 = 0
    trials = 200
    for seed in range(trials):
        rng = np.random.default_rng(seed)
        x1, x2 = rng.standard_normal((2, 5000))
        shifts = {s.name: s for s in failure_anatomy({"x1": x1, "x2": x2}, x1 > A).inputs}
        lo, hi = shifts["x1"].mean_shift_ci95
        mean_hits += lo < LAMBDA < hi
        lo, hi = shifts["x1"].median_shift_ci95
        hits += lo < MEDIAN_FAIL < hi
        flagged_x2 += shifts["x2"].flagged
    low, high = st.binom.ppf([0.0005, 0.9995], trials, 0.95)
    assert low <= mean_hits <= high
    assert hits >= low  # the median's interval is conservative (covariance left out)
    # Holm at 5 %: x2 flagged in at most 5 % of problems; 99.9 % upper bound for 200
    assert flagged_x2 <= st.binom.ppf(0.999, trials, 0.05)


# ------------------------------------------------------------------ too few failures


def test_too_few_failures_to_say():
    rng = np.random.default_rng(3)
    x1, x2 = rng.standard_normal((2, 4000))
    failing = x1 > 3.0
    assert 0 < failing.sum() < 10  # 5 expected (P = 1.35e-3)
    density = st.norm.logpdf(x1) + st.norm.logpdf(x2)
    anatomy = failure_anatomy({"x1": x1, "x2": x2}, failing, log_density=density)
    assert anatomy.status == TOO_FEW
    assert not anatomy.ranked
    assert anatomy.inputs == ()
    assert anatomy.to_dict()["ranking"] == []
    candidates = np.flatnonzero(failing)
    assert anatomy.most_likely.index == candidates[np.argmax(density[candidates])]
    assert failure_anatomy({"x1": x1}, np.zeros(4000, bool)).most_likely is None


def test_too_few_takes_without_a_failure():
    x = np.linspace(0, 1, 200)
    failing = x > 0.03
    assert not failure_anatomy({"x": x}, failing).ranked


def test_holm_and_the_median_interval():
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.5]), [0.04, 0.09, 0.09, 0.5])
    assert math.isnan(median_standard_error(np.arange(5.0)))  # no 95 % interval from 5
    # at m = 6 the interval is [x_(1), x_(6)] (coverage 1 − 2/64)
    assert median_standard_error(np.arange(6.0)) == pytest.approx(5 / (2 * 1.959964))


# ------------------------------------------------------------------ subset simulation


def test_subset_last_level_concentrates_on_the_known_direction():
    """g = β − (2 u0 + u1)/√5: given failure, u = a(a·u) + rest with a·u > β, so
    E[u | failure] = a λ(β) and the other inputs stay centred."""
    beta = 3.5
    direction = np.array([2.0, 1.0, 0.0, 0.0]) / math.sqrt(5)
    result = subset_simulation(lambda u: beta - u @ direction, 4, n_per_level=1000, p0=0.1,
                               rng=np.random.default_rng(1), replicates=8)
    assert result.converged
    u, g, replicate, eve = result.last_level()
    assert u.shape == (g.size, 4)
    assert replicate.shape == eve.shape == g.shape
    assert set(np.unique(replicate)) == set(range(8))
    json.dumps(result.to_dict())  # the kept samples stay out of the JSON
    failing = g <= 0
    names = ["u0", "u1", "u2", "u3"]
    found = {c.name: c for c in concentration(u[failing], names, replicate[failing])}
    expected = direction * st.norm.pdf(beta) / st.norm.sf(beta)
    for name, value in zip(names, expected, strict=True):
        lo, hi = found[name].mean_z_ci95
        assert lo < value < hi, name
    assert found["u0"].flagged
    assert found["u1"].flagged
    assert not found["u2"].flagged
    assert not found["u3"].flagged
    assert found["u0"].sd_z < 0.7  # the level narrowed along the failure direction


# ------------------------------------------------------------------ end to end


def test_rome_run_has_its_anatomy_everywhere(tmp_path, capsys):
    out = tmp_path / "rome"
    assert main(["run", str(ROME), "--samples", "400", "--quiet", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "What the failing takes have in common" in printed
    info = json.loads((out / "summary.json").read_text())
    section = info["anatomy"]
    hazards = section["hazards"]
    happened = [name for name, entry in info["hazards"].items() if entry["failures"]]
    assert list(hazards) == happened  # every hazard that happened, none other
    takes = pd.read_parquet(out / "samples.parquet")
    for name, entry in hazards.items():
        assert entry["failures"] == info["hazards"][name]["failures"]
        likely = entry["most_likely_failing"]
        row = takes.loc[likely["take"]]
        assert row[name]  # a failing take, with its margin and inputs as in the table
        assert likely["margin"] == pytest.approx(row[f"{name}_margin"])
        for input_name, value in likely["values"].items():
            assert value == pytest.approx(row[input_name], rel=1e-12, abs=1e-12)
        if entry["failures"] < 10:
            assert entry["status"] == "too few failures to say"
            assert not entry["ranking"]
            assert "too few failures to say" in printed
    collision = hazards["collision"]
    assert collision["status"] == "ranked"
    assert set(collision["ranking"]) == set(section["inputs"])
    for input_name, shift in collision["inputs"].items():
        lo, hi = shift["median_shift_ci95"]
        assert lo <= shift["median_shift"] <= hi
        assert 0 <= shift["ks_statistic"] <= 1
        assert 0 <= shift["ks_pvalue_holm"] <= 1
        failing = takes.loc[takes.collision, input_name]
        assert shift["median_failing"] == pytest.approx(failing.median())
        assert shift["median_all"] == pytest.approx(takes[input_name].median())
    assert (out / "failure_anatomy.png").is_file()
    page = (out / "report.html").read_text()
    assert 'id="anatomy"' in page
    assert "most likely failing take" in page


def test_train_gets_the_same_section(tmp_path, capsys):
    out = tmp_path / "train"
    assert main(["run", str(TRAIN), "--samples", "300", "--quiet", "--no-plots",
                 "--out", str(out)]) == 0
    assert "What the failing takes have in common" in capsys.readouterr().out
    info = json.loads((out / "summary.json").read_text())
    happened = [name for name, entry in info["hazards"].items() if entry["failures"]]
    assert happened
    assert list(info["anatomy"]["hazards"]) == happened


def test_subset_section_names_the_inputs_in_words_and_units():
    """The report's view of the last level (``run --method subset``), on a scenario's inputs
    with a synthetic margin that fails when the first input is high (no model run)."""
    from stuntsim.report.anatomy import subset_lines, subset_section
    from stuntsim.scenario import load_scenario

    resolved = load_scenario(TRAIN)
    names = resolved.uncertain_names
    result = subset_simulation(lambda u: 2.5 - u[:, 0], len(names), n_per_level=200,
                               p0=0.1, rng=np.random.default_rng(5), replicates=4)
    section = subset_section(result, resolved)
    json.dumps(section, allow_nan=False)  # as summary.json is written
    assert section["ranking"][0] == names[0]
    first = section["inputs"][names[0]]
    expected = st.norm.pdf(2.5) / st.norm.sf(2.5)  # E[z | z > 2.5]
    assert first["mean_z_ci95"][0] < expected < first["mean_z_ci95"][1]
    assert first["flagged"]
    dist = resolved.distributions[names[0]]
    assert first["value_at_mean_z"] == pytest.approx(
        float(dist.from_standard_normal(first["mean_z"])) * 3.6)  # train.speed, in km/h
    assert first["unit"] == "km/h"
    text = "\n".join(subset_lines("struck_by_structure", section))
    assert "km/h" in text
    assert "z̄" in text
