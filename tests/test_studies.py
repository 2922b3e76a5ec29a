"""Sensitivity and rare-event studies wired to the car model (the estimators themselves are
checked against known answers in test_subset.py and test_qmc_sensitivity.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import stuntsim
from stuntsim.cli import main
from stuntsim.scenario import parse_scenario, resolve
from stuntsim.studies import rare_event, sensitivity

ROOT = Path(__file__).resolve().parents[1]
ROME = ROOT / "scenarios" / "rome_sharp_turn.yaml"


def _rome_with_an_inert_input():
    # maneuver.sideslip_limit is read take by take but only judges loss of control: it
    # cannot move the collision margin (no take ends on a slide)
    text = ROME.read_text(encoding="utf-8")
    assert "\nuncertain:\n" in text
    assert "uncertain:\n  maneuver.sideslip_limit" not in text
    text = text.replace("\nuncertain:\n", "\nuncertain:\n  maneuver.sideslip_limit:\n"
                        "    dist: uniform\n    low: 10 deg\n    high: 20 deg\n")
    return resolve(parse_scenario(text))


def test_sobol_indices_rank_grip_above_an_input_the_model_ignores():
    resolved = _rome_with_an_inert_input()
    result = sensitivity(resolved, "collision", n=64, seed=2, bootstrap=50)
    total = dict(zip(result.names, result.sobol.total_order, strict=True))
    assert result.sobol.evaluations == 64 * (len(result.names) + 2)
    # an input with no effect has a total index of exactly 0 in the Saltelli/Jansen
    # estimator (f(A_B) = f(A) sample by sample)
    assert total["maneuver.sideslip_limit"] == pytest.approx(0.0, abs=1e-12)
    # the grip of the cobbles matters (the lateral limit √(μgR) depends on it)
    assert total["street.surface.mu"] > 0.05
    assert result.ranking()[-1] != "street.surface.mu"


def test_cli_sensitivity_writes_json_and_figure(tmp_path, capsys):
    code = main(["sensitivity", str(ROME), "--samples", "32", "--out", str(tmp_path)])
    assert code == 0
    data = json.loads((tmp_path / "sensitivity.json").read_text())
    assert data["hazard"] == "collision"
    assert "street.surface.mu" in data["inputs"]
    assert data["inputs"]["street.surface.mu"]["description"]
    assert (tmp_path / "sensitivity.png").read_bytes()[:4] == b"\x89PNG"
    assert "What drives collision" in capsys.readouterr().out


def test_cli_sensitivity_rejects_a_sample_size_that_is_not_a_power_of_two(tmp_path, capsys):
    assert main(["sensitivity", str(ROME), "--samples", "100", "--out", str(tmp_path)]) == 2
    assert "power of two" in capsys.readouterr().err


@pytest.mark.slow
def test_qmc_and_subset_agree_with_crude_monte_carlo_on_loss_of_control():
    resolved = stuntsim.load_scenario(ROME)
    mc = stuntsim.run(resolved, samples=2000, seed=9, keep_trajectories=0)
    p_mc = mc.estimates["loss_of_control"]
    qmc = rare_event(resolved, "loss_of_control", method="qmc", n_qmc=256,
                     randomisations=4, seed=9)
    subset = rare_event(resolved, "loss_of_control", method="subset", n_per_level=200,
                        seed=9)
    # each estimate's 95 % interval overlaps crude MC's (independent estimates of one p)
    for lo, hi in (qmc.ci95, subset.ci95):
        assert lo <= p_mc.ci95[1]
        assert hi >= p_mc.ci95[0]
    assert subset.evaluations >= 200
    assert np.isfinite(subset.cov)


def test_cli_run_with_qmc_reports_method_and_evaluations(tmp_path, capsys):
    code = main(["run", str(ROME), "--method", "qmc", "--samples", "64", "--hazard",
                 "collision", "--out", str(tmp_path), "--quiet"])
    assert code == 0
    data = json.loads((tmp_path / "summary.json").read_text())
    assert data["method"] == "qmc"
    # 64 points × 8 randomisations (the default)
    assert data["model_evaluations"] == 64 * 8
    entry = data["hazards"]["collision"]
    assert 0.0 <= entry["ci95"][0] <= entry["ci95"][1] <= 1.0
    assert "collision" in capsys.readouterr().out


def test_cli_run_rejects_an_unknown_hazard(tmp_path, capsys):
    code = main(["run", str(ROME), "--method", "subset", "--hazard", "meteor",
                 "--out", str(tmp_path / "o"), "--quiet"])
    assert code == 2
    assert "unknown hazard" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_convergence_figure_draws_mc_and_subset_estimates():
    # linear limit state, exact p = Φ(−3.0) ≈ 1.35e-3 (scipy.special.ndtr)
    from matplotlib.figure import Figure
    from scipy.special import ndtr

    from stuntsim.plots import plot_convergence
    from stuntsim.risk.subset import subset_simulation

    def g(u):
        return 3.0 - (u[:, 0] + u[:, 1]) / np.sqrt(2.0)

    mc = g(np.random.default_rng(1).standard_normal((20_000, 2))) <= 0
    runs = [subset_simulation(g, 2, n_per_level=500, rng=np.random.default_rng(s))
            for s in (1, 2)]
    ax = Figure().add_subplot()
    assert plot_convergence(ax, mc, runs, exact=float(ndtr(-3.0)), label="g ≤ 0") is ax
    assert ax.get_xscale() == "log"
    assert "evaluations" in ax.get_xlabel()


def test_cli_subset_says_which_hazard_did_not_converge(tmp_path, capsys, monkeypatch):
    # The estimator is replaced by two quick synthetic runs, so only the reporting is
    # checked here: one converged (linear, p = Φ(−3)) and one whose margin has a floor
    # above 0 (0.5 + e^{−u1}: stalled thresholds, crude Monte Carlo instead).
    import stuntsim.studies.rare
    from stuntsim.risk.reference import linear
    from stuntsim.risk.subset import subset_simulation
    from stuntsim.studies.rare import HazardEstimate

    def fake(resolved, hazards, **kwargs):
        def one(hazard):
            g = linear(3.0) if hazard == "collision" else (lambda u: 0.5 + np.exp(-u[:, 0]))
            return subset_simulation(g, 2, n_per_level=500, replicates=2,
                                     rng=np.random.default_rng(1))

        return {hazard: HazardEstimate(result=one(hazard)) for hazard in hazards}

    monkeypatch.setattr(stuntsim.studies.rare, "rare_events", fake)
    for hazard in ("collision", "person_struck"):
        code = main(["run", str(ROME), "--method", "subset", "--hazard", hazard,
                     "--out", str(tmp_path / hazard), "--quiet"])
        assert code == 0
        out, err = capsys.readouterr()
        data = json.loads((tmp_path / hazard / "summary.json").read_text())
        row = next(line for line in out.splitlines() if line.startswith(hazard))
        entry = data["hazards"][hazard]
        if hazard == "collision":
            assert row.rstrip().endswith("converged")
            assert data["warnings"] == []
            assert entry["status"] == "converged"
            assert "warning" not in err
        else:
            assert "NOT CONVERGED" in row
            assert "crude MC, 0 of 1000 failed" in row
            assert entry["status"] == "not converged"
            assert entry["fallback"] == "crude Monte Carlo"
            assert "stalled" in {d["rule"] for d in entry["diagnostics"]}
            assert len(data["warnings"]) == 1
            assert data["warnings"][0].startswith("person_struck: NOT CONVERGED")
            assert entry["warning"] == data["warnings"][0]
            assert "stuntsim: warning: person_struck" in err
            assert "stalled" in err
