"""Physical constants and fixed unit factors, each in one place.

Every module that needs g or the km/h factor imports it from here, so that a model, a
threshold and a figure can never disagree about them.
"""

from __future__ import annotations

__all__ = ["GRAVITY", "KMH", "TO_KMH"]

GRAVITY = 9.80665
"""Standard acceleration of gravity g_n [m/s²] (3rd CGPM 1901; ISO 80000-3:2019, 3-9.2)."""

TO_KMH = 3.6
"""Kilometres per hour in one metre per second (exact: 3600 s / 1000 m): ``v_ms * TO_KMH``
is a speed in km/h, ``v_kmh / TO_KMH`` one in m/s."""

KMH = 1.0 / TO_KMH
"""One kilometre per hour in metres per second [m/s]."""
