"""The production's risk matrix: a 5 × 5 likelihood × severity matrix (:class:`RiskMatrix`),
the form in which UK (HSE-style) film and TV risk assessments are written, and each
hazard's cell with where its likelihood and its severity come from (:func:`matrix_cell`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_LIKELIHOOD_NAMES = ("very unlikely", "unlikely", "possible", "likely", "very likely")


_SEVERITY_NAMES = (
    "negligible (first aid)",
    "minor (treatment, back at work within days)",
    "moderate (hospital, MAIS2)",
    "major (serious, MAIS3+ / permanent harm)",
    "fatal",
)


@dataclass(frozen=True)
class RiskMatrix:
    r"""A 5 × 5 likelihood × severity risk matrix, the form of UK HSE-style production RAs.

    Likelihood (per take): 1 very unlikely, 2 unlikely, 3 possible, 4 likely, 5 very likely.
    Severity (the worst outcome that is credible if the hazard happens): 1 negligible / first
    aid, 2 minor, 3 moderate (hospital, MAIS2), 4 major (MAIS3+, permanent harm), 5 fatal.
    Score = likelihood × severity (1…25); bands low / medium / high / very high.

    The numbers are a *convention of this tool*, not an HSE prescription (HSE asks for a
    suitable and sufficient assessment, not a particular matrix); a production supplies its
    own by constructing a ``RiskMatrix``.

    Attributes
    ----------
    likelihood_edges : 4 increasing floats in (0, 1)
        Per-take probabilities where likelihood steps up; default one per decade:
        p < 1e-4 → 1, [1e-4, 1e-3) → 2, [1e-3, 1e-2) → 3, [1e-2, 1e-1) → 4, ≥ 0.1 → 5.
    credible : float in (0, 1)
        A severity level counts when its conditional probability, given the hazard, is at
        least this (default 0.01, one in a hundred occurrences).
    band_edges : 3 increasing ints in (1, 25]
        Score at which the band becomes medium, high, very high; default 5, 10, 16:
        1–4 low, 5–9 medium, 10–15 high, 16–25 very high.
    """

    likelihood_edges: tuple[float, float, float, float] = (1e-4, 1e-3, 1e-2, 1e-1)
    credible: float = 0.01
    band_edges: tuple[int, int, int] = (5, 10, 16)
    band_names: tuple[str, str, str, str] = ("low", "medium", "high", "very high")

    def __post_init__(self) -> None:
        edges = np.asarray(self.likelihood_edges, dtype=float)
        if edges.shape != (4,) or np.any(edges <= 0.0) or np.any(edges >= 1.0):
            raise ValueError(f"likelihood_edges: need 4 values in (0, 1), got {edges}")
        if np.any(np.diff(edges) <= 0.0):
            raise ValueError(f"likelihood_edges must increase, got {edges}")
        if not 0.0 < self.credible < 1.0:
            raise ValueError(f"credible must be in (0, 1), got {self.credible!r}")
        bands = np.asarray(self.band_edges)
        if bands.shape != (3,) or np.any(np.diff(bands) <= 0) or bands[0] <= 1 or bands[-1] > 25:
            raise ValueError(f"band_edges: need 3 increasing scores in (1, 25], got {bands}")
        if len(self.band_names) != 4:
            raise ValueError(f"band_names: need 4 names, got {self.band_names!r}")

    def likelihood(self, p_per_take):
        """Likelihood category 1…5 of a per-take probability (see the class docstring)."""
        p = np.asarray(p_per_take, dtype=float)
        if np.any(~np.isfinite(p) | (p < 0.0) | (p > 1.0)):
            raise ValueError(f"p_per_take must be in [0, 1], got {p_per_take!r}")
        return _maybe_scalar(np.searchsorted(self.likelihood_edges, p, side="right") + 1)

    def severity(self, p_fatal=0.0, p_major=0.0, p_moderate=0.0, p_minor=0.0):
        """Severity category 1…5: the worst level whose probability given the hazard is credible.

        Each argument is P(that outcome or worse | the hazard happened) [-], e.g.
        ``p_fatal=pedestrian_fatality_rosen_sander(v)``, ``p_major=pedestrian_tefft(v)
        ["serious"]``. A level counts when its probability is ≥ ``credible``; none counting
        gives 1 (negligible / first aid).
        """
        levels = np.broadcast_arrays(
            *(np.asarray(p, dtype=float) for p in (p_minor, p_moderate, p_major, p_fatal))
        )
        category = np.ones(levels[0].shape, dtype=int)
        for value, probability in enumerate(levels, start=2):
            if np.any(~np.isfinite(probability) | (probability < 0.0) | (probability > 1.0)):
                raise ValueError("outcome probabilities must be in [0, 1]")
            category = np.where(probability >= self.credible, value, category)
        return _maybe_scalar(category)

    def rating(self, likelihood, severity):
        """(score, band): score = likelihood × severity, band from ``band_edges``."""
        lik, sev = np.asarray(likelihood), np.asarray(severity)
        for label, value in (("likelihood", lik), ("severity", sev)):
            if not np.issubdtype(value.dtype, np.integer) or np.any((value < 1) | (value > 5)):
                raise ValueError(f"{label} must be whole numbers 1…5, got {value!r}")
        score = lik * sev
        band = np.asarray(self.band_names)[np.searchsorted(self.band_edges, score, side="right")]
        if score.ndim == 0:
            return int(score), str(band)
        return score, band


DEFAULT_MATRIX = RiskMatrix()


#: Severity levels a relation can speak for, with the harm output that measures them.
LEVEL_OF_OUTCOME = {"fatality": 5, "serious_injury": 4}


#: Largest number of takes :func:`takes_to_settle` looks at.
MAX_TAKES_TO_SETTLE = 10**9


def likelihood_name(category: int) -> str:
    """The word for a likelihood category 1…5 ("very unlikely" … "very likely")."""
    return _LIKELIHOOD_NAMES[int(category) - 1]


def severity_name(category: int) -> str:
    """The words for a severity category 1…5 ("negligible (first aid)" … "fatal")."""
    return _SEVERITY_NAMES[int(category) - 1]


def rate_severity(given: dict[str, float | None], *, lower_bound: tuple[str, ...] = (),
                  sources: dict[str, str | None] | None = None,
                  matrix: RiskMatrix = DEFAULT_MATRIX) -> tuple[int | None, list[str]]:
    r"""Severity 1…5 of a hazard from what its relations say, and why, in words.

    ``given`` maps ``"fatality"`` and ``"serious_injury"`` (MAIS3+: level 4, "major") to
    P(that outcome or worse | the hazard happened), or None where no relation exists.
    (``sources`` is accepted for symmetry with :func:`matrix_cell`, which records them.)
    Levels 2 and 3 (minor, moderate: MAIS1–2) have no relation in this tool.

    The rule, conservative where the relations are silent: the severity is the worst level
    that is either *credible* (P ≥ ``matrix.credible``) or *not excluded*. A level L is
    excluded only by an exact relation at a level J ≤ L that is below the credible
    threshold, because P(L or worse) ≤ P(J or worse). So a collision whose MAIS3+ and
    death probabilities are both below 1 % is rated *moderate*, not negligible: nothing
    here rules out a moderate injury. A relation listed in ``lower_bound`` (e.g. AIS4+
    standing in for MAIS3+) can show a level is credible but never exclude it.

    Returns (None, [why]) when no relation exists at all.
    """
    sources = sources or {}
    known = {LEVEL_OF_OUTCOME[key]: (value, key) for key, value in given.items()
             if value is not None}
    if not known:
        return None, ["no relation gives this hazard's harm"]
    why = []
    credible = [level for level, (value, _) in known.items() if value >= matrix.credible]
    exact_below = [level for level, (value, key) in known.items()
                   if value < matrix.credible and key not in lower_bound]

    def excluded(level: int) -> bool:
        return any(j <= level for j in exact_below)

    for level in sorted(known, reverse=True):
        value, key = known[level]
        verdict = ("≥" if value >= matrix.credible else "<") + f" {100 * matrix.credible:g} %"
        bound = " at least" if key in lower_bound else ""
        why.append(f"P({_LEVEL_WORDS[level]} | hazard) ={bound} {_percent(value)} "
                   f"{verdict}")
    unknown = [level for level in range(5, 1, -1) if level not in known and not excluded(level)]
    unsure = [level for level, (value, key) in known.items()
              if key in lower_bound and value < matrix.credible and not excluded(level)]
    candidates = credible + unknown + unsure
    severity = max(candidates) if candidates else 1
    if severity in unknown or severity in unsure:
        why.append(f"no relation excludes {severity_name(severity)}"
                   + (" (no relation covers it)" if severity in unknown else
                      " (the relation is a lower bound)")
                   + ": rated at that level")
    elif severity == 1:
        why.append("every level above negligible is excluded")
    return severity, why


def takes_to_settle(failures: int, n: int, matrix: RiskMatrix = DEFAULT_MATRIX) -> int | None:
    """Takes needed for the upper 95 % bound to fall into the point estimate's likelihood band.

    The rating uses the upper bound, so a hazard seen rarely is rated by what the run
    cannot rule out. With the observed rate p̂ = k/n held fixed, this is the smallest N ≥ n
    at which the bound (Wilson; Clopper–Pearson at 0 failures) of round(p̂ N) failures in
    N takes is inside p̂'s band. None when the bound is already in that band; -1 when more
    than :data:`MAX_TAKES_TO_SETTLE` takes would be needed.
    """
    from stuntsim.risk.montecarlo import binomial_intervals

    p_hat = failures / n
    band = int(matrix.likelihood(p_hat))
    if int(matrix.likelihood(binomial_intervals(failures, n)[1])) == band:
        return None
    edge = matrix.likelihood_edges[band - 1]  # the band's upper edge (band < 5 here)

    def settled(takes: int) -> bool:
        hi = binomial_intervals(round(p_hat * takes), takes)[1]
        return bool(hi < edge)

    low, high = n, 2 * n
    while not settled(high):
        low, high = high, 2 * high
        if high > MAX_TAKES_TO_SETTLE:
            return -1
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if settled(middle) else (middle, high)
    return high


def likelihood_basis(failures: int, n: int, probability: float, upper: float,
                     undetermined: int = 0) -> str:
    """Where a likelihood comes from, in words: observed k of N, or a bound."""
    from stuntsim.formatting import probability as show

    if failures:
        text = f"observed: {failures} of {n} takes ({show(probability)}; ≤ {show(upper)} at 95 %)"
    else:
        text = f"not observed in {n} takes; at most {show(upper)} (95 %)"
    if undetermined:
        text += f"; {undetermined} takes unfinished, counted as possible failures in the bound"
    return text


_LEVEL_WORDS = {5: "death", 4: "MAIS3+", 3: "MAIS2+", 2: "MAIS1+"}


def _percent(value: float) -> str:
    return f"{100 * value:.2g} %" if value >= 1e-5 else f"{value:.1e}"


def matrix_cell(estimate, given: dict[str, float | None] | None, *,
                lower_bound: tuple[str, ...] = (), sources: dict[str, str | None] | None = None,
                severity_note: str | None = None, not_rated: str | None = None,
                matrix: RiskMatrix = DEFAULT_MATRIX) -> dict:
    """One hazard's risk-matrix cell, with where its likelihood and severity come from.

    Parameters
    ----------
    estimate : ProbabilityEstimate   The hazard's per-take estimate (failures, n, ci95).
    given : dict or None             P(outcome | hazard) for "fatality" and
                                     "serious_injury" (None: no relation), see
                                     :func:`rate_severity`; None: rate nothing.
    severity_note : str              Where ``given`` comes from when the hazard never
                                     happened (e.g. "if it happened at 35 km/h").
    not_rated : str                  Why the hazard has no severity (e.g. its harm is
                                     rated under another hazard).

    The likelihood is read from the upper 95 % bound (sampling error on the safe side);
    where the point estimate falls in another band the cell gives both ratings and
    :func:`takes_to_settle`.
    """
    k, n = estimate.failures, estimate.n
    upper = estimate.ci95[1]
    at_bound = int(matrix.likelihood(upper))
    at_estimate = int(matrix.likelihood(estimate.probability))
    cell: dict = {
        "likelihood": at_bound,
        "likelihood_name": likelihood_name(at_bound),
        "likelihood_basis": likelihood_basis(k, n, estimate.probability, upper,
                                             getattr(estimate, "undetermined", 0)),
        "likelihood_from": "upper 95 % bound per take",
        "probability": float(estimate.probability),
        "upper_95": float(upper),
        "likelihood_at_estimate": at_estimate,
    }
    if at_estimate != at_bound:
        settle = takes_to_settle(k, n, matrix)
        cell["takes_to_settle"] = settle
    severity, why = (None, [not_rated]) if (not_rated or given is None) else rate_severity(
        given, lower_bound=lower_bound, sources=sources, matrix=matrix)
    if severity_note:
        why = [severity_note, *why]
    cell["severity_basis"] = why
    if given is not None:  # the numbers behind the words: P(outcome | hazard), None: no relation
        cell["given_hazard"] = dict(given)
    if sources and given:
        cell["severity_sources"] = {key: sources[key] for key, value in given.items()
                                    if value is not None and sources.get(key)}
    if severity is None:
        cell.update({"severity": None, "score": None,
                     "band": f"not rated ({not_rated or why[-1]})"})
        return cell
    score, band = matrix.rating(np.int64(at_bound), np.int64(severity))
    cell.update({"severity": severity, "severity_name": severity_name(severity),
                 "score": int(score), "band": str(band)})
    if at_estimate != at_bound:
        score_point, band_point = matrix.rating(np.int64(at_estimate), np.int64(severity))
        cell.update({"score_at_estimate": int(score_point), "band_at_estimate": str(band_point)})
    return cell


def describe_cell(cell: dict) -> list[str]:
    """A cell in words, for the terminal and the figure: the rating, then its basis."""
    if cell["score"] is None:
        return [cell["band"], f"likelihood {cell['likelihood_basis']}"]
    lines = [f"{cell['likelihood']} × {cell['severity']} = {cell['score']} {cell['band']}"]
    if "score_at_estimate" in cell:
        settle = cell.get("takes_to_settle")
        more = ("" if settle is None else
                "; more than 1e9 takes would settle it" if settle == -1 else
                f"; {settle:,} takes would settle it")
        lines[0] += (f" (at the point estimate: {cell['likelihood_at_estimate']} × "
                     f"{cell['severity']} = {cell['score_at_estimate']} "
                     f"{cell['band_at_estimate']}{more})")
    lines.append(f"likelihood {cell['likelihood_basis']}")
    lines.append("severity: " + "; ".join(cell["severity_basis"]))
    return lines


def likelihood_category(p_per_take, matrix: RiskMatrix = DEFAULT_MATRIX):
    """Likelihood 1…5 of a per-take probability; see :class:`RiskMatrix` for the scale."""
    return matrix.likelihood(p_per_take)


def severity_category(
    p_fatal=0.0, p_major=0.0, p_moderate=0.0, p_minor=0.0, *, matrix: RiskMatrix = DEFAULT_MATRIX
):
    """Severity 1…5 from outcome probabilities given the hazard; see :meth:`RiskMatrix.severity`."""
    return matrix.severity(p_fatal, p_major, p_moderate, p_minor)


def risk_rating(likelihood, severity, matrix: RiskMatrix = DEFAULT_MATRIX):
    """(score, band) of a likelihood and a severity category; see :class:`RiskMatrix`."""
    return matrix.rating(likelihood, severity)


def _maybe_scalar(values: np.ndarray):
    return int(values) if np.ndim(values) == 0 else values
