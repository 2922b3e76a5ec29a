"""The one error hierarchy of stuntsim.

Every error the package raises on purpose derives from :class:`StuntsimError`, so a caller
(the command line, a notebook, a script) can tell a bad scenario from a simulation that
went wrong from a bug:

- :class:`ScenarioError` — the input cannot be used (a wrong file, field or argument, or a
  plan that cannot be simulated as asked); the CLI exits with status 2 and writes nothing;
- :class:`IncompleteRunError` — a kind of ScenarioError: no take got through the stunt
  (the simulated time ends before it), so the run has nothing to say;
- :class:`NumericalError` — a draw or a model state went NaN or infinite; the CLI exits
  with status 3 and names the sample and the time step;
- :class:`OutputError` — the results cannot be written where asked (``--out`` is a file,
  a read-only or full file system); checked before simulating where possible; the CLI
  exits with status 2 and the previous output folder is left as it was.
"""

from __future__ import annotations

__all__ = ["IncompleteRunError", "NumericalError", "OutputError", "ScenarioError",
           "StuntWarning", "StuntsimError"]


class StuntsimError(Exception):
    """Base of every error stuntsim raises on purpose."""


class ScenarioError(StuntsimError, ValueError):
    """A scenario that cannot be used: names the file, the field and what is wrong."""

    def __init__(self, message: str, *, source: str | None = None, field: str | None = None):
        self.source = source
        self.field = field
        self.detail = message
        where = ": ".join(part for part in (source, field) if part)
        super().__init__(f"{where}: {message}" if where else message)


class IncompleteRunError(ScenarioError):
    """No take got through the stunt: the run cannot estimate anything (see the message
    for the setting to change, usually ``simulation.duration``)."""


class OutputError(StuntsimError, OSError):
    """The results cannot be written where asked; the message names the path and why."""


class NumericalError(StuntsimError, ArithmeticError):
    """A draw or a model state went NaN or infinite.

    ``sample`` is the index of the first bad sample in the run (None when unknown) and
    ``step`` the time step (0: the draws themselves); both appear in the message.
    """

    def __init__(self, message: str, *, sample: int | None = None, step: int | None = None):
        super().__init__(message)
        self.sample = sample
        self.step = step


class StuntWarning(UserWarning):
    """A result that stands but needs reading with care: a plan that is physically doubtful
    (beyond the top speed), or takes that did not all get through the stunt."""
