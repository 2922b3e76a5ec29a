"""A skid pad scenario shared by the tests: a 10 m straight then a 300° circle of radius R
on a surface of friction μ, no drag or rolling resistance, one far wall. Formatted with
``preset``, ``mu``, ``radius`` [m] and ``duration`` [s]."""

SKID_PAD = """
kind: car
name: skid pad
samples: 64
seed: 1
vehicle: {{preset: {preset}, drag_area: 0.0, rolling_resistance: 0.0}}
street:
  surface: {{name: test surface, mu: {mu}}}
  buildings:
    - name: far wall
      polygon: [[200, 200], [210, 200], [210, 210], [200, 210]]
maneuver:
  line:
    start: [0, 0]
    heading: 0 deg
    segments:
      - straight: 10 m
      - arc: {{radius: {radius} m, angle: 300 deg}}
  entry_speed: 10 m/s
  sideslip_limit: 30 deg
driver:
  reaction_delay: 0.05 s
  preview_time: 0.3 s
  min_preview: 2 m
  countersteer_gain: 0.0
  grip_use: 1.2
simulation:
  time_step: 0.01 s
  duration: {duration} s
  keep_trajectories: 0
"""
