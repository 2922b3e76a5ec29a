"""stuntsim: how likely is a stunt to go wrong, in which way, how badly, and what would make it safer."""

__version__ = "0.1.0"
