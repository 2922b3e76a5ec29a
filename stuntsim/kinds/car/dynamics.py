r"""Batched dynamic single-track (bicycle) model with Fiala tyres and a low-speed kinematic blend.

Every quantity is a numpy array over samples ``(n,)`` or a scalar that broadcasts;
the state is one ``(7, n)`` float64 array, component first, so each row is contiguous.
A Python loop runs over time steps only, never over samples.

State rows (:data:`STATE_NAMES`)
--------------------------------
``x, y``      CG position in the world frame [m]
``yaw``       heading ψ, from the world x axis, counter-clockwise positive [rad]
``vx, vy``    CG velocity in the body frame, x forward, y to the left [m/s]
``yaw_rate``  r = ψ̇, counter-clockwise positive [rad/s]
``steer``     road-wheel angle δ, positive to the left [rad]

Sign conventions
----------------
Body frame x forward, y left, z up (ISO 8855). A slip angle here is the direction of
the axle's velocity minus the wheel's heading, α_f = atan2(vy + a r, vx') − δ,
α_r = atan2(vy − b r, vx'), and the tyre law (:mod:`stuntsim.kinds.car.tyres`) gives
F_y = −C_α tan α + …, a force opposing the slip. This is Rajamani's (2012, §2.3)
α_f = δ − θ_Vf with F_y = +C_α α, with both signs flipped. A left steer (δ > 0)
therefore produces a leftward front force and a left (positive) yaw rate.

Equations (labels used in the code)
-----------------------------------
(E1)  ẋ = vx cos ψ − vy sin ψ,  ẏ = vx sin ψ + vy cos ψ,  ψ̇ = r
(E2)  tan α_f = v_w / u_w',  tan α_r = (vy − b r) / vx', with (u_w, v_w) the front axle
      velocity (vx, vy + a r) rotated by −δ into the wheel frame — the same angle as
      atan2(vy + a r, vx) − δ for vx > 0, without a trigonometric call — and
      u_w' = max(u_w, 0.1 m/s), vx' = max(vx, 0.1 m/s): a wheel moving sideways or
      backwards is fully sliding, with its force opposing its lateral velocity.
(E3)  F_z,f = m (g b − h a_x)/L,  F_z,r = m g − F_z,f,  F_z,f clipped to [0, m g]
(E4)  rolling axle: F_x = clip(F_x,req, ±μ F_z);  F_y = Fiala(tan α, C_α, √((μF_z)² − F_x²))
      (locked axle: E13)
(E5)  m (v̇x − vy r) = F_xf cos δ − F_yf sin δ + F_xr − F_drag − F_roll
(E6)  m (v̇y + vx r) = F_xf sin δ + F_yf cos δ + F_yr
(E7)  I_z ṙ = a (F_xf sin δ + F_yf cos δ) − b F_yr
(E8)  F_drag = ½ ρ C_dA vx|vx|,  F_roll = f_r m g · clip(vx / 0.1 m/s, −1, 1)
(E9)  kinematic bicycle: β_kin = atan(b tan δ / L), r_kin = v cos β tan δ / L, i.e. in
      body-frame terms r_kin = vx tan δ / L and vy_kin = b r_kin
(E10) blend weight w = clip((v_b − v_low)/(v_high − v_low), 0, 1),
      v̇y = w·(E6) + (1 − w)(vy_kin − vy)/τ_kin, likewise ṙ with r_kin;
      in (E5) the F_yf sin δ and vy r terms are multiplied by w (see E14 for locked axles)
(E11) steering actuator δ̇ = clip((δ_cmd − δ)/τ_δ, ±δ̇_max), δ_cmd clipped to ±δ_max
(E12) road slope: on a plane rising at angle θ in the direction of the unit vector t,
      gravity's component in the road plane is −g sin θ t; in the body frame
      g_x = −g sin θ cos(ψ − ψ_t), g_y = +g sin θ sin(ψ − ψ_t) (ψ_t the uphill direction),
      added to v̇x and to the dynamic part of v̇y. The normal load is m g cos θ; the caller
      folds cos θ into μ (μ·m g cos θ = (μ cos θ)·m g), which is exact for the friction
      limits and leaves the cornering stiffness unchanged (a 10 % grade: cos θ = 0.995).
      The ground forces' moment about the CG, not gravity, transfers load, so (E3) keeps
      using the tyre forces alone (Gillespie 1992, ch. 2, loads on a grade).
(E13) locked axles. The wheel spin is quasi-static: a braked wheel turns as long as
      friction can balance its brake. Rolling and fully sliding, its contact patch slides
      with (u − Ωr, v) in the wheel frame and the force μF_z opposes that velocity, which
      needs u − Ωr = |v||F_x| / √((μF_z)² − F_x²); Ω ≥ 0 then holds only for
      |F_x| ≤ μF_z u/|V|, |V| = √(u² + v²). A brake force B (brake_front_share of the
      request, before the standstill fade of E8) beyond that locks the axle:
          locked  ⇔  |B| · V_ε > μF_z · max(|u|, ε),   V_ε = max(|V|, ε), ε = 0.1 m/s
      (for v = 0 the familiar |B| > μF_z; at u = 0 a brake beyond μF_z ε/|V| locks a wheel
      sliding sideways). A locked axle's force is Coulomb friction against its contact
      patch's sliding velocity (Pacejka 2012 §3.2, brush model at full sliding):
          (F_x, F_y) = −ρ μF_z (u, v) / V_ε      (wheel frame)
      with ρ = locked_friction_ratio = μ_sliding/μ_peak (Wong, Table 1.3). (u, v) is
      (u_w, v_w) of E2 at the front, rotated back into the body frame with δ like any
      front force, so that a locked front never steers; (vx, vy − b r) at the rear. The
      force fades linearly below ε, like the brakes (E8). At the threshold a rolling
      axle is fully sliding whenever C_α ≥ 3μF_z (|q| = C_α|V|/(3μF_z u) ≥ 1 in Fiala),
      with μF_z (u, v)/|V| against the sliding direction: with ρ = 1 the two states meet
      continuously; with ρ < 1 the force drops by ρ at lock-up. A driven, spinning axle
      keeps E4: a spinning wheel's slip velocity is mostly longitudinal (Ωr − u ≫ |v|), so
      nearly all of μF_z goes along the wheel and F_y → 0.
(E14) the kinematic blend (E9, E10) assumes rolling wheels. A locked front axle does not
      steer the kinematic target (δ_eff = 0 in E9: r_kin = vy_kin = 0), and its lateral
      force enters (E5) with weight 1 (friction, not a constraint force). With both axles
      locked nothing constrains the car: w = 1 (the dynamic equations; not singular, the
      Coulomb forces need no slip angle, and not stiff: below ε the velocities decay at
      rates ≈ (0.8–1.3) ρμg/ε for the Fiat preset (I_z = m a b; eigenvalues of the
      Jacobian at standstill), so λ dt ≈ 1.3 at ρμ = 1, dt = 0.01 s: inside RK4's real
      stability limit 2.79).
      A locked rear with a rolling front keeps the kinematic target (see approximations).

Sources: Rajamani, R. (2012), *Vehicle Dynamics and Control*, 2nd ed., Springer:
§2.2 kinematic bicycle model (E9), §2.3 dynamic bicycle model (E2, E5–E7), §3.3
steady-state cornering; Gillespie, T. D. (1992), *Fundamentals of Vehicle Dynamics*,
SAE: ch. 2–3 (load transfer under acceleration and braking, E3), ch. 4 (road loads:
aerodynamic and rolling resistance, E8), ch. 6 (understeer gradient, yaw-velocity gain),
ch. 9 (rollover threshold); Pacejka (2012) and Hindiyeh & Gerdes (2014) for the tyre
(E4); Pacejka (2012) §3.2 and Wong, *Theory of Ground Vehicles*, Wiley, §1.3 and
Table 1.3 (peak and sliding adhesion) for the locked axle (E13). The low-speed switch
to a kinematic model follows the CommonRoad single-track models (*CommonRoad: Vehicle
Models*, TU München, models ST/STD), made smooth here with array arithmetic instead of
their scalar ``if v < v_switch``. Equation numbers of the
books are not quoted (not checked against the printed editions); the labels E1–E14
are this module's.

Approximations, stated
----------------------
- Longitudinal load transfer (E3) uses an estimate of a_x, not the state: a first
  estimate from the *requested* longitudinal forces minus resistances; the forces are
  clipped to the friction limits under those loads; a_x is re-estimated from the clipped
  forces (one fixed-point pass), the loads are recomputed and the forces re-clipped.
  The F_y sin δ and the vy r terms are left out of that estimate. No lateral load
  transfer (single track): roll-over is judged from a_y against
  :attr:`VehicleParams.rollover_threshold`.
- Friction μ under each axle is an input held over a step: the caller looks up the
  surface under each axle once per step (see :func:`simulate_open_loop`).
- Brakes and rolling resistance act against the wheel's longitudinal velocity and fade
  linearly to zero below 0.1 m/s, so a stopped car stays stopped and braking never
  pushes a car backwards; the last ~0.1 m/s of a stop decays exponentially (a few mm).
- Rear-wheel drive only, no reverse gear; the drive force is limited by power, P/max(vx, 1).
- Friction has one peak μ per surface; only a *locked* axle slides on ρ μ (E13). A rolling
  tyre that is fully sliding — a drift, a wheel sliding sideways, a spinning driven
  wheel — keeps the peak μ, though it slides as much as a locked one: this overstates
  the grip of a drifting or spinning car by up to 1/ρ (≈ 6–20 % for ρ = 0.83–0.94) and
  so biases its results towards "safe" (less slide, shorter stops while drifting). The
  Fiala law has no fall-off beyond its peak either.
- The wheel spin has no state (quasi-static, E13) and so no hysteresis: a real locked
  wheel stays locked until the brake force drops below ρ μF_z u/|V|, the model's unlocks
  below μF_z u/|V|. For a brake force between the two the model rolls where a wheel that
  had locked would still slide (optimistic in that band; never for full braking, whose
  brake force is far beyond μF_z). Lock-up is instantaneous (no wheel inertia), and an
  axle locks as a whole (no left/right split, no μ-split).
- A locked rear with a rolling front below v_high keeps the kinematic bicycle's target
  (E9 with the steer): the rolling front still constrains the car, and the rear's
  sliding is not modelled there, so a slow car (v_b < 3 m/s, stopping within
  v²/(2 ρ μ g) ≲ 1 m) cannot spin out under rear-lock braking. Above v_high it can.
- Below v_low the lateral states follow the kinematic bicycle (E9, E10): the dynamic
  lateral equations are stiff and singular as v → 0. In that regime the tyre lateral
  force and the vy r term are kept out of the vx equation too (the constraint forces
  that turn a kinematic car do no work), so with no tractive force a slow car keeps
  its speed. The blend speed is v_b = √(vx² + vy² + (L r / 2)²), so a car yawing fast
  stays in the dynamic (sliding) regime; still, a car spinning almost on the spot
  (v_b below ~2 m/s) is brought to rest faster than friction alone would (the
  kinematic model cannot slide). The tyre forces reported in StepOutputs are the
  tyre-law forces (Fiala, or Coulomb where locked) even where the kinematic model
  drives the motion.
- Step sizes: RK4 is comfortable at dt ≤ 0.01 s and still stable at 0.02 s for
  car-like parameters; the stiffest parts are the brake fade near standstill
  (rate ≈ μ g / 0.1 m/s), the locked axles' Coulomb fade below ε (the same rate, up to
  ≈ 1.3 ρμg/ε for the yaw–sideslip pair: dt ≤ 0.02 s at ρμ = 1) and the linear tyres just
  above v_low (rate ≈ (C_f + C_r)/(m v_low)). The lock state can switch within a step
  (a discontinuous right-hand side): RK4 is then only first-order accurate over that
  step.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np

from stuntsim.constants import GRAVITY
from stuntsim.errors import NumericalError
from stuntsim.kinds.car.tyres import _TINY_FORCE
from stuntsim.ufuncs import clip

__all__ = [
    "GRAVITY",
    "STATE_NAMES",
    "STEER",
    "VX",
    "VY",
    "YAW",
    "YAW_RATE",
    "NumericalError",
    "OpenLoopResult",
    "StepOutputs",
    "VehicleParams",
    "X",
    "Y",
    "check_finite",
    "derivatives",
    "initial_state",
    "rk4_step",
    "simulate_open_loop",
    "slope_acceleration",
]


STATE_NAMES = ("x", "y", "yaw", "vx", "vy", "yaw_rate", "steer")
X, Y, YAW, VX, VY, YAW_RATE, STEER = range(7)
N_STATES = len(STATE_NAMES)

# Floor for the longitudinal wheel speed in the slip-angle denominators [m/s] (E2).
_MIN_SLIP_SPEED = 0.1
# Below this speed brakes and rolling resistance fade linearly to zero [m/s] (E8).
_STANDSTILL_SPEED = 0.1
# Velocities below this magnitude [m/s, rad/s] are set to 0 after each step.
_SNAP_TO_REST = 1e-9
# Speed below which the drive force is no longer power-limited [m/s].
_MIN_POWER_SPEED = 1.0


# --------------------------------------------------------------------------- parameters

_POSITIVE = (
    "mass",
    "yaw_inertia",
    "cg_to_front",
    "cg_to_rear",
    "cg_height",
    "track_width",
    "length",
    "width",
    "max_steer",
    "max_steer_rate",
    "steer_time_constant",
    "kinematic_relaxation_time",
)
_NON_NEGATIVE = (
    "front_overhang",
    "cornering_stiffness_front",
    "cornering_stiffness_rear",
    "max_drive_force",
    "max_drive_power",
    "max_brake_force",
    "drag_area",
    "rolling_resistance",
    "air_density",
)


@dataclass(frozen=True, eq=False)
class VehicleParams:
    """Single-track vehicle parameters, all SI. Each field is a float or an ``(n,)`` array.

    Arrays let every Monte Carlo sample carry its own car (a drawn CG height, a drawn
    cornering stiffness, …). Arrays are copied and made read-only on construction;
    use :meth:`with_overrides` (or :func:`dataclasses.replace`) for a changed copy.
    """

    mass: float | np.ndarray
    """Total mass including driver, pod and rig m [kg]."""
    yaw_inertia: float | np.ndarray
    """Yaw moment of inertia about the CG I_z [kg m²] (≈ m·a·b if unknown)."""
    cg_to_front: float | np.ndarray
    """Horizontal distance CG → front axle a [m]."""
    cg_to_rear: float | np.ndarray
    """Horizontal distance CG → rear axle b [m]."""
    cg_height: float | np.ndarray
    """CG height above the ground h [m]."""
    track_width: float | np.ndarray
    """Track width t (wheel centre to wheel centre) [m]; the tipping lever is t/2."""
    length: float | np.ndarray
    """Overall body length, bumper to bumper [m]."""
    width: float | np.ndarray
    """Overall body width [m]."""
    front_overhang: float | np.ndarray
    """Front bumper ahead of the front axle [m]."""
    cornering_stiffness_front: float | np.ndarray
    """Front *axle* cornering stiffness C_f (both tyres) [N/rad]."""
    cornering_stiffness_rear: float | np.ndarray
    """Rear *axle* cornering stiffness C_r (both tyres) [N/rad]."""
    max_steer: float | np.ndarray
    """Largest road-wheel angle δ_max [rad], < π/2."""
    max_steer_rate: float | np.ndarray
    """Largest road-wheel angle rate δ̇_max [rad/s]."""
    steer_time_constant: float | np.ndarray
    """Time constant τ_δ of the first-order steering actuator [s], > 0."""
    max_drive_force: float | np.ndarray
    """Largest rear-axle drive force (traction limit of the driveline) [N]."""
    max_drive_power: float | np.ndarray
    """Largest power at the wheels [W]; the drive force is ≤ P / max(vx, 1 m/s)."""
    max_brake_force: float | np.ndarray
    """Total brake-system force capacity, both axles [N]."""
    brake_front_share: float | np.ndarray
    """Fraction of the brake force on the front axle [-], in [0, 1]."""
    drag_area: float | np.ndarray
    """Aerodynamic drag area C_d·A [m²]."""
    rolling_resistance: float | np.ndarray
    """Rolling-resistance coefficient f_r [-] (force f_r·m·g)."""
    locked_friction_ratio: float | np.ndarray
    """ρ = μ_sliding / μ_peak [-], in (0, 1]: a locked axle slides with ρ μ (E13); the
    rolling tyres keep the peak μ. Wong, *Theory of Ground Vehicles*, Table 1.3: dry
    asphalt 0.75 sliding against 0.8–0.9 peak, wet asphalt 0.45–0.6 against 0.5–0.7."""
    air_density: float | np.ndarray = 1.2
    """Air density ρ [kg/m³]; 1.2 near sea level at ~20 °C (REFERENCES.md)."""
    kinematic_blend_speeds: tuple[float, float] = (1.0, 3.0)
    """(v_low, v_high) [m/s]: kinematic below v_low, dynamic above v_high, linear blend between."""
    kinematic_relaxation_time: float | np.ndarray = 0.05
    """Time constant τ_kin [s] with which vy and r follow the kinematic bicycle at low speed
    (a numerical device, not a physical property; keep it ≳ 2.5 dt for RK4)."""

    def __post_init__(self):
        sizes = set()
        for field in dataclasses.fields(self):
            if field.name == "kinematic_blend_speeds":
                continue
            value = np.array(getattr(self, field.name), dtype=np.float64)
            if value.ndim > 1:
                raise ValueError(f"VehicleParams.{field.name} must be a scalar or (n,) array")
            if not np.all(np.isfinite(value)):
                raise ValueError(f"VehicleParams.{field.name} must be finite")
            if field.name in _POSITIVE and not np.all(value > 0):
                raise ValueError(f"VehicleParams.{field.name} must be > 0")
            if field.name in _NON_NEGATIVE and not np.all(value >= 0):
                raise ValueError(f"VehicleParams.{field.name} must be ≥ 0")
            if value.ndim == 0:
                value = float(value)
            else:
                sizes.add(value.shape[0])
                value.flags.writeable = False
            object.__setattr__(self, field.name, value)
        if len(sizes) > 1:
            raise ValueError(f"VehicleParams arrays have different lengths {sorted(sizes)}")
        if not np.all((self.brake_front_share >= 0) & (self.brake_front_share <= 1)):
            raise ValueError("VehicleParams.brake_front_share must be in [0, 1]")
        if not np.all((self.locked_friction_ratio > 0) & (self.locked_friction_ratio <= 1)):
            raise ValueError("VehicleParams.locked_friction_ratio must be in (0, 1]")
        if not np.all(self.max_steer < 0.5 * np.pi):
            raise ValueError("VehicleParams.max_steer must be < π/2")
        if not np.all(self.rear_overhang >= 0):
            raise ValueError("VehicleParams: length < wheelbase + front_overhang")
        low, high = (float(v) for v in self.kinematic_blend_speeds)
        if not (0 <= low < high and np.isfinite(high)):
            raise ValueError("VehicleParams.kinematic_blend_speeds must be 0 ≤ low < high")
        object.__setattr__(self, "kinematic_blend_speeds", (low, high))

    def with_overrides(self, **fields) -> VehicleParams:
        """A copy with some fields replaced (floats or ``(n,)`` arrays); validated again."""
        return dataclasses.replace(self, **fields)

    @property
    def wheelbase(self):
        """Wheelbase L = a + b [m]."""
        return self.cg_to_front + self.cg_to_rear

    @property
    def rear_overhang(self):
        """Rear bumper behind the rear axle, length − L − front overhang [m]."""
        return self.length - self.wheelbase - self.front_overhang

    @property
    def static_stability_factor(self):
        """Static stability factor SSF = t / (2h) [-] (NHTSA rollover rating; REFERENCES.md)."""
        return self.track_width / (2.0 * self.cg_height)

    @property
    def rollover_threshold(self):
        """Quasi-static (untripped) rollover threshold a_y = SSF·g [m/s²] (NHTSA; REFERENCES.md)."""
        return self.static_stability_factor * GRAVITY

    @property
    def understeer_gradient(self):
        """Understeer gradient K = (m/L)(b/C_f − a/C_r) [rad/(m/s²)].

        Gillespie (1992) ch. 6 writes it as W_f/C_αf − W_r/C_αr (axle weights, deg/g);
        this is the same quantity with W_f = m g b/L, in SI. Steady yaw-rate gain
        r/δ = V/(L + K V²). K > 0 understeer.
        """
        return (self.mass / self.wheelbase) * (
            self.cg_to_rear / self.cornering_stiffness_front
            - self.cg_to_front / self.cornering_stiffness_rear
        )

    @cached_property
    def _coefficients(self) -> _Coefficients:
        m = self.mass
        wheelbase = self.wheelbase
        low, high = self.kinematic_blend_speeds
        return _Coefficients(
            mass=m,
            inv_mass=1.0 / m,
            inv_yaw_inertia=1.0 / self.yaw_inertia,
            a=self.cg_to_front,
            b=self.cg_to_rear,
            neg_b=-self.cg_to_rear,
            inv_wheelbase=1.0 / wheelbase,
            half_wheelbase=0.5 * wheelbase,
            weight=m * GRAVITY,
            static_load_front=m * GRAVITY * self.cg_to_rear / wheelbase,
            neg_load_transfer=-m * self.cg_height / wheelbase,
            drag_coefficient=0.5 * self.air_density * self.drag_area,
            rolling_force=self.rolling_resistance * m * GRAVITY,
            inv_steer_time=1.0 / self.steer_time_constant,
            blend_low=low,
            inv_blend_width=1.0 / (high - low),
            inv_relaxation_time=1.0 / self.kinematic_relaxation_time,
            neg_third_stiffness_front=-self.cornering_stiffness_front / 3.0,
            neg_third_stiffness_rear=-self.cornering_stiffness_rear / 3.0,
            neg_max_steer_rate=-self.max_steer_rate,
            neg_lock_ratio=-self.locked_friction_ratio,
        )


class _Coefficients(NamedTuple):
    """Per-parameter-set constants, computed once (VehicleParams._coefficients)."""

    mass: float | np.ndarray
    inv_mass: float | np.ndarray
    inv_yaw_inertia: float | np.ndarray
    a: float | np.ndarray
    b: float | np.ndarray
    neg_b: float | np.ndarray
    inv_wheelbase: float | np.ndarray
    half_wheelbase: float | np.ndarray
    weight: float | np.ndarray
    static_load_front: float | np.ndarray
    neg_load_transfer: float | np.ndarray
    drag_coefficient: float | np.ndarray
    rolling_force: float | np.ndarray
    inv_steer_time: float | np.ndarray
    blend_low: float
    inv_blend_width: float
    inv_relaxation_time: float | np.ndarray
    neg_third_stiffness_front: float | np.ndarray
    neg_third_stiffness_rear: float | np.ndarray
    neg_max_steer_rate: float | np.ndarray
    neg_lock_ratio: float | np.ndarray


# ------------------------------------------------------------------------------ outputs


class StepOutputs(NamedTuple):
    """What a step reports besides the derivative; each field ``(n,)``.

    ``ax, ay`` are the CG accelerations in the body frame, v̇x − vy r and v̇y + vx r
    [m/s²] — in the dynamic regime exactly the body-frame force sums over m (E5, E6);
    ``ay`` is what loads the outer wheels (compare with ``rollover_threshold``).
    Tyre forces are axle forces in the wheel frame (front) / body frame (rear) [N];
    ``saturation_*`` is |F_y| / available lateral peak √((μF_z)² − F_x²) [-], 1 when
    nothing is left (a spinning axle) or the axle is locked (fully sliding).
    ``sideslip`` β = atan2(vy, vx) [rad]. ``dynamic_weight`` is w of (E10, E14): 0
    kinematic, 1 fully dynamic. ``locked_*``: the axle is locked (E13), bool.
    """

    ax: np.ndarray
    ay: np.ndarray
    normal_load_front: np.ndarray
    normal_load_rear: np.ndarray
    longitudinal_force_front: np.ndarray
    longitudinal_force_rear: np.ndarray
    lateral_force_front: np.ndarray
    lateral_force_rear: np.ndarray
    saturation_front: np.ndarray
    saturation_rear: np.ndarray
    sideslip: np.ndarray
    dynamic_weight: np.ndarray
    locked_front: np.ndarray
    locked_rear: np.ndarray


class _Commands(NamedTuple):
    """Commands turned into actuator targets; constant over a step."""

    steer_target: np.ndarray | float  # [rad], within ±max_steer
    drive_request: np.ndarray | float  # [N], before the power limit, ≥ 0
    brake_front: np.ndarray | float  # [N], ≤ 0 (a rearward force)
    brake_rear: np.ndarray | float  # [N], ≤ 0
    brake_front_magnitude: np.ndarray | float  # [N], −brake_front ≥ 0 (lock test, E13)
    brake_rear_magnitude: np.ndarray | float  # [N], −brake_rear ≥ 0
    mu_front: np.ndarray | float  # [-]
    mu_rear: np.ndarray | float  # [-]
    slope_x: np.ndarray | float  # [m/s²] gravity along the body x axis from the road slope
    slope_y: np.ndarray | float  # [m/s²] gravity along the body y axis


def _prepare_commands(
    steer_command, accel_command, params, mu_front, mu_rear, slope_x=0.0, slope_y=0.0
) -> _Commands:
    accel = np.asarray(accel_command, dtype=np.float64)
    steer_target = clip(
        np.asarray(steer_command, dtype=np.float64), -params.max_steer, params.max_steer
    )
    force = params.mass * accel
    drive_request = clip(force, 0.0, params.max_drive_force)
    brake = clip(force, -params.max_brake_force, 0.0)  # ≤ 0
    brake_front = params.brake_front_share * brake
    brake_rear = brake - brake_front
    return _Commands(
        steer_target=steer_target,
        drive_request=drive_request,
        brake_front=brake_front,
        brake_rear=brake_rear,
        brake_front_magnitude=np.negative(brake_front),
        brake_rear_magnitude=np.negative(brake_rear),
        mu_front=np.asarray(mu_front, dtype=np.float64),
        mu_rear=np.asarray(mu_rear, dtype=np.float64),
        slope_x=np.asarray(slope_x, dtype=np.float64),
        slope_y=np.asarray(slope_y, dtype=np.float64),
    )


# ---------------------------------------------------------------------- the model itself


def derivatives(
    state, steer_command, accel_command, params: VehicleParams, mu_front, mu_rear, *,
    slope_x=0.0, slope_y=0.0,
) -> tuple[np.ndarray, StepOutputs]:
    """Time derivative of the state and the step outputs at this state.

    Parameters
    ----------
    state : ndarray (7, n)           State, rows as :data:`STATE_NAMES`.
    steer_command : array_like       Road-wheel angle request δ_cmd [rad], clipped to ±max_steer.
    accel_command : array_like       Longitudinal acceleration request [m/s²]; > 0 rear-wheel
                                     drive force m·a (≤ max_drive_force, ≤ P/max(vx, 1)),
                                     < 0 brake force m·|a| (≤ max_brake_force) split by
                                     brake_front_share; each axle then limited by friction.
    params : VehicleParams
    mu_front, mu_rear : array_like   Tyre–road friction under each axle [-], held by the caller.
    slope_x, slope_y : array_like    Gravity's components along the body x and y axes from
                                     the road's slope [m/s²] (E12), held by the caller;
                                     :func:`slope_acceleration` computes them.

    Returns
    -------
    (dstate/dt (7, n), StepOutputs)
    """
    state = _as_state(state)
    commands = _prepare_commands(
        steer_command, accel_command, params, mu_front, mu_rear, slope_x, slope_y
    )
    out = np.empty_like(state)
    workspace = _workspace(state.shape[1])
    outputs = _rates(state, commands, params, out, workspace, want_outputs=True)
    return out, outputs


def rk4_step(
    state, dt, steer_command, accel_command, params: VehicleParams, mu_front, mu_rear, *,
    out=None, slope_x=0.0, slope_y=0.0,
) -> tuple[np.ndarray, StepOutputs]:
    """Advance the state by one classic fourth-order Runge–Kutta step.

    Commands and friction are held constant over the step. The returned
    :class:`StepOutputs` describe the state at the *start* of the step under this
    step's commands (they are a by-product of the first RK4 stage, so they cost
    nothing extra): outputs of step k pair with state k, not with state k + 1.

    Velocities (vx, vy, r) smaller than 1e-9 in magnitude are set to exactly 0 after
    the step, so that a stopping car reaches a true standstill.

    Parameters
    ----------
    state : ndarray (7, n)   State at t [rows as STATE_NAMES]; not modified unless ``out``
                             is ``state``.
    dt : float               Time step [s] (≤ 0.01 s recommended, see the module notes).
    steer_command, accel_command, params, mu_front, mu_rear : as in :func:`derivatives`.
    slope_x, slope_y : as in :func:`derivatives` (held over the step).
    out : ndarray (7, n), optional
        Where to write the new state (may be ``state`` itself, for an in-place update;
        saves an allocation per step in long loops).

    Returns
    -------
    (state at t + dt (7, n), StepOutputs at t)
    """
    state = _as_state(state)
    commands = _prepare_commands(
        steer_command, accel_command, params, mu_front, mu_rear, slope_x, slope_y
    )
    ws = _workspace(state.shape[1])
    k1, k2, k3, k4, stage = ws.k1, ws.k2, ws.k3, ws.k4, ws.stage
    half = 0.5 * dt

    outputs = _rates(state, commands, params, k1, ws, want_outputs=True)
    np.multiply(k1, half, out=stage)
    stage += state
    _rates(stage, commands, params, k2, ws, want_outputs=False)
    np.multiply(k2, half, out=stage)
    stage += state
    _rates(stage, commands, params, k3, ws, want_outputs=False)
    np.multiply(k3, dt, out=stage)
    stage += state
    _rates(stage, commands, params, k4, ws, want_outputs=False)

    # state + dt/6 (k1 + 2 k2 + 2 k3 + k4)
    k2 += k3
    k2 *= 2.0
    k2 += k1
    k2 += k4
    k2 *= dt / 6.0
    if out is None:
        out = np.empty_like(state)
    np.add(k2, state, out=out)
    # A stopping car approaches rest exponentially (the brake fade of E8); snap tiny
    # velocities to exactly 0 so it reaches a true standstill and the arithmetic never
    # meets subnormal floats (which are ~100× slower on x86).
    velocities = out[VX : YAW_RATE + 1]
    np.abs(velocities, out=ws.snap_abs)
    np.greater_equal(ws.snap_abs, _SNAP_TO_REST, out=ws.snap_mask)
    velocities *= ws.snap_mask
    return out, outputs


# Scratch rows of the workspace, one (n,) float64 array each.
_SCRATCH = (
    "tmp",
    "tmp2",
    "tan_steer",
    "cos_steer",
    "sin_steer",
    "front_lateral",
    "rear_lateral",
    "wheel_long",
    "slip_front",
    "slip_rear",
    "fade_rear",
    "resistance",
    "request_rear",
    "accel",
    "load_front",
    "load_rear",
    "cap_front",
    "cap_rear",
    "force_front",
    "force_rear",
    "weight",
    "body_front_lateral",
    "centripetal",
    "slide_long_front",
    "slide_lat_front",
    "slide_long_rear",
    "slide_lat_rear",
    "lock_front",
    "lock_rear",
    "weight_front",
    # The lock state of each axle (E13) and of both, as 1.0 / 0.0: blending with a float
    # flag (a + f (b − a)) costs four passes, np.copyto(where=) as much as ~14.
    "locked_front",
    "locked_rear",
    "locked_both",
)


class _Workspace:
    """Scratch arrays for one sample count, reused across calls.

    Reusing them avoids allocating ~150 temporaries per RK4 step; with glibc's
    default heap trimming those allocations alone cost ~25 % of the run time.
    One workspace per thread (see :func:`_workspace`), so threads never share it.
    """

    def __init__(self, n: int):
        self.n = n
        rows = np.empty((len(_SCRATCH), n))
        for i, name in enumerate(_SCRATCH):
            setattr(self, name, rows[i])
        self.k1, self.k2, self.k3, self.k4, self.stage = np.empty((5, N_STATES, n))
        self.snap_abs = np.empty((YAW_RATE + 1 - VX, n))
        self.snap_mask = np.empty((YAW_RATE + 1 - VX, n), dtype=bool)


_thread_local = threading.local()


def _workspace(n: int) -> _Workspace:
    workspace = getattr(_thread_local, "workspace", None)
    if workspace is None or workspace.n != n:
        workspace = _Workspace(n)
        _thread_local.workspace = workspace
    return workspace


def _rates(state, commands: _Commands, params, out, ws: _Workspace, *, want_outputs):
    """Write dstate/dt into ``out`` (7, n); return StepOutputs if asked (else None).

    Written with in-place operations into the workspace: it runs four times per RK4
    step, and its cost is the number of passes over the sample axis.
    """
    c = params._coefficients
    vx = state[VX]
    vy = state[VY]
    r = state[YAW_RATE]
    steer = state[STEER]
    tmp = ws.tmp

    # (E1) heading via the half-angle tangent: one tan instead of a sin and a cos
    # (numpy's float64 tan is vectorised, its sin and cos are not).
    t = np.multiply(state[YAW], 0.5, out=ws.load_front)
    np.tan(t, out=t)
    cos_yaw = np.multiply(t, t, out=ws.load_rear)
    inv = np.add(cos_yaw, 1.0, out=ws.cap_front)
    np.divide(1.0, inv, out=inv)
    np.subtract(1.0, cos_yaw, out=cos_yaw)
    cos_yaw *= inv
    sin_yaw = np.multiply(t, inv, out=inv)
    sin_yaw *= 2.0
    np.multiply(vx, cos_yaw, out=out[X])
    np.multiply(vy, sin_yaw, out=tmp)
    out[X] -= tmp
    np.multiply(vx, sin_yaw, out=out[Y])
    np.multiply(vy, cos_yaw, out=tmp)
    out[Y] += tmp
    out[YAW] = r

    # Steering: tan δ, then cos δ = 1/√(1 + tan²δ) (|δ| < π/2) and sin δ = tan δ cos δ.
    tan_steer = np.tan(steer, out=ws.tan_steer)
    cos_steer = np.multiply(tan_steer, tan_steer, out=ws.cos_steer)
    cos_steer += 1.0
    np.sqrt(cos_steer, out=cos_steer)
    np.divide(1.0, cos_steer, out=cos_steer)
    sin_steer = np.multiply(tan_steer, cos_steer, out=ws.sin_steer)

    # (E2) slip from velocity ratios; the front axle velocity rotated into the wheel frame.
    front_lateral = np.multiply(r, c.a, out=ws.front_lateral)
    front_lateral += vy  # vy + a r
    rear_lateral = np.multiply(r, c.neg_b, out=ws.rear_lateral)
    rear_lateral += vy  # vy − b r
    wheel_long = np.multiply(vx, cos_steer, out=ws.wheel_long)
    np.multiply(front_lateral, sin_steer, out=tmp)
    wheel_long += tmp
    wheel_lat = np.multiply(front_lateral, cos_steer, out=front_lateral)
    np.multiply(vx, sin_steer, out=tmp)
    wheel_lat -= tmp
    slip_front = np.maximum(wheel_long, _MIN_SLIP_SPEED, out=ws.slip_front)
    slip_rear = np.maximum(vx, _MIN_SLIP_SPEED, out=ws.slip_rear)
    # (E13) a locked axle's sliding direction and lock threshold, from (u, v) of each axle.
    _sliding(wheel_long, wheel_lat, c, ws.slide_long_front, ws.slide_lat_front,
             ws.lock_front, tmp)
    _sliding(vx, rear_lateral, c, ws.slide_long_rear, ws.slide_lat_rear, ws.lock_rear, tmp)

    # (E8) resistances; brakes and rolling resistance fade out at standstill.
    fade_rear = np.multiply(vx, 1.0 / _STANDSTILL_SPEED, out=ws.fade_rear)
    clip(fade_rear, -1.0, 1.0, out=fade_rear)
    fade_front = np.multiply(wheel_long, 1.0 / _STANDSTILL_SPEED, out=wheel_long)
    clip(fade_front, -1.0, 1.0, out=fade_front)
    resistance = np.abs(vx, out=ws.resistance)
    resistance *= vx
    resistance *= c.drag_coefficient
    np.multiply(fade_rear, c.rolling_force, out=tmp)
    resistance += tmp

    # Requested axle forces: front brakes only; rear drive (power-limited) minus brakes.
    request_front = np.multiply(fade_front, commands.brake_front, out=fade_front)
    request_rear = np.maximum(vx, _MIN_POWER_SPEED, out=ws.request_rear)
    np.divide(params.max_drive_power, request_rear, out=request_rear)
    np.minimum(commands.drive_request, request_rear, out=request_rear)
    fade_rear *= commands.brake_rear
    request_rear += fade_rear

    # (E3, E4) load transfer with one fixed-point pass on a_x, then friction limits.
    accel = np.add(request_front, request_rear, out=ws.accel)
    accel -= resistance
    accel *= c.inv_mass
    _clip_to_friction(accel, request_front, request_rear, commands, c, ws)
    force_front, force_rear = ws.force_front, ws.force_rear
    np.add(force_front, force_rear, out=accel)
    accel -= resistance
    accel *= c.inv_mass
    _clip_to_friction(accel, request_front, request_rear, commands, c, ws)
    # (E13) a locked axle's lateral force, −ρ μF_z v/max(|V|, ε), before cap is reused.
    locked_lateral_front = np.multiply(ws.cap_front, ws.slide_lat_front, out=ws.slide_lat_front)
    locked_lateral_rear = np.multiply(ws.cap_rear, ws.slide_lat_rear, out=ws.slide_lat_rear)
    # Lateral peaks left by the friction ellipse, √((μFz)² − Fx²). The clipped rolling
    # force has cap² ≥ Fx² exactly; a locked one (|Fx| ≤ ρ cap) may exceed cap by an ulp.
    peak_front = np.multiply(ws.cap_front, ws.cap_front, out=ws.cap_front)
    np.multiply(force_front, force_front, out=tmp)
    peak_front -= tmp
    np.maximum(peak_front, 0.0, out=peak_front)
    np.sqrt(peak_front, out=peak_front)
    peak_rear = np.multiply(ws.cap_rear, ws.cap_rear, out=ws.cap_rear)
    np.multiply(force_rear, force_rear, out=tmp)
    peak_rear -= tmp
    np.maximum(peak_rear, 0.0, out=peak_rear)
    np.sqrt(peak_rear, out=peak_rear)
    # Fiala with q = −C tan α / (3 F_p) = −C v_w / (3 F_p u_w') (front), −C (vy − b r)/(3 F_p vx').
    slip_front *= np.maximum(peak_front, _TINY_FORCE, out=tmp)
    wheel_lat *= c.neg_third_stiffness_front
    wheel_lat /= slip_front
    lateral_front = _fiala_normalised(wheel_lat, peak_front, ws.tmp, ws.tmp2)
    slip_rear *= np.maximum(peak_rear, _TINY_FORCE, out=tmp)
    rear_lateral *= c.neg_third_stiffness_rear
    rear_lateral /= slip_rear
    lateral_rear = _fiala_normalised(rear_lateral, peak_rear, ws.tmp, ws.tmp2)
    # (E13) locked axles: the Coulomb force instead of the rolling tyre's.
    locked_lateral_front -= lateral_front
    locked_lateral_front *= ws.locked_front
    lateral_front += locked_lateral_front
    locked_lateral_rear -= lateral_rear
    locked_lateral_rear *= ws.locked_rear
    lateral_rear += locked_lateral_rear

    # (E10) blend weight from v_b = √(vx² + vy² + (L r/2)²).
    weight = np.multiply(r, c.half_wheelbase, out=ws.weight)
    weight *= weight
    np.multiply(vx, vx, out=tmp)
    weight += tmp
    np.multiply(vy, vy, out=tmp)
    weight += tmp
    np.sqrt(weight, out=weight)
    weight -= c.blend_low
    weight *= c.inv_blend_width
    clip(weight, 0.0, 1.0, out=weight)
    # (E14) both axles locked: no rolling wheel constrains the car, it slides (dynamic
    # equations, not stiff: the Coulomb forces need no slip angle).
    np.maximum(weight, np.multiply(ws.locked_front, ws.locked_rear, out=ws.locked_both),
               out=weight)

    # Front axle force in the body frame, lateral component (shared by E6 and E7).
    body_front_lateral = np.multiply(force_front, sin_steer, out=ws.body_front_lateral)
    np.multiply(lateral_front, cos_steer, out=tmp)
    body_front_lateral += tmp

    # (E5) longitudinal. The tyre lateral force and the vy r term enter weighted by w: in
    # the kinematic regime v̇x is the tractive acceleration alone, so that with no
    # tractive force a slow car keeps its speed on a constant-radius path, as the
    # kinematic bicycle does (the constraint forces that turn it do no work). A locked
    # front's lateral force is friction, not a constraint force: it enters with weight 1.
    vx_dot = np.multiply(force_front, cos_steer, out=out[VX])
    np.multiply(lateral_front, sin_steer, out=tmp)
    tmp *= np.maximum(weight, ws.locked_front, out=ws.weight_front)
    centripetal = np.multiply(vy, r, out=ws.centripetal)
    centripetal *= c.mass  # m vy r
    centripetal *= weight
    tmp -= centripetal
    vx_dot -= tmp
    vx_dot += force_rear
    vx_dot -= resistance
    vx_dot *= c.inv_mass
    vx_dot += commands.slope_x  # (E12) in both regimes: a slow car rolls downhill too

    # (E9) kinematic targets r_kin = vx tan δ / L, vy_kin = b r_kin, approached with
    # rate (1 − w)/τ_kin; (E14) a locked front axle does not steer: δ_eff = 0.
    relax = np.subtract(1.0, weight, out=sin_steer)
    relax *= c.inv_relaxation_time
    yaw_rate_kin = np.multiply(vx, tan_steer, out=tan_steer)
    yaw_rate_kin -= np.multiply(yaw_rate_kin, ws.locked_front, out=tmp)
    yaw_rate_kin *= c.inv_wheelbase
    lateral_kin = np.multiply(yaw_rate_kin, c.b, out=cos_steer)
    lateral_kin -= vy
    lateral_kin *= relax
    yaw_rate_kin -= r
    yaw_rate_kin *= relax

    # (E6, E10) lateral: w·dynamic + (1 − w)(vy_kin − vy)/τ_kin.
    vy_dot = np.add(body_front_lateral, lateral_rear, out=out[VY])
    vy_dot *= c.inv_mass
    vy_dot += commands.slope_y  # (E12); the kinematic regime's tyres hold it (no sliding)
    np.multiply(vx, r, out=tmp)
    vy_dot -= tmp
    vy_dot *= weight
    vy_dot += lateral_kin

    # (E7, E10) yaw.
    r_dot = np.multiply(body_front_lateral, c.a, out=out[YAW_RATE])
    np.multiply(lateral_rear, c.b, out=tmp)
    r_dot -= tmp
    r_dot *= c.inv_yaw_inertia
    r_dot *= weight
    r_dot += yaw_rate_kin

    # (E11) steering actuator.
    steer_rate = np.subtract(commands.steer_target, steer, out=out[STEER])
    steer_rate *= c.inv_steer_time
    np.minimum(steer_rate, params.max_steer_rate, out=steer_rate)
    np.maximum(steer_rate, c.neg_max_steer_rate, out=steer_rate)

    if not want_outputs:
        return None
    lateral_front = lateral_front.copy()
    lateral_rear = lateral_rear.copy()
    locked_front = ws.locked_front > 0.5
    locked_rear = ws.locked_rear > 0.5
    vy_r = vy * r
    return StepOutputs(
        ax=out[VX] - vy_r,  # v̇x − vy r
        ay=np.add(out[VY], vx * r),  # v̇y + vx r
        normal_load_front=ws.load_front.copy(),
        normal_load_rear=ws.load_rear.copy(),
        longitudinal_force_front=force_front.copy(),
        longitudinal_force_rear=force_rear.copy(),
        lateral_force_front=lateral_front,
        lateral_force_rear=lateral_rear,
        saturation_front=_saturation(lateral_front, peak_front, locked_front),
        saturation_rear=_saturation(lateral_rear, peak_rear, locked_rear),
        sideslip=np.arctan2(vy, vx),
        dynamic_weight=weight.copy(),
        locked_front=locked_front,
        locked_rear=locked_rear,
    )


def slope_acceleration(grade, yaw, uphill_heading, g=GRAVITY):
    """Gravity's body-frame components on a sloping road (E12) [m/s²].

    Parameters
    ----------
    grade : array_like           Rise over run of the road, tan θ [-] (0.08 for an 8 % grade;
                                 negative: falling in the direction ``uphill_heading``).
    yaw : array_like             Car heading ψ [rad].
    uphill_heading : array_like  Direction ψ_t in which the road rises by ``grade`` [rad].

    Returns
    -------
    (g_x, g_y, cos θ): along the car's x (forward) and y (left) axes, and the factor on the
    normal load. A car heading straight uphill gets g_x = −g sin θ, g_y = 0.
    """
    theta = np.arctan(np.asarray(grade, dtype=float))
    along = np.asarray(yaw, dtype=float) - np.asarray(uphill_heading, dtype=float)
    g_plane = g * np.sin(theta)
    return -g_plane * np.cos(along), g_plane * np.sin(along), np.cos(theta)


def _fiala_normalised(q, peak, shape, magnitude):
    """Fiala law from q = −C_α tan α / (3 F_p) (unclipped), in place on q; returns F_y [N].

    F_y = F_p q̂ (3 − 3|q̂| + q̂²) with q̂ = clip(q, −1, 1): the factored form of
    :func:`stuntsim.kinds.car.tyres.fiala_lateral_force`. ``shape`` and ``magnitude`` are scratch.
    """
    clip(q, -1.0, 1.0, out=q)
    np.abs(q, out=shape)
    np.subtract(shape, 3.0, out=magnitude)
    magnitude *= shape
    magnitude += 3.0
    q *= magnitude
    q *= peak
    return q


def _sliding(u, v, c, slide_long, slide_lat, lock, scratch):
    """(E13) for one axle with wheel-frame velocity (u, v), in place, no allocation.

    Writes slide_long = −ρ u / V_ε and slide_lat = −ρ v / V_ε (the locked force per
    newton of μF_z) and lock = max(|u|, ε) / V_ε (the axle locks when the brake force
    exceeds μF_z times this), with V_ε = max(√(u² + v²), ε). ``scratch`` is overwritten.
    """
    speed = np.multiply(u, u, out=slide_lat)
    np.multiply(v, v, out=scratch)
    speed += scratch
    np.sqrt(speed, out=speed)
    np.maximum(speed, _STANDSTILL_SPEED, out=speed)
    np.abs(u, out=lock)
    np.maximum(lock, _STANDSTILL_SPEED, out=lock)
    lock /= speed
    np.divide(c.neg_lock_ratio, speed, out=speed)  # −ρ / V_ε
    np.multiply(u, speed, out=slide_long)
    speed *= v


def _clip_to_friction(accel, request_front, request_rear, commands: _Commands, c, ws):
    """(E3, E4, E13): axle loads for a longitudinal acceleration, forces within friction.

    Writes ws.load_front/rear, ws.cap_front/rear (μ F_z), ws.locked_front/rear (1.0 /
    0.0) and ws.force_front/rear: clip(F_x,req, ±μF_z) on a rolling axle, −ρ μF_z u/V_ε
    on a locked one (:func:`_sliding` wrote the directions and thresholds).
    """
    load_front = np.multiply(accel, c.neg_load_transfer, out=ws.load_front)
    load_front += c.static_load_front
    clip(load_front, 0.0, c.weight, out=load_front)
    load_rear = np.subtract(c.weight, load_front, out=ws.load_rear)
    cap_front = np.multiply(commands.mu_front, load_front, out=ws.cap_front)
    cap_rear = np.multiply(commands.mu_rear, load_rear, out=ws.cap_rear)
    # (E13) an axle is locked where |B| > μF_z max(|u|, ε)/V_ε; then F_x = μF_z (−ρ u/V_ε).
    # The front only brakes: rolling, its faded brake force is within that threshold,
    # ≤ μF_z, so the clip of E4 never binds there and is skipped.
    tmp = np.multiply(cap_front, ws.lock_front, out=ws.tmp)
    locked_front = np.greater(commands.brake_front_magnitude, tmp, out=ws.locked_front)
    force_front = np.multiply(cap_front, ws.slide_long_front, out=ws.force_front)
    force_front -= request_front
    force_front *= locked_front
    force_front += request_front
    # The rear is driven or braked; driven (spinning) it is clipped to ±μF_z (E4).
    force_rear = np.minimum(request_rear, cap_rear, out=ws.force_rear)
    np.maximum(force_rear, np.negative(cap_rear, out=tmp), out=force_rear)
    np.multiply(cap_rear, ws.lock_rear, out=tmp)
    locked_rear = np.greater(commands.brake_rear_magnitude, tmp, out=ws.locked_rear)
    np.multiply(cap_rear, ws.slide_long_rear, out=tmp)
    tmp -= force_rear
    tmp *= locked_rear
    force_rear += tmp


def _saturation(lateral_force, peak, locked):
    """|F_y| / available peak [-]; 1 where no lateral grip is left at all or the axle is
    locked (fully sliding)."""
    ratio = np.abs(lateral_force)
    ratio /= np.maximum(peak, 1e-9)
    return np.where((peak > 0) & ~locked, ratio, 1.0)


def _as_state(state) -> np.ndarray:
    state = np.asarray(state, dtype=np.float64)
    if state.ndim != 2 or state.shape[0] != N_STATES:
        raise ValueError(f"state must have shape (7, n), got {state.shape}")
    return state


# ------------------------------------------------------------------------ entry points


def initial_state(n: int, *, x=0.0, y=0.0, yaw=0.0, speed=0.0) -> np.ndarray:
    """A ``(7, n)`` state: at (x, y) [m], heading ``yaw`` [rad], driving straight ahead
    at ``speed`` [m/s] (vx = speed, vy = r = δ = 0). Each argument a scalar or ``(n,)``."""
    state = np.zeros((N_STATES, n))
    state[X] = x
    state[Y] = y
    state[YAW] = yaw
    state[VX] = speed
    return state


def check_finite(state, step: int) -> None:
    """Raise :class:`NumericalError` if any entry of the ``(7, n)`` state is NaN or infinite.

    The message names the first bad sample, its bad state components and the time step.
    """
    finite = np.isfinite(state)
    if finite.all():
        return
    bad_samples = np.flatnonzero(~finite.all(axis=0))
    sample = int(bad_samples[0])
    names = ", ".join(STATE_NAMES[i] for i in np.flatnonzero(~finite[:, sample]))
    raise NumericalError(
        f"non-finite state at time step {step}: sample {sample} ({names}); "
        f"{bad_samples.size} sample(s) affected",
        sample=sample,
        step=step,
    )


class OpenLoopResult(NamedTuple):
    """Trajectories of :func:`simulate_open_loop`.

    ``time`` (T+1,) [s]; ``states`` (n, 7, T+1) (rows as STATE_NAMES);
    ``ax, ay`` (n, T) [m/s²] and ``beta`` (n, T) sideslip [rad] at the start of each step.
    """

    time: np.ndarray
    states: np.ndarray
    ax: np.ndarray
    ay: np.ndarray
    beta: np.ndarray

    def state(self, name: str) -> np.ndarray:
        """One state component over time, ``(n, T+1)``, by name (see STATE_NAMES)."""
        return self.states[:, STATE_NAMES.index(name), :]


def simulate_open_loop(
    state0,
    steer_command,
    accel_command,
    params: VehicleParams,
    dt: float,
    *,
    mu: float | np.ndarray | Callable[[np.ndarray, np.ndarray], np.ndarray] = 1.0,
) -> OpenLoopResult:
    """Run the model with given command histories (no driver); RK4 with a fixed step.

    Parameters
    ----------
    state0 : ndarray (7, n)         Initial state.
    steer_command : array_like      (n, T) or (T,) road-wheel angle requests [rad].
    accel_command : array_like      (n, T) or (T,) acceleration requests [m/s²].
    params : VehicleParams
    dt : float                      Time step [s].
    mu : float, (n,) array or callable (x, y) -> (n,)
        Tyre–road friction [-]. A callable is evaluated once per step under each axle
        (at the axle positions of the state at the start of the step) and held over it.

    Returns
    -------
    OpenLoopResult

    Raises
    ------
    NumericalError  as soon as a state becomes non-finite (names sample and step).
    """
    state = _as_state(state0).copy()
    n = state.shape[1]
    steer = np.asarray(steer_command, dtype=np.float64)
    accel = np.asarray(accel_command, dtype=np.float64)
    shape = np.broadcast_shapes(steer.shape, accel.shape)
    if len(shape) not in (1, 2):
        raise ValueError("commands must have shape (n, T) or (T,)")
    steps = shape[-1]
    steer = np.broadcast_to(steer, shape)
    accel = np.broadcast_to(accel, shape)

    states = np.empty((steps + 1, N_STATES, n))
    states[0] = state
    ax = np.empty((steps, n))
    ay = np.empty((steps, n))
    beta = np.empty((steps, n))
    coefficients = params._coefficients
    for k in range(steps):
        if callable(mu):
            cos_yaw = np.cos(state[YAW])
            sin_yaw = np.sin(state[YAW])
            mu_front = mu(state[X] + coefficients.a * cos_yaw, state[Y] + coefficients.a * sin_yaw)
            mu_rear = mu(state[X] - coefficients.b * cos_yaw, state[Y] - coefficients.b * sin_yaw)
        else:
            mu_front = mu_rear = mu
        state, outputs = rk4_step(
            state, dt, steer[..., k], accel[..., k], params, mu_front, mu_rear
        )
        check_finite(state, k + 1)
        states[k + 1] = state
        ax[k] = outputs.ax
        ay[k] = outputs.ay
        beta[k] = outputs.sideslip
    return OpenLoopResult(
        time=dt * np.arange(steps + 1),
        states=states.transpose(2, 1, 0),
        ax=ax.T,
        ay=ay.T,
        beta=beta.T,
    )
