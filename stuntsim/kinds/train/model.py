r"""The train-roof stunt, batched over samples: the train along the track, performers on the roof.

Per time step, for all samples at once (leading axis = sample; a loop over time steps and
over the two or three performers, never over samples):

1. speed events fire (a chainage or a time reached) and set the target speed;
2. the track at the coach's chainage s: radius R, cant c, gradient, hand, heading
   (:mod:`stuntsim.kinds.train.track` conventions, per-sample tables so cant, radius and
   gradient may be uncertain);
3. the air: mean wind w from compass bearing β_w and a 1 − cos gust u(s) (zero inside
   tunnels), turned into the train's frame with the travel bearing β = β_0 − heading,
   θ = β − β_w (counter-clockwise from the heading, as :func:`relative_wind` wants),
   then the relative wind (P2);
4. the lateral acceleration hand · (v²/R − g c / b) (L1) and the train's a_long;
5. what is overhead: the lowest clearance of any structure met between the last step and
   this one (swept, so a thin gantry is never stepped over), and the drop beside the
   track (a bridge over a gorge);
6. per performer: posture from the cues (the first step the cue chainage is reached,
   plus the reaction delay), demand (P1)–(P4), capacity without the tether (P5), the
   tipping moments (P7), the clearance (P8), the tether load
   k_dyn · max(demand − μ m g − F_hand, 0);
7. running minima of every margin, with the facts at the worst moment (time, chainage,
   speed, segment, posture, fall height, the forces), and the first moment each margin
   went negative (which segment it went wrong in);
8. one step of the jerk-limited speed law (M1)–(M5).

A sample stops when its coach reaches the end of the track (or at the scenario's longest
duration). After a failure the run goes on as if the performer were still in place: what
follows a fall is not modelled, and later margins only matter through the running minima.

Hazards (margin ≤ 0: it happened), each named once, for any performer (the minimum over
performers), with the per-performer margins kept as well:

``dislodged`` [N]            μ m g + F_hand − |F_demand|: feet slide or holds are pulled
                             off (the tether does not count: it holds them afterwards)
``tipped`` [N·m]             (m g b_s + F_hand l_hand) − |h_cp F_aero + h_cg F_in|: the
                             performer pivots over the edge of the stance
``struck_by_structure`` [m]  clearance − (roof height + posture height)
``tether_overload`` [N]      rated load − k_dyn · max(|F_demand| − μ m g − F_hand, 0);
                             only when a performer has a tether (+inf for the others)

Equations (P1)–(P8), (L1) and (M1)–(M5) and their sources are in
:mod:`stuntsim.kinds.train.performer` and :mod:`stuntsim.kinds.train.motion`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from stuntsim.errors import NumericalError
from stuntsim.kinds.base import Hazard
from stuntsim.kinds.train.motion import (
    GRAVITY,
    jerk_limited_step,
    uncompensated_lateral_acceleration,
)
from stuntsim.kinds.train.performer import (
    capacity_force,
    demand_force,
    relative_wind,
    tipping_margin,
)
from stuntsim.kinds.train.schema import POSTURE_NAMES, cue_chainage
from stuntsim.kinds.train.track import Segment, Structure, Track
from stuntsim.risk.montecarlo import failed
from stuntsim.ufuncs import clip

__all__ = [
    "HAZARD_FIELDS",
    "TRAIN_HAZARDS",
    "NumericalError",
    "TrainModel",
    "TrainOutcome",
]

TRAIN_HAZARDS: dict[str, Hazard] = {
    hazard.name: hazard
    for hazard in (
        Hazard("dislodged", "N",
               "friction and hand-hold capacity minus the horizontal force on the performer "
               "(negative: feet slide or holds are pulled off)"),
        Hazard("tipped", "N·m",
               "restoring minus overturning moment about the edge of the stance "
               "(negative: the performer tips over)"),
        Hazard("struck_by_structure", "m",
               "clearance of a structure overhead minus the top of the performer, in the "
               "posture reached by then (negative: struck)"),
        Hazard("tether_overload", "N",
               "rated load of the tether minus its peak load (negative: the tether or its "
               "anchor fails)"),
    )
}

#: The facts kept at each hazard's worst moment (per performer; the hazard-level values
#: are those of the performer with the smallest margin).
HAZARD_FIELDS: dict[str, tuple[str, ...]] = {
    "dislodged": ("demand", "capacity"),  # [N]
    "tipped": ("overturning", "restoring"),  # [N·m]
    "struck_by_structure": ("structure", "clearance", "top"),  # index, [m], [m]
    "tether_overload": ("load", "rated"),  # [N]
}
COMMON_FIELDS = ("time", "position", "speed", "segment", "posture", "fall_height")


# --------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------


class _Params:
    """Per-sample values: drawn where uncertain, nominal otherwise, as (n,) arrays."""

    def __init__(self, nominal: dict[str, float], draws: dict[str, np.ndarray], n: int,
                 read: set[str] | None = None):
        self.nominal = nominal
        self.draws = draws
        self.n = n
        self.read = read if read is not None else set()  # paths looked up take by take

    def __call__(self, path: str) -> np.ndarray:
        self.read.add(path)
        value = self.draws[path] if path in self.draws else self.nominal[path]
        return np.broadcast_to(np.asarray(value, dtype=float), (self.n,))

    def optional(self, path: str, default) -> np.ndarray:
        if path in self.draws or path in self.nominal:
            return self(path)
        return np.broadcast_to(np.asarray(default, dtype=float), (self.n,))


@dataclass
class _PerformerSetup:
    name: str
    mass: np.ndarray
    mu: np.ndarray
    grip: np.ndarray
    lever: np.ndarray
    delay: np.ndarray
    tethered: bool
    rated: np.ndarray
    dynamic: np.ndarray
    initial: int
    cue_posture: np.ndarray  # (C,) posture index of each change, in plan order
    cue_chainage: np.ndarray  # (n, C) where each cue is
    table: dict[str, np.ndarray]  # posture property -> (n, 3)


# --------------------------------------------------------------------------------------
# The outcome of a chunk
# --------------------------------------------------------------------------------------


@dataclass
class TrainOutcome:
    """What a chunk of ``n`` samples yields (SI units).

    Attributes
    ----------
    performer_margins : hazard -> (n, P)   worst margin per performer
    performer_details : hazard -> field -> (n, P)
                        facts at that performer's worst moment (``COMMON_FIELDS`` plus
                        ``HAZARD_FIELDS[hazard]``) and ``first_time`` [s] /
                        ``first_segment`` (index; −1: never) of the first negative margin
    structure_margins : (n, P, S)   smallest clearance margin under each overhead structure
                        [m] (inf: never under it)
    max_speed : (n,)                fastest speed [m/s]
    completed, ending, progress : (n,)
                                    the run got through the stunt (``ending`` > 0: the end
                                    of the track, or at rest as planned); the
                                    :data:`stuntsim.completion.ENDINGS` code; the
                                    furthest chainage reached [m]
    trajectories : dict or None     per-step arrays of the recorded samples
    """

    hazards: tuple[str, ...]
    performer_margins: dict[str, np.ndarray]
    performer_details: dict[str, dict[str, np.ndarray]]
    structure_margins: np.ndarray
    max_speed: np.ndarray
    completed: np.ndarray
    ending: np.ndarray
    progress: np.ndarray
    trajectories: dict[str, np.ndarray] | None = field(default=None, repr=False)

    @property
    def margins(self) -> dict[str, np.ndarray]:
        """Each hazard's margin for any performer: the minimum over performers (n,)."""
        return {name: self.performer_margins[name].min(axis=1) for name in self.hazards}

    @property
    def details(self) -> dict[str, np.ndarray]:
        """The per-take arrays the runner merges (:meth:`arrays`)."""
        return self.arrays()

    def arrays(self) -> dict[str, np.ndarray]:
        """Every per-sample array under a flat key (leading axis = sample), for merging."""
        out = {"max_speed": self.max_speed, "completed": self.completed,
               "ending": self.ending, "progress": self.progress,
               "structure_margins": self.structure_margins}
        for name in self.hazards:
            out[f"{name}/margin"] = self.performer_margins[name]
            for key, values in self.performer_details[name].items():
                out[f"{name}/{key}"] = values
        return out


# --------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------


#: The values :class:`TrainModel` reads only run by run, through ``_Params``
#: (:meth:`stuntsim.kinds.base.StuntKind.per_take_paths`: variants differing only in these
#: may share one model call). Left out: where structures and segments are and how long
#: (the chainage tables), the simulation's settings.
PER_TAKE_PATHS = (
    *(f"train.{name}" for name in ("speed", "start_speed", "start_position",
                                   "max_acceleration", "max_deceleration", "max_jerk",
                                   "roof_height")),
    "train.events.*.speed", "train.events.*.at", "train.events.*.time",
    *(f"wind.{name}" for name in ("speed", "direction", "gust_speed", "gust_direction",
                                  "gust_at", "gust_length", "air_density")),
    "structures.*.clearance", "structures.*.drop",
    "track.rail_head_spacing", "track.start_bearing",
    "track.segments.*.radius", "track.segments.*.cant", "track.segments.*.gradient",
    *(f"performers.*.{name}" for name in ("mass", "shoe_friction", "grip_force",
                                          "grip_lever", "reaction_delay")),
    "performers.*.tether.rated_load", "performers.*.tether.dynamic_factor",
    "performers.*.postures.*.*",
    "performers.*.changes.*.at", "performers.*.changes.*.distance",
)


class TrainModel:
    """The train-roof stunt of a resolved ``kind: train`` scenario.

    ``simulate(draws, n)`` runs n samples; draws map dotted paths to (n,) arrays and
    replace the nominal values of those paths.
    """

    def __init__(self, resolved):
        self.resolved = resolved
        self.scenario = resolved.scenario
        #: every input the model has looked up take by take (_Params.read)
        self.read_paths: set[str] = set()
        spec = self.scenario
        self.segment_names = [segment.name for segment in spec.track.segments]
        lengths = np.array([segment.length for segment in spec.track.segments])
        self.segment_starts = np.concatenate(([0.0], np.cumsum(lengths)))
        self.length = float(self.segment_starts[-1])
        self.hand = np.array([{None: 0, "left": 1, "right": -1}[segment.hand]
                              for segment in spec.track.segments], dtype=float)
        self.performer_names = [performer.name for performer in spec.performers]
        self.overhead = [s for s in spec.structures if s.clearance is not None]
        self.structure_names = [s.name for s in self.overhead]
        self.tunnels = [s for s in spec.structures if s.kind == "tunnel"]
        self.drops = [s for s in spec.structures if s.drop > 0.0]
        tethered = any(performer.tether is not None for performer in spec.performers)
        self.hazards = {name: hazard for name, hazard in TRAIN_HAZARDS.items()
                        if name != "tether_overload" or tethered}
        self._structures = {s.name: s for s in spec.structures}

    # ------------------------------------------------------------------ geometry
    def track(self) -> Track:
        """The nominal track as a :class:`stuntsim.kinds.train.track.Track` (for plots and
        checks; the simulation uses per-sample tables)."""
        segments = []
        nominal = self.resolved.nominal
        for segment in self.scenario.track.segments:
            base = f"track.segments.{segment.name}"
            if segment.radius is None:
                segments.append(Segment.straight(segment.length,
                                                 gradient=nominal[f"{base}.gradient"]))
            else:
                segments.append(Segment.curve(segment.length, nominal[f"{base}.radius"],
                                              cant=nominal[f"{base}.cant"],
                                              gradient=nominal[f"{base}.gradient"],
                                              hand=segment.hand))
        kinds = {"tunnel": "tunnel_portal"}
        structures = [
            Structure(s.name, kinds.get(s.kind, s.kind), s.at, s.length,
                      nominal[f"structures.{s.name}.clearance"])
            for s in self.overhead
        ]
        return Track(tuple(segments), tuple(structures),
                     rail_head_spacing=nominal["track.rail_head_spacing"])

    def segment_of(self, s) -> np.ndarray:
        """Index of the segment holding chainage s (a boundary belongs to the next one)."""
        index = np.searchsorted(self.segment_starts, s, side="right") - 1
        return clip(index, 0, len(self.segment_names) - 1)

    # ------------------------------------------------------------------ setup
    def _performers(self, p: _Params) -> list[_PerformerSetup]:
        setups = []
        n = p.n
        for performer in self.scenario.performers:
            base = f"performers.{performer.name}"
            table = {
                key: np.stack([p(f"{base}.postures.{posture}.{key}")
                               for posture in POSTURE_NAMES], axis=1)
                for key in ("height", "drag_area", "cp_height", "cg_height", "half_base")
            }
            cue_postures, cue_places = [], []
            for index, cue in enumerate(performer.changes):
                label = f"{base}.changes.{cue.name or index}"
                if cue.at is not None:
                    place = cue_chainage(cue, self._structures, at=p(f"{label}.at"))
                else:
                    place = cue_chainage(cue, self._structures,
                                         distance=p(f"{label}.distance"))
                cue_postures.append(POSTURE_NAMES.index(cue.posture))
                cue_places.append(np.broadcast_to(np.asarray(place, dtype=float), (n,)))
            tether = performer.tether
            setups.append(_PerformerSetup(
                name=performer.name,
                mass=p(f"{base}.mass"),
                mu=p(f"{base}.shoe_friction"),
                grip=p(f"{base}.grip_force"),
                lever=p(f"{base}.grip_lever"),
                delay=p(f"{base}.reaction_delay"),
                tethered=tether is not None,
                rated=p(f"{base}.tether.rated_load") if tether else np.full(n, np.inf),
                dynamic=p(f"{base}.tether.dynamic_factor") if tether else np.ones(n),
                initial=POSTURE_NAMES.index(performer.posture),
                cue_posture=np.array(cue_postures, dtype=int),
                cue_chainage=(np.stack(cue_places, axis=1) if cue_places
                              else np.empty((n, 0))),
                table=table,
            ))
        return setups

    # ------------------------------------------------------------------ simulation
    def simulate(self, draws: dict[str, np.ndarray], n: int, *, record: bool = False,
                 first_sample: int = 0, on_step=None) -> TrainOutcome:
        """Run ``n`` samples to the end of the track (or the longest duration).

        ``first_sample`` only names a sample in an error message; ``on_step`` (optional)
        is called as ``on_step(step, n_steps, running)`` at each time step, for a progress
        bar (:mod:`stuntsim.progress`; it changes nothing). With ``record`` the
        per-step values of every sample are returned in ``trajectories`` (use it for a
        handful of samples only). A non-finite draw or speed raises
        :class:`~stuntsim.errors.NumericalError` (numpy's overflow warnings on the way
        are silenced: the error names the sample).
        """
        with np.errstate(invalid="ignore", over="ignore"):
            return self._simulate(draws, n, record=record, first_sample=first_sample,
                                  on_step=on_step)

    def _simulate(self, draws, n, *, record, first_sample, on_step=None) -> TrainOutcome:
        for path, values in draws.items():
            values = np.asarray(values, dtype=float)
            bad = np.flatnonzero(~np.isfinite(values))
            if bad.size:
                raise NumericalError(f"the drawn {path} is {values[bad[0]]} in sample "
                                     f"{first_sample + bad[0]} of the run",
                                     sample=int(first_sample + bad[0]), step=0)
        spec = self.scenario
        p = _Params(self.resolved.nominal, draws, n, read=self.read_paths)
        rows = np.arange(n)
        dt = spec.simulation.time_step
        n_steps = int(np.ceil(spec.simulation.duration / dt))
        n_perf = len(spec.performers)
        names = list(self.hazards)

        # --- per-sample track tables (n, G)
        seg_base = [f"track.segments.{name}" for name in self.segment_names]
        radius = np.stack([p.optional(f"{b}.radius", np.inf) for b in seg_base], axis=1)
        cant = np.stack([p(f"{b}.cant") for b in seg_base], axis=1)
        gradient = np.stack([p(f"{b}.gradient") for b in seg_base], axis=1)
        curvature = self.hand / radius  # signed [1/m], 0 on straights
        seg_lengths = np.diff(self.segment_starts)
        heading_start = np.concatenate(
            (np.zeros((n, 1)), np.cumsum(curvature * seg_lengths, axis=1)[:, :-1]), axis=1)
        spacing = p("track.rail_head_spacing")
        start_bearing = p("track.start_bearing")
        roof = p("train.roof_height")

        # --- wind
        wind = p("wind.speed")
        wind_from = p("wind.direction")
        gust = p("wind.gust_speed")
        gust_from = (p("wind.gust_direction") if spec.wind.gust_direction is not None
                     else wind_from)
        gust_at = p("wind.gust_at")
        gust_length = p("wind.gust_length")
        rho = p("wind.air_density")

        # --- structures: per-sample clearances and drops (n, S); fixed extents (S,)
        n_over = len(self.overhead)
        clearances = np.stack([p(f"structures.{s.name}.clearance") for s in self.overhead]
                              or [np.empty(n)], axis=1)[:, :n_over]
        drops = np.stack([p(f"structures.{s.name}.drop") for s in self.drops]
                         or [np.empty(n)], axis=1)[:, :len(self.drops)]
        over_start = np.array([s.at for s in self.overhead])
        over_end = np.array([s.at + s.length for s in self.overhead])
        drop_start = np.array([s.at for s in self.drops])
        drop_end = np.array([s.at + s.length for s in self.drops])
        tunnel_start = np.array([s.at for s in self.tunnels])
        tunnel_end = np.array([s.at + s.length for s in self.tunnels])

        # --- train
        accel_max = p("train.max_acceleration")
        decel_max = p("train.max_deceleration")
        jerk_max = p("train.max_jerk")
        target = p("train.speed").copy()
        v = (p("train.start_speed") if spec.train.start_speed is not None
             else target).copy()
        s = p("train.start_position").copy()
        a = np.zeros(n)
        events = []
        for event in spec.train.events:
            base = f"train.events.{event.name}"
            trigger = p(f"{base}.at") if event.at is not None else p(f"{base}.time")
            events.append((event.at is not None, trigger, p(f"{base}.speed")))
        fired = [np.zeros(n, dtype=bool) for _ in events]

        performers = self._performers(p)
        capacities = [capacity_force(setup.mass, setup.mu, setup.grip)  # (P5), no tether
                      for setup in performers]
        row_offset = rows * len(self.segment_names)
        row_offset3 = rows * len(POSTURE_NAMES)
        cue_times = [np.full((n, setup.cue_posture.size), np.inf) for setup in performers]

        # --- running results
        inf = np.inf
        margin = {name: np.full((n, n_perf), inf) for name in names}
        fields = {name: COMMON_FIELDS + HAZARD_FIELDS[name] for name in names}
        details = {name: {key: np.full((n, n_perf), np.nan) for key in fields[name]}
                   for name in names}
        for name in names:
            details[name]["first_time"] = np.full((n, n_perf), inf)
            details[name]["first_segment"] = np.full((n, n_perf), -1.0)
        structure_margins = np.full((n, n_perf, len(self.overhead)), inf)
        max_speed = np.zeros(n)
        alive = np.ones(n, dtype=bool)
        ending = np.zeros(n, dtype=np.int8)  # stuntsim.completion.ENDINGS
        progress = np.zeros(n)
        s_previous = np.minimum(s, self.length)
        recorded: dict[str, list[np.ndarray]] | None = {} if record else None

        for step in range(n_steps + 1):
            if on_step is not None:  # a progress bar's report (stuntsim.progress): reads only
                on_step(step, n_steps + 1, alive)
            t = step * dt
            # 1. speed events (the later one in the list wins when several fire at once)
            for i, (by_position, trigger, speed) in enumerate(events):
                hit = (s >= trigger) if by_position else (t >= trigger)
                target = np.where(hit & ~fired[i], speed, target)
                fired[i] |= hit
            # 2. the track here
            here = np.minimum(s, self.length)
            seg = self.segment_of(here)
            cell = row_offset + seg  # flat index into the (n, G) tables
            r_here = radius.take(cell)
            c_here = cant.take(cell)
            heading = heading_start.take(cell) + curvature.take(cell) * (
                here - self.segment_starts[seg])
            # 3. the air
            column = here[:, None]
            sheltered = np.any((column >= tunnel_start) & (column <= tunnel_end), axis=1)
            x = (here - gust_at) / gust_length
            gust_now = np.where((x >= 0.0) & (x <= 1.0),
                                0.5 * gust * (1.0 - np.cos(2.0 * np.pi * x)), 0.0)
            gust_now = np.where(sheltered, 0.0, gust_now)
            wind_now = np.where(sheltered, 0.0, wind)
            bearing = start_bearing - heading
            air_along, air_across = relative_wind(
                v, wind_now, bearing - wind_from, gust_speed=gust_now,
                gust_direction_rel=bearing - gust_from)
            # 4. accelerations in the roof plane
            a_lat = self.hand[seg] * uncompensated_lateral_acceleration(
                v, r_here, c_here, spacing)  # (L1), + to the left
            grad_here = gradient.take(cell)
            # 5. overhead and beside
            # swept: a structure counts if it overlaps [previous chainage, chainage]
            under = (column >= over_start) & (s_previous[:, None] <= over_end)  # (n, S)
            under_clearance = np.where(under, clearances, inf)
            if n_over:
                structure_index = np.argmin(under_clearance, axis=1)
                overhead = under_clearance[rows, structure_index]
                structure_index = np.where(np.isfinite(overhead), structure_index, -1.0)
            else:
                overhead, structure_index = np.full(n, inf), np.full(n, -1.0)
            on_drop = (column >= drop_start) & (column <= drop_end)
            drop = np.max(np.where(on_drop, drops, 0.0), axis=1, initial=0.0)
            fall_height = roof + drop

            common = {"time": np.full(n, t), "position": here, "speed": v,
                      "segment": seg.astype(float), "fall_height": fall_height}
            per_step: dict[str, list[np.ndarray]] = {}
            for j, setup in enumerate(performers):
                # 6. posture: cue reached at this step → change after the reaction delay
                # (changes apply in plan order: the last one due wins, as in posture_at)
                if setup.cue_posture.size:
                    reached = (column >= setup.cue_chainage) & np.isinf(cue_times[j])
                    np.copyto(cue_times[j], t, where=reached)
                    due = t >= cue_times[j] + setup.delay[:, None]  # (n, C)
                    last = due.shape[1] - 1 - np.argmax(due[:, ::-1], axis=1)
                    posture = np.where(due.any(axis=1), setup.cue_posture[last], setup.initial)
                else:
                    posture = np.full(n, setup.initial)
                cell3 = row_offset3 + posture  # flat index into the (n, 3) posture tables
                body = {key: values.take(cell3) for key, values in setup.table.items()}
                demand = demand_force(setup.mass, body["drag_area"], air_along, air_across,
                                      a, a_lat, gradient=grad_here, rho=rho)
                capacity = capacities[j]
                restoring = setup.mass * GRAVITY * body["half_base"] + setup.grip * setup.lever
                tip = tipping_margin(setup.mass, demand, body["cp_height"], body["cg_height"],
                                     body["half_base"], hand_grip=setup.grip,
                                     hand_lever=setup.lever)  # (P7)
                top = roof + body["height"]
                load = setup.dynamic * np.maximum(demand.magnitude - capacity, 0.0)
                now = {
                    "dislodged": (capacity - demand.magnitude,
                                  {"demand": demand.magnitude, "capacity": capacity}),
                    "tipped": (tip, {"overturning": restoring - tip, "restoring": restoring}),
                    "struck_by_structure": (overhead - top, {
                        "structure": structure_index, "clearance": overhead, "top": top}),
                    "tether_overload": (setup.rated - load, {"load": load,
                                                             "rated": setup.rated}),
                }
                common["posture"] = posture.astype(float)
                for name in names:
                    value, extra = now[name]
                    _update_worst(margin[name][:, j], details[name], j, value, alive,
                                  {**common, **extra})
                if n_over:
                    struck_here = np.where(under & alive[:, None], clearances - top[:, None],
                                           inf)
                    np.minimum(structure_margins[:, j, :], struck_here,
                               out=structure_margins[:, j, :])
                if recorded is not None:
                    for key, value in (("posture", posture), ("demand", demand.magnitude),
                                       ("capacity", capacity), ("overturning", restoring - tip),
                                       ("restoring", restoring), ("top", top),
                                       ("tether_load", load),
                                       ("drag", np.hypot(demand.aero_along,
                                                         demand.aero_across))):
                        per_step.setdefault(key, []).append(np.asarray(value, dtype=float))
            if recorded is not None:
                for key, value in (("t", np.full(n, t)), ("s", here), ("v", v), ("a_long", a),
                                   ("a_lat", a_lat), ("air_speed", np.hypot(air_along,
                                                                            air_across)),
                                   ("gust", gust_now), ("overhead", overhead),
                                   ("segment", seg), ("alive", alive)):
                    recorded.setdefault(key, []).append(np.array(value, dtype=float))
                for key, values in per_step.items():
                    recorded.setdefault(key, []).append(np.stack(values, axis=1))
            max_speed = np.where(alive, np.maximum(max_speed, v), max_speed)

            # stop at the end of the track (this step, clipped to the end, was counted), or
            # where the plan brings the train to rest (a speed event to 0)
            progress = np.where(alive, np.maximum(progress, np.minimum(s, self.length)),
                                progress)
            finished = alive & (s >= self.length)
            at_rest = alive & ~finished & (v <= 0.0) & (a == 0.0) & (target <= 0.0)
            ending[finished] = 1
            ending[at_rest] = 3
            alive &= ~(finished | at_rest)
            if not alive.any() or step == n_steps:
                break
            # 8. the train moves on
            s_previous = here
            s, v, a = jerk_limited_step(s, v, a, target, accel_max, decel_max, jerk_max, dt)
            if not np.all(np.isfinite(v)):
                bad = int(np.flatnonzero(~np.isfinite(v))[0])
                raise NumericalError(f"the train's speed went non-finite at t = {t:.2f} s "
                                     f"in sample {first_sample + bad} of the run",
                                     sample=int(first_sample + bad), step=step)

        trajectories = None
        if recorded is not None:
            trajectories = {}
            for key, values in recorded.items():
                stacked = np.stack(values, axis=-1)  # (n, T) or (n, P, T)
                trajectories[key] = stacked
        return TrainOutcome(
            hazards=tuple(names),
            performer_margins=margin,
            performer_details=details,
            structure_margins=structure_margins,
            max_speed=max_speed,
            completed=ending > 0,
            ending=ending,
            progress=progress,
            trajectories=trajectories,
        )

    def completion_advice(self, progress: np.ndarray) -> str:
        """What to change when runs end before the track does (``progress``: how far the
        unfinished runs got [m])."""
        spec = self.scenario
        last_structure = max((st.at + st.length for st in spec.structures), default=0.0)
        return (f"the unfinished runs got at most {float(progress.max(initial=0)):.0f} m along "
                f"the {self.length:.0f} m track (the last structure ends at "
                f"{last_structure:.0f} m) in simulation.duration = "
                f"{spec.simulation.duration:g} s: lengthen simulation.duration")

    def nominal_run(self) -> dict[str, np.ndarray]:
        """The planned run (every input at its nominal value), recorded step by step:
        ``{"t", "s", "v", "a_long", "a_lat", …}`` as 1-D arrays over time."""
        outcome = self.simulate({}, 1, record=True)
        out = {}
        for key, values in outcome.trajectories.items():
            out[key] = values[0]
        return out


def _update_worst(worst: np.ndarray, details: dict[str, np.ndarray], column: int,
                  value: np.ndarray, alive: np.ndarray, facts: dict[str, np.ndarray]) -> None:
    """Running minimum of one performer's margin with the facts at that moment, and the
    first moment it went negative. ``worst`` is a view of column ``column``."""
    better = alive & (value < worst)
    if better.any():
        np.copyto(worst, value, where=better)
        for key, fact in facts.items():
            np.copyto(details[key][:, column], fact, where=better)
    first = alive & failed(value) & np.isinf(details["first_time"][:, column])
    if first.any():
        np.copyto(details["first_time"][:, column], facts["time"], where=first)
        np.copyto(details["first_segment"][:, column], facts["segment"], where=first)
