"""The car's sections of a run's report: what was hit and how fast, the severity inputs of
the risk matrix, the driver's view, the terminal notes and the failures file.

The shared report (:mod:`stuntsim.report`) calls these through
:class:`stuntsim.kinds.car.kind.CarKind`.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import numpy as np

from stuntsim import severity
from stuntsim.constants import KMH, TO_KMH
from stuntsim.kinds.base import MatrixInput
from stuntsim.kinds.car.hazards import CAR_HARM_RELATIONS
from stuntsim.outputs import csv_text
from stuntsim.risk.montecarlo import failed, spread
from stuntsim.units import display_scale, display_unit

__all__ = ["driver_view", "failures_csv", "hazard_facts", "matrix_input", "table_notes"]

#: Hazards whose harm is rated under the hazards they lead to (no harm of their own).
HARM_ELSEWHERE = {
    "loss_of_control": "its harm is rated under the collision, departure or rollover it "
                       "leads to",
    "person_not_seen_in_time": "a warning: its harm is rated under person_struck",
}


def hazard_facts(result, name: str) -> dict[str, Any]:
    """What was hit, how fast and at what angle; who was struck; what was not seen."""
    happened = failed(result.margins[name])
    details = result.details
    if name == "collision" and happened.any():
        objects = details["collision_object"][happened]
        speeds = details["collision_speed"][happened] * TO_KMH
        counts = {
            result.street.collision_name(int(i)): int(np.count_nonzero(objects == i))
            for i in np.unique(objects) if i >= 0
        }
        return {
            "objects_hit": counts,
            "impact_speed_kmh": spread(speeds),
            "impact_angle_deg": spread(np.degrees(details["collision_angle"][happened])),
        }
    if name == "person_struck" and happened.any():
        people = details["person_index"][happened]
        counts = {}
        for i in np.unique(people):
            if i >= 0:
                counts[result.street.person_label(int(i))] = int(np.count_nonzero(people == i))
        out = {
            "people_struck": counts,
            "impact_speed_kmh": spread(details["person_speed"][happened] * TO_KMH),
        }
        front = details["walker_struck_front"][happened]
        if np.isfinite(front).any():  # people stepping out: by the front or walking into a side
            out["people_stepping_out_struck_by"] = {
                "front": int(np.count_nonzero(front == 1.0)),
                "side": int(np.count_nonzero(front == 0.0)),
                "note": "the harm uses the car's speed for both (conservative for a person "
                        "walking into the flank)",
            }
        return out
    if name == "person_not_seen_in_time" and happened.any():
        seen = details["walker_seen_time"][happened]
        out = details["walker_step_out_time"][happened]
        return {
            # judged when the car's front reached their path unseen (D ≤ 0 then)
            "unseen_when_the_car_reached_their_path": int(np.count_nonzero(
                details["walker_sight_distance"][happened] <= 0.0)),
            "time_to_first_sight_s": spread((seen - out)[np.isfinite(seen)]),
            "sight_distance_m": spread(details["walker_sight_distance"][happened]),
            "speed_when_seen_kmh": spread(details["walker_sight_speed"][happened] * TO_KMH),
        }
    if name == "departure" and happened.any():
        drops = details["departure_drop"][happened]
        counts = {
            result.street.drops[i].name: int(np.count_nonzero(drops == i))
            for i in np.unique(drops) if i >= 0
        }
        breached = details["barrier_breached"][happened]
        through = {
            result.street.barriers[i].name: int(np.count_nonzero(breached == i))
            for i in np.unique(breached) if i >= 0
        }
        return {
            "edges_crossed": counts,
            "through_barrier": through,
            "impact_speed_kmh": spread(details["departure_speed"][happened] * TO_KMH),
            "fall_height_m": spread(details["departure_height"][happened]),
        }
    return {}


def matrix_input(result, name: str, happened: np.ndarray,
                 harm: dict[str, np.ndarray]) -> MatrixInput:
    """The severity inputs of one car hazard: the mean harm over the takes in which it
    happened, or, for a hazard that never did, the harm if it had (:func:`_if_it_happened`)."""
    relations = CAR_HARM_RELATIONS[name]
    if name in HARM_ELSEWHERE:
        return MatrixInput(None, not_rated=HARM_ELSEWHERE[name])
    if happened.any():
        given = {outcome: float(harm[outcome][happened].mean())
                 for outcome in ("fatality", "serious_injury") if relations[outcome]}
        count = int(happened.sum())
        note = ("the one take in which it happened" if count == 1 else
                f"mean over the {count} takes in which it happened")
    else:
        known = _if_it_happened(name, result)
        if known is None:
            return MatrixInput(None, not_rated="the hazard never happened and has no "
                                               "'if it happened' basis in this scene")
        given, note = known
    given = {outcome: given.get(outcome) if relations[outcome] else None
             for outcome in ("fatality", "serious_injury")}
    return MatrixInput(given, note=note,
                       lower_bound=("serious_injury",) if name == "person_struck" else ())


def _if_it_happened(name: str, result) -> tuple[dict[str, float], str] | None:
    """For a hazard that never happened: the harm if it had, and on what basis — a person
    never struck at the car's speed when it came closest to them, a wall never touched
    head-on at the car's top speed, a drop nobody went over from its height, a rollover at
    the field rate per rollover (95th percentiles over the takes)."""
    if name == "departure" and result.street.drops:
        height = max(drop.height for drop in result.street.drops)
        return ({"fatality": float(severity.fall_fatality(height))},
                f"if it happened: a fall from the {height:.0f} m drop (nominal)")
    if name in ("rollover", "tripped_rollover"):
        return ({"serious_injury": float(severity.rollover_serious_injury())},
                "if it happened: the field rate per rollover")
    if name == "person_struck":
        speeds = result.details["person_closest_speed"]
        speeds = speeds[np.isfinite(speeds)]
        if speeds.size == 0:
            return None
        speed = float(np.quantile(speeds, 0.95))
        return ({"fatality": float(severity.pedestrian_fatality_rosen_sander(speed)),
                 "serious_injury": float(severity.pedestrian_tefft(speed)["serious"])},
                f"if it happened at the car's speed when closest (95th percentile, "
                f"{speed / KMH:.0f} km/h)")
    if name == "collision":
        speed = float(np.quantile(result.details["max_speed"], 0.95))
        delta_v = severity.delta_v_rigid_barrier(speed)
        return ({"fatality": float(severity.occupant_fatality_frontal(delta_v)),
                 "serious_injury": float(severity.occupant_mais3_frontal(delta_v))},
                f"if it happened head-on at the car's top speed (95th percentile, "
                f"{speed / KMH:.0f} km/h)")
    return None


def driver_view(result) -> dict[str, Any] | None:
    """The static field of view from the driver's seat (a standing adult and a 1 m child at
    10 m) when the car carries a camera rig or someone steps out; None otherwise."""
    scenario = result.resolved.scenario
    if not (scenario.rig.active_mounts() or scenario.street.people_stepping_out):
        return None
    from stuntsim.kinds.car.field_of_view import field_of_view

    return {
        "adult_1.7m_at_10m": field_of_view(result.resolved, person_height=1.7).to_dict(),
        "child_1.0m_at_10m": field_of_view(result.resolved, person_height=1.0).to_dict(),
    }


def table_notes(info: dict[str, Any]) -> list[str]:
    """Under the hazard table: what was hit and how fast; who was not seen in time."""
    lines = []
    for name, entry in info["hazards"].items():
        counts = (entry.get("objects_hit") or entry.get("people_struck")
                  or entry.get("edges_crossed"))
        if counts:
            hits = ", ".join(f"{k}: {v}" for k, v in counts.items())
            speed = entry["impact_speed_kmh"]
            what = "speed at the edge" if name == "departure" else "impact speed"
            where = entry.get("people_stepping_out_struck_by")
            if where:
                hits += f" (by the front: {where['front']}, walked into a side: {where['side']})"
            through = entry.get("through_barrier")
            if through:
                hits += " (through " + ", ".join(f"{k}: {v}" for k, v in through.items()) + ")"
            lines.append(
                f"  {name}: {hits}; {what} median {speed['median']:.0f} km/h, "
                f"max {speed['max']:.0f} km/h"
            )
        if name == "person_not_seen_in_time" and entry.get("sight_distance_m"):
            late = entry.get("time_to_first_sight_s") or {}
            seen_text = (f"first seen a median {late['median']:.1f} s after stepping out, "
                         if late else "")
            lines.append(
                f"  {name}: unseen when the car reached their path: "
                f"{entry['unseen_when_the_car_reached_their_path']}; {seen_text}at a median "
                f"{entry['speed_when_seen_kmh'].get('median', float('nan')):.0f} km/h"
            )
    return lines


def failures_csv(result) -> str:
    """One row per failing take and hazard: its drawn inputs and what it hit."""
    names = list(result.draws)
    dims = result.resolved.dimensions
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["sample", "hazard", "margin", "margin_unit", "object_hit", "impact_speed_kmh"]
    header += [f"{name} [{display_unit(dims.get(name, 'dimensionless'))}]" for name in names]
    writer.writerow(header)
    scale = {name: display_scale(dims.get(name, "dimensionless")) for name in names}
    for hazard_name, hazard in result.hazards.items():
        happened = np.flatnonzero(failed(result.margins[hazard_name]))
        for sample in happened:
            if hazard_name == "person_struck":
                hit = result.person_hit(sample)
                speed = result.details["person_speed"][sample] * TO_KMH
            elif hazard_name == "collision":
                hit = result.object_hit(sample)
                speed = result.details["collision_speed"][sample] * TO_KMH
            elif hazard_name == "departure":
                drop = int(result.details["departure_drop"][sample])
                hit = result.street.drops[drop].name if drop >= 0 else ""
                speed = result.details["departure_speed"][sample] * TO_KMH
            else:
                hit, speed = "", math.nan
            writer.writerow(
                [
                    int(sample),
                    hazard_name,
                    f"{result.margins[hazard_name][sample] * hazard.display_scale:.6g}",
                    hazard.unit,
                    csv_text(hit),
                    "" if not math.isfinite(speed) else f"{speed:.3g}",
                ]
                + [f"{result.draws[name][sample] * scale[name]:.6g}" for name in names]
            )
    return out.getvalue()


def take_facts(result) -> dict[str, tuple[np.ndarray, str]]:
    """Per take: what ended it (a building, a person, a drop: by name), how fast, and the
    car's extremes (for :mod:`stuntsim.takes`). Names are looked up per object, then
    indexed by take (no loop over takes)."""
    details, street = result.details, result.street
    n = result.samples

    def by_index(labels: list[str], index: np.ndarray) -> np.ndarray:
        """labels[index], "" where index is −1."""
        table = np.array(["", *labels], dtype=object)
        return table[np.asarray(index, dtype=int) + 1]

    objects = [street.collision_name(i)
               for i in range(len(street.collision_solids) + len(street.barriers))]
    people = [street.person_label(i) for i in range(len(street.people) + len(street.walkers))]
    nearest = by_index(objects, details["collision_object"])
    events = [("collision", "collision_speed", nearest),
              ("person_struck", "person_speed", by_index(people, details["person_index"]))]
    if "departure" in result.margins:
        events.append(("departure", "departure_speed",
                       by_index([d.name for d in street.drops], details["departure_drop"])))
    hit = np.full(n, "", dtype=object)
    speed = np.full(n, np.nan)
    for hazard, speed_field, names in events:  # the first event named wins (as before)
        happened = failed(result.margins[hazard]) & (hit == "")
        hit[happened] = names[happened]
        speed[happened] = details[speed_field][happened] * TO_KMH
    return {
        "hit": (hit, ""),
        "impact_speed": (speed, "km/h"),
        "nearest_object": (nearest, ""),
        "max_speed": (details["max_speed"] * TO_KMH, "km/h"),
        "max_lateral_acceleration": (details["max_lateral_acceleration"], "m/s²"),
        "kerb_slide_speed": (details["kerb_slide_speed"] * TO_KMH, "km/h"),
    }
