"""The car stunt: a vehicle driven by a stunt driver on a rehearsed line through a street.

:mod:`~stuntsim.kinds.car.schema`         ``kind: car`` scenario files
:mod:`~stuntsim.kinds.car.street_templates`  a street as a template (a corner, a hairpin)
:mod:`~stuntsim.kinds.car.moving_parts`   street parts that move take by take (exactly)
:mod:`~stuntsim.kinds.car.presets`        vehicles as plain data, each figure with its source
:mod:`~stuntsim.kinds.car.tyres`, :mod:`~stuntsim.kinds.car.dynamics`
                                          Fiala tyres and the batched single-track model
:mod:`~stuntsim.kinds.car.path`           the rehearsed line and its speed plan
:mod:`~stuntsim.kinds.car.driver`         pure pursuit, speed control, the reaction delay
:mod:`~stuntsim.kinds.car.monitors`       the hazards' margins, step by step
:mod:`~stuntsim.kinds.car.model`          the closed loop: draws → margins
:mod:`~stuntsim.kinds.car.rig`, :mod:`~stuntsim.kinds.car.field_of_view`
                                          the camera rig and the driver's view
:mod:`~stuntsim.kinds.car.kind`           the kind: its facts after a run, harm, report hooks
:mod:`~stuntsim.kinds.car.report`, :mod:`~stuntsim.kinds.car.figures`
                                          the car's sections of the report, its figures
"""

from stuntsim.kinds.car.kind import CarKind
from stuntsim.kinds.registry import register

register(CarKind())
