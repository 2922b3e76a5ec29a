"""The car stunt as a :class:`~stuntsim.kinds.base.StuntKind`: its schema, model, harm,
report sections and figures, and the facts a run keeps about the street and the line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stuntsim.constants import GRAVITY
from stuntsim.kinds.base import MatrixInput, StuntKind, matching_paths
from stuntsim.kinds.car import plan_checks
from stuntsim.kinds.car import report as car_report
from stuntsim.kinds.car.hazards import (
    CAR_HARM_RELATIONS,
    car_harm,
    car_hazards,
    quasi_static_rollover_threshold,
)
from stuntsim.kinds.car.model import (
    FIELD_RESOLUTION,
    PER_TAKE_PATHS,
    CarModel,
    Parameters,
    grid_memory,
)
from stuntsim.kinds.car.schema import CarScenario
from stuntsim.risk.montecarlo import failed

__all__ = ["CarFacts", "CarKind", "CarLimits"]


@dataclass(frozen=True)
class CarLimits:
    """The thresholds the figures draw, computed here from the model's own values (figures
    only draw): the quasi-static rollover threshold SSF·g of the nominal car (rig included,
    :mod:`stuntsim.kinds.car.rig`), the cornering limit √(μ g R) along the line and the
    friction limit μ g, for the nominal street surface and the 5–95 % range of its draws."""

    rollover_threshold: float  # [m/s²]
    rigged: bool
    mu: tuple[float, float, float]  # nominal, 5 % and 95 % of the draws
    cornering_limit: np.ndarray  # (3, m) [m/s] along path.s for the three μ; NaN on straights
    surfaces: tuple[tuple[str, float, float], ...]  # (name, μ, μ g [m/s²]) of each patch

    @property
    def friction_limit(self) -> tuple[float, float, float]:
        """μ g [m/s²] for the three μ."""
        return tuple(mu * GRAVITY for mu in self.mu)


@dataclass
class CarFacts:
    """What a car run keeps besides its margins: the street, the rehearsed line, the speed
    plan and the figures' thresholds; and the outcome of each take in words."""

    street: Any
    path: Any
    planned_speed: np.ndarray  # the nominal speed plan at path.s [m/s]
    limits: CarLimits
    result: Any = field(default=None, repr=False)

    def outcome_labels(self) -> np.ndarray:
        """One word per take for figures: the most serious thing that happened."""
        result = self.result
        labels = np.full(result.samples, "safe", dtype=object)
        labels[self.near_miss()] = "near miss"
        order = ["loss_of_control", "rollover", "tripped_rollover", "collision",
                 "departure", "person_struck"]
        for name in order:
            if name in result.margins:
                labels[failed(result.margins[name])] = name
        return labels

    def near_miss(self) -> np.ndarray:
        """Boolean (n,): no contact, but closer than the scenario's near-miss distance."""
        result = self.result
        threshold = result.resolved.scenario.simulation.near_miss
        clearance = np.minimum(result.margins["collision"], result.margins["person_struck"])
        if "departure" in result.margins:
            clearance = np.minimum(clearance, result.margins["departure"])
        return (clearance >= 0) & (clearance < threshold)

    def object_hit(self, sample: int) -> str:
        """What the car came closest to (or hit) in a take."""
        return self.street.collision_name(int(self.result.details["collision_object"][sample]))

    def person_hit(self, sample: int) -> str:
        return self.street.person_label(int(self.result.details["person_index"][sample]))


class CarKind(StuntKind):
    """A car driven by a stunt driver on a rehearsed line through a street."""

    name = "car"
    schema = CarScenario
    harm_relations = CAR_HARM_RELATIONS
    units = "SI (m, s, kg, rad, N, W)"
    # measured on a 2-core machine, 4096 takes in one chunk: the Rome turn 1.1e-6 s per
    # take-step and 3.2 kB per take at peak; the camera rig's sight lines 22 kB per take;
    # a take keeps 400–420 B (18 inputs, 5–6 hazards, 29 facts)
    take_step_seconds = 1.5e-6
    chunk_bytes_per_take = 32_000
    kept_bytes_per_take = 600

    def model(self, resolved) -> CarModel:
        return CarModel(resolved)

    def per_take_paths(self, resolved) -> frozenset[str]:
        """The car's values, the rig's masses, the plan's speeds, the driver's settings
        and the patches' friction (:data:`~stuntsim.kinds.car.model.PER_TAKE_PATHS`)."""
        return matching_paths(resolved.nominal, PER_TAKE_PATHS)

    def fixed_memory(self, resolved) -> int:
        return grid_memory(resolved.scenario)

    def grid_resolution(self, resolved) -> float:
        return FIELD_RESOLUTION

    def plan_warnings(self, resolved, model) -> list[str]:
        """People inside buildings, a line through a wall, objects out of reach, a plan
        beyond the car's top speed (:mod:`stuntsim.kinds.car.plan_checks`)."""
        return plan_checks.plan_warnings(resolved, model)

    def finish(self, result, model: CarModel, keep: int) -> None:
        result.facts = CarFacts(street=model.street, path=model.path,
                                planned_speed=model.planned_speed(),
                                limits=_limits(result, model), result=result)
        _keep_trajectories(result, model, keep)

    def harm(self, result) -> dict[str, dict[str, np.ndarray]]:
        return car_harm(result.margins, result.details)

    def matrix_input(self, result, name, happened, harm) -> MatrixInput:
        return car_report.matrix_input(result, name, happened, harm)

    def hazard_facts(self, result, name: str) -> dict[str, Any]:
        return car_report.hazard_facts(result, name)

    def summary_sections(self, result) -> dict[str, Any]:
        view = car_report.driver_view(result)
        return {"driver_view": view} if view is not None else {}

    def table_notes(self, result, info: dict) -> list[str]:
        return car_report.table_notes(info)

    def terminal_sections(self, result) -> list[str]:
        if not result.resolved.scenario.rig.active_mounts():
            return []
        from stuntsim.kinds.car.field_of_view import field_of_view, format_field_of_view

        return [format_field_of_view(field_of_view(result.resolved))]

    def failures_csv(self, result) -> str:
        return car_report.failures_csv(result)

    def take_facts(self, result) -> dict[str, tuple[np.ndarray, str]]:
        return car_report.take_facts(result)

    def all_hazards(self):
        return car_hazards(has_drops=True, has_people_stepping_out=True)

    def figure_builders(self, result, info: dict) -> dict:
        from stuntsim.kinds.car.figures import figure_builders

        return figure_builders(result)

    def animation(self, result, takes, trajectories, *, reasons=None, fps=10.0):
        from stuntsim.kinds.car.animation import animate_takes

        return animate_takes(result, takes, trajectories, reasons=reasons, fps=fps)


def _keep_trajectories(result, model: CarModel, keep: int) -> None:
    """Re-simulate a few takes with their trajectories: the first ``keep`` and each
    hazard's worst (the model is deterministic given a take's draws). ``keep == 0`` keeps
    none and re-simulates nothing."""
    if keep <= 0:
        return
    regular = np.arange(min(keep, result.samples))
    worst = [int(np.argmin(values)) for values in result.margins.values()]
    chosen = np.unique(np.concatenate([regular, np.asarray(worst, dtype=int)]))
    if chosen.size == 0:
        return
    drawn = {name: values[chosen] for name, values in result.draws.items()}
    outcome = model.simulate(drawn, chosen.size, record=True)
    result.trajectories = outcome.trajectories or {}
    result.trajectory_samples = chosen


def _limits(result, model: CarModel) -> CarLimits:
    """The figures' thresholds from the model's nominal car and the run's draws of μ."""
    resolved = result.resolved
    nominal = model.car_values(Parameters(resolved.nominal, {}, 1))  # the rigged car
    rollover = float(quasi_static_rollover_threshold(nominal["track_width"][0],
                                                     nominal["cg_height"][0]))
    mu = float(resolved.nominal["street.surface.mu"])
    drawn = result.draws.get("street.surface.mu")
    if drawn is None or drawn.size == 0:
        lo = hi = mu
    else:
        lo, hi = (float(v) for v in np.quantile(drawn, [0.05, 0.95]))
    curvature = np.abs(model.path.curvature)
    curved = curvature > 1e-9
    radius = np.where(curved, 1.0 / np.where(curved, curvature, 1.0), np.nan)
    cornering = np.sqrt(np.array([mu, lo, hi])[:, None] * GRAVITY * radius[None, :])
    return CarLimits(
        rollover_threshold=rollover,
        rigged=bool(resolved.scenario.rig.active_mounts()),
        mu=(mu, lo, hi),
        cornering_limit=cornering,
        surfaces=tuple((patch.name, float(patch.mu), float(patch.mu) * GRAVITY)
                       for patch in model.street.surfaces),
    )
