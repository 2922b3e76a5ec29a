"""Did the takes get through the stunt? A run that stops simulating before the stunt
counts nothing, and nothing counted is not the same as safe.

Every model reports, per take, how the take *ended* (an :data:`ENDINGS` code): it reached
the end of the plan (the end of the rehearsed line, the end of the track), a hazard ended
it (a contact, a strike, a wheel over the edge), it stopped as planned (the driver braked
to a standstill for a person, the train's plan brought it to rest), or the simulated time
ran out while it was still under way. Only the last is *incomplete*: its margins describe
the part it drove, and whatever would have happened after is unknown.

:func:`check_completion` turns those codes into a :class:`Completion`: the share of takes
that completed the plan, a loud warning below :data:`COMPLETION_THRESHOLD`, and an
:class:`~stuntsim.errors.IncompleteRunError` when no take did. Estimates then bound each
hazard conservatively: an incomplete take that had not (yet) failed counts as a possible
failure in the upper end of the interval (:meth:`MarginAccumulator.estimates
<stuntsim.risk.montecarlo.MarginAccumulator.estimates>`), never as a pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from stuntsim.errors import IncompleteRunError

__all__ = ["COMPLETION_THRESHOLD", "ENDINGS", "Completion", "check_completion"]

#: How a take ended (the models' ``ending`` codes).
ENDINGS: Mapping[int, str] = {
    0: "still under way when the simulated time ran out",
    1: "reached the end of the plan",
    2: "ended by a hazard",
    3: "stopped as planned",
}
INCOMPLETE = 0

#: Below this share of completed takes a run warns loudly. Why 99 %: each incomplete take
#: is an unknown outcome, so up to 1 − share of the takes could still fail; at 1 % that
#: is the width of one likelihood band of the risk matrix at its edge between "possible"
#: and "likely" (1e-2 per take), i.e. enough to move a rating. Above it the conservative
#: bound (incomplete takes counted as possible failures) still says what is unknown.
COMPLETION_THRESHOLD = 0.99


@dataclass(frozen=True)
class Completion:
    """How many takes got through the stunt, and how the others ended.

    ``endings`` counts takes per :data:`ENDINGS` text; ``setting`` names the scenario
    field that decides how long takes run, ``advice`` what to change.
    """

    completed: int
    n: int
    endings: dict[str, int]
    setting: str
    advice: str

    @property
    def share(self) -> float:
        return self.completed / self.n

    @property
    def incomplete(self) -> int:
        return self.n - self.completed

    @property
    def warning(self) -> str | None:
        """A loud warning when fewer than :data:`COMPLETION_THRESHOLD` completed; None else."""
        if self.share >= COMPLETION_THRESHOLD:
            return None
        return (f"only {self.share:.1%} of the takes ({self.completed} of {self.n}) got "
                f"through the stunt: {self.incomplete} were still under way when "
                f"{self.setting} ran out, so their outcome is unknown and each hazard's "
                f"upper bound counts them as possible failures; {self.advice}")

    def to_dict(self) -> dict[str, object]:
        return {"completed": self.completed, "n": self.n, "share": self.share,
                "threshold": COMPLETION_THRESHOLD, "endings": dict(self.endings),
                "setting": self.setting}


def check_completion(ending: np.ndarray, *, setting: str, advice: str,
                     source: str | None = None) -> Completion:
    """The :class:`Completion` of takes with these ``ending`` codes (:data:`ENDINGS`).

    Raises :class:`~stuntsim.errors.IncompleteRunError` (a bad-input error: exit 2) when
    no take completed, naming ``setting`` and ``advice``.
    """
    ending = np.asarray(ending)
    if ending.size == 0:
        raise ValueError("no takes")
    counts = np.bincount(ending.astype(np.intp), minlength=len(ENDINGS))
    completion = Completion(
        completed=int(ending.size - counts[INCOMPLETE]),
        n=int(ending.size),
        endings={ENDINGS[code]: int(count) for code, count in enumerate(counts) if count},
        setting=setting,
        advice=advice,
    )
    if completion.completed == 0:
        raise IncompleteRunError(
            f"no take got through the stunt: all {completion.n} were still under way when "
            f"the simulated time ran out, so the run has nothing to report; {advice}",
            source=source, field=setting,
        )
    return completion
