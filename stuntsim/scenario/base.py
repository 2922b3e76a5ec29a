"""What every kind of scenario has, the registry of kinds, and the dotted paths into a
scenario (numeric leaves, switches, their descriptions).

A stunt kind registers its schema (a subclass of :class:`ScenarioBase` with
``kind: Literal[...]``) with :func:`register_kind`; this layer knows no kind by name.
"""

from __future__ import annotations

import difflib
import importlib
import math
from collections.abc import Iterator, Mapping
from functools import cache, partial
from typing import Annotated, Any, Union

import annotated_types
from pydantic import (
    BaseModel,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from stuntsim.errors import ScenarioError
from stuntsim.risk.distributions import LogNormal, Normal
from stuntsim.risk.sampling import reachable_range
from stuntsim.scenario.fields import (
    MAX_NAME,
    MAX_SAMPLES,
    MAX_SEED,
    Dim,
    Name,
    Strict,
    convert_quantity,
    dimension_of,
    model_in,
)
from stuntsim.scenario.uncertain import (
    DistributionSpec,
    Number,
    _show,
    _show_dist,
    clamps_the_plan,
)
from stuntsim.units import display_unit


class ScenarioBase(Strict):
    """What every kind of stunt scenario has: a name, the sampling plan, the uncertain
    inputs and the named variants. A kind adds its own fields and ``kind: Literal[...]``."""

    name: Name = Field(description="Short title of the stunt")
    description: str = ""
    samples: int = Field(ge=1, le=MAX_SAMPLES, strict=True,
                         description="Default Monte Carlo sample count")
    seed: int = Field(ge=0, le=MAX_SEED, strict=True, description="Root seed of all random draws")
    takes: int = Field(
        1, strict=True, ge=1, le=10_000,
        description="Planned takes, rehearsals included (risk over the shoot: 1 − (1 − p)^N)",
    )
    uncertain: dict[str, DistributionSpec] = Field(default_factory=dict)
    variants: dict[str, dict[str, bool | Number]] = Field(
        default_factory=dict,
        description="Named mitigations: each maps dotted paths to new planned values "
        "(e.g. {'slower corner': {'maneuver.corner_speed': '15 km/h'}}) or switches "
        "({'parapet': {'street.barriers.parapet.present': true}}); compared with "
        "the baseline on common random numbers by `stuntsim compare FILE`",
    )

    @model_validator(mode="after")
    def _uncertain_paths_resolve(self) -> ScenarioBase:
        leaves = numeric_leaves(self)
        switches = switch_leaves(self)
        for name, changes in self.variants.items():
            if not 1 <= len(name) <= MAX_NAME:
                raise ValueError(f"variants: a variant's name must be 1–{MAX_NAME} characters, "
                                 f"got {len(name)}")
            if not changes:
                raise ValueError(f"variants.{name}: changes nothing")
            for path, value in changes.items():
                if path in switches:
                    if not isinstance(value, bool):
                        raise ValueError(
                            f"variants.{name}.{path}: is a switch, give true or false, "
                            f"got {value!r}"
                        )
                    continue
                if isinstance(value, bool):
                    raise ValueError(
                        f"variants.{name}.{path}: true/false is only for switches such as "
                        f"'street.barriers.<name>.present' or 'rig.present'"
                    )
                if path not in leaves:
                    close = difflib.get_close_matches(path, [*leaves, *switches], n=1,
                                                      cutoff=0.6)
                    hint = f" (did you mean '{close[0]}'?)" if close else ""
                    raise ValueError(
                        f"variants.{name}.{path}: names no numeric field of the scenario{hint}"
                    )
                try:
                    moved = convert_quantity(leaves[path][1], value)
                except ValueError as err:
                    raise ValueError(f"variants.{name}.{path}: {err}") from None
                spec = self.uncertain.get(path)
                if spec is not None and moved != leaves[path][0]:
                    convert = partial(convert_quantity, leaves[path][1])
                    if spec.build(leaves[path][0], convert) == spec.build(moved, convert):
                        raise ValueError(
                            f"variants.{name}.{path}: its distribution in `uncertain` gives "
                            f"its own location, so moving the planned value changes "
                            f"nothing; state the spread around the nominal instead "
                            f"(e.g. `half_width` or `sd` without `low`/`high`/`mean`)"
                        )
        for path, spec in self.uncertain.items():
            if path not in leaves:
                raise _path_error(path, leaves)
            nominal, dimension = leaves[path]
            try:
                dist = spec.build(nominal, partial(convert_quantity, dimension))
            except ValueError as err:
                raise ValueError(f"uncertain.{path}: {err}") from None
            problem = clamps_the_plan(dist, nominal)
            if problem:
                raise ValueError(
                    f"uncertain.{path}: {problem} (planned value "
                    f"{_show(nominal, dimension)}, distribution {_show_dist(dist, dimension)}): "
                    f"the planned value would have no effect; move the bounds or the value"
                )
            problem = _beyond_the_field(dist, field_bounds(self, path), dimension)
            if problem:
                raise ValueError(f"uncertain.{path}: {problem} (distribution "
                                 f"{_show_dist(dist, dimension)})")
        return self


#: An unbounded distribution (normal; lognormal above) may put at most this probability
#: outside its field's range: a field's limits are the range a plan may state (a
#: perception–reaction time of at most 5 s) and the range the model is valid on; a
#: spread that reaches past them more often than 1 take in 1000 is not the spread the
#: limits were written for. The rare draws beyond are taken at the range's end
#: (:meth:`ResolvedScenario.within_range`), so the model never sees a negative speed.
MAX_OUTSIDE = 1e-3


def _beyond_the_field(dist, bounds: tuple[float, bool, float, bool], dimension: str
                      ) -> str | None:
    """Why draws of ``dist`` fall outside the field's range too often, or None.

    * a bounded distribution (uniform, triangular, truncnormal, fixed) must lie inside the
      field's range: its bounds are the file's own statement (a mass of 620 ± 700 kg is
      a mistake, not a tail);
    * an unbounded tail (a normal's, a lognormal's upper one) may leave the range with
      probability at most :data:`MAX_OUTSIDE`;
    * the most extreme draws a Monte Carlo run can make
      (:func:`stuntsim.risk.sampling.reachable_range`: ±8.2 standard deviations of a
      normal) must be finite numbers.
    """
    lo, lo_strict, hi, hi_strict = bounds
    fix = ("narrow the spread, or bound it (truncnormal with low/high, or uniform/triangular) "
           "inside the field's range")

    def below(value: float) -> bool:
        return value < lo or (lo_strict and value == lo)

    def above(value: float) -> bool:
        return value > hi or (hi_strict and value == hi)

    def edge(low: bool) -> str:
        if low:
            return f"{'>' if lo_strict else '≥'} {_show(lo, dimension)}"
        return f"{'<' if hi_strict else '≤'} {_show(hi, dimension)}"

    reach_low, reach_high = reachable_range(dist)
    if not (math.isfinite(reach_low) and math.isfinite(reach_high)):
        return "its draws are not finite numbers"
    support_low, support_high = dist.support
    stated = not isinstance(dist, Normal | LogNormal)  # the file gave both ends
    for low, reach, end in ((True, reach_low, support_low), (False, reach_high, support_high)):
        if not (below(reach) if low else above(reach)):
            continue
        if stated:
            return (f"its range reaches {_show(end, dimension)}, but the field must be "
                    f"{edge(low)}; {fix}")
        outside = float(dist.cdf(lo)) if low else 1.0 - float(dist.cdf(hi))
        if outside > MAX_OUTSIDE:
            return (f"its draws fall outside the field's range (it must be {edge(low)}) "
                    f"with probability {outside:.2g}, more than the {MAX_OUTSIDE:g} allowed; "
                    f"{fix}")
    return None


def field_at(scenario: BaseModel, path: str) -> Any:
    """The pydantic ``FieldInfo`` a dotted path ends on (list items by name), or None."""
    model: Any = type(scenario)
    node: Any = scenario
    parts = path.split(".")
    field = None
    index = 0
    while index < len(parts):
        fields = getattr(model, "model_fields", {})
        if parts[index] not in fields:
            return None
        field = fields[parts[index]]
        value = getattr(node, parts[index], None) if node is not None else None
        model = model_in(field.annotation)
        if isinstance(value, list) and index + 1 < len(parts):
            named = [item for item in value if getattr(item, "name", None) == parts[index + 1]]
            node = named[0] if named else None
            index += 2
            continue
        node = value
        index += 1
    return field


def field_bounds(scenario: BaseModel, path: str) -> tuple[float, bool, float, bool]:
    """(low, low is strict, high, high is strict) of a numeric field in SI, from its
    schema's ``ge``/``gt``/``le``/``lt``; ±inf where the schema gives none."""
    lo, lo_strict, hi, hi_strict = -math.inf, False, math.inf, False
    field = field_at(scenario, path)
    for item in getattr(field, "metadata", ()):
        if isinstance(item, annotated_types.Ge):
            lo, lo_strict = float(item.ge), False
        elif isinstance(item, annotated_types.Gt):
            lo, lo_strict = float(item.gt), True
        elif isinstance(item, annotated_types.Le):
            hi, hi_strict = float(item.le), False
        elif isinstance(item, annotated_types.Lt):
            hi, hi_strict = float(item.lt), True
    return lo, lo_strict, hi, hi_strict


#: The registered kinds by their ``kind`` value, in registration order (car, then train:
#: the order of the JSON Schema's union).
_KINDS: dict[str, type[ScenarioBase]] = {}


def register_kind(name: str, schema: type[ScenarioBase]) -> None:
    """Make ``kind: NAME`` scenario files validate against ``schema`` (a stunt kind's
    package calls this when it is imported; :mod:`stuntsim.kinds` imports every kind)."""
    if name in _KINDS and _KINDS[name] is not schema:
        raise ValueError(f"a scenario kind {name!r} is already registered")
    _KINDS[name] = schema
    _adapter.cache_clear()


def scenario_kinds() -> dict[str, type[ScenarioBase]]:
    """Every registered kind of scenario by its ``kind`` value.

    The built-in kinds register themselves when :mod:`stuntsim.kinds` is imported. A
    caller that imported only :mod:`stuntsim.scenario` (``stuntsim``'s own names load on
    first use) has none yet: they are loaded here, by name, as plugins are (a static
    import would put the kinds below the scenario layer, which they build on)."""
    if not _KINDS:
        importlib.import_module("stuntsim.kinds")
    return dict(_KINDS)


@cache
def _adapter() -> TypeAdapter:
    union = Union[tuple(scenario_kinds().values())]  # noqa: UP007 (a runtime tuple)
    return TypeAdapter(Annotated[union, Field(discriminator="kind")])


def _path_error(path: str, leaves: Mapping[str, Any]) -> ValueError:
    close = difflib.get_close_matches(path, list(leaves), n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return ValueError(f"uncertain.{path}: names no numeric field of the scenario{hint}")


def numeric_leaves(scenario: BaseModel) -> dict[str, tuple[float, str]]:
    """Every scalar quantity in a scenario: dotted path → (nominal SI value, dimension).

    A kind adds values its file does not spell out through ``implied_leaves()`` (a car's
    vehicle fields are listed with their preset values when not overridden, so
    ``vehicle.cg_height`` can be uncertain without being written out). List items are
    addressed by their ``name`` (or their index).
    """
    leaves: dict[str, tuple[float, str]] = {}
    for path, value, dimension in _walk(scenario, ""):
        leaves[path] = (value, dimension)
    extra = getattr(scenario, "implied_leaves", None)
    if extra is not None:  # e.g. a car's vehicle fields that its preset supplies
        leaves.update(extra())
    return leaves


def switch_leaves(scenario: BaseModel) -> dict[str, bool]:
    """Every on/off field of a scenario (e.g. ``street.barriers.parapet.present``): dotted
    path → current value. Variants may flip them; they cannot be uncertain."""
    return {path: value for path, value, _ in _scalar_fields(scenario, "")
            if isinstance(value, bool)}


def describe_path(scenario: BaseModel, path: str) -> str:
    """A dotted path in plain words, from the schema's field descriptions.

    ``street.surfaces.wet cobbles.mu`` → "wet cobbles: peak friction on this patch".
    """
    model: Any = type(scenario)
    node: Any = scenario
    label = ""
    parts = path.split(".")
    description = None
    index = 0
    while index < len(parts):
        part = parts[index]
        fields = getattr(model, "model_fields", {})
        if part not in fields:
            return path
        field = fields[part]
        value = getattr(node, part, None) if node is not None else None
        if isinstance(value, list) and index + 1 < len(parts):
            named = [item for item in value if getattr(item, "name", None) == parts[index + 1]]
            node = named[0] if named else None
            label = parts[index + 1]
            model = model_in(field.annotation)
            index += 2
            continue
        description = field.description
        node = value
        model = model_in(field.annotation)
        if isinstance(value, BaseModel) and isinstance(getattr(value, "name", None), str):
            label = value.name
        index += 1
    if not description:
        return path
    lower_first = len(description) > 1 and not description[1].isupper()
    text = description[0].lower() + description[1:] if lower_first else description
    return f"{label}: {text}" if label else text


def _scalar_fields(model: BaseModel, prefix: str) -> Iterator[tuple[str, Any, Any]]:
    """(dotted path, value, pydantic field) of every field below ``model`` that is not a
    model or a list; list items are addressed by their ``name`` (or index); the
    ``uncertain`` section is skipped (it describes fields, it is not one)."""
    for key, field in type(model).model_fields.items():
        if key == "uncertain":
            continue
        value = getattr(model, key)
        path = f"{prefix}{key}"
        if isinstance(value, BaseModel):
            yield from _scalar_fields(value, path + ".")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    label = getattr(item, "name", None) or str(index)
                    yield from _scalar_fields(item, f"{path}.{label}.")
        else:
            yield path, value, field


def _walk(model: BaseModel, prefix: str) -> Iterator[tuple[str, float, str]]:
    """The quantities (floats with a dimension) below ``model``: (path, value, dimension)."""
    for path, value, field in _scalar_fields(model, prefix):
        if isinstance(value, float) and any(isinstance(m, Dim) for m in field.metadata):
            yield path, value, dimension_of(field)


def scenario_json_schema() -> dict:
    """The JSON Schema of scenario files (for editors; committed as scenarios/…schema.json)."""
    schema = _adapter().json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "stuntsim scenario"
    return schema


def validate_scenario(data: dict, source: str) -> ScenarioBase:
    kind = data.get("kind")
    kinds = scenario_kinds()
    if not isinstance(kind, str) or kind not in kinds:
        raise ScenarioError(
            f"must be one of {list(kinds)}, got {kind!r}", source=source, field="kind"
        )
    try:
        return kinds[kind].model_validate(data)
    except ValidationError as err:
        raise _readable(err, source, kinds[kind]) from None


def _readable(err: ValidationError, source: str, model: type[BaseModel]) -> ScenarioError:
    first = err.errors(include_url=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or None
    message = first["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if first["type"] == "extra_forbidden":
        message = "unknown key (not part of the scenario schema)"
    elif first["type"] == "missing":
        message = "required but missing"
    message = message.replace("Input should be", "must be")
    if first["type"] in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        dimension = _field_dimension(model, first["loc"])
        if dimension:
            message += f" {display_unit(dimension)}".rstrip()
    if "input" in first and first["type"] not in ("missing", "extra_forbidden"):
        shown = repr(first["input"])
        if (len(shown) <= 60 and not isinstance(first["input"], dict | list)
                and str(first["input"]) not in message):
            message = f"{message}, got {shown}"
    more = len(err.errors()) - 1
    if more:
        message += f" [+{more} more problem{'s' if more > 1 else ''}]"
    # A model-level error reports the offending path inside its message.
    if message.startswith(("uncertain.", "variants.")) and ":" in message:
        field, message = message.split(": ", 1)
    return ScenarioError(message, source=source, field=field)


def _field_dimension(model: Any, loc: tuple) -> str | None:
    """The physical dimension of the field at a validation-error location, if known."""
    field = None
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return None
        field = fields[part]
        model = model_in(field.annotation)
    return dimension_of(field) if field is not None else None
