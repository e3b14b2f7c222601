"""Vectorised differentially private mechanisms of the template extractor, with the
95% intervals that go with them.

Everything here is a pure function of its arguments and a random generator; the
sensitivities are derived in ``docs/templates.md`` and in
:class:`~personatwin_sklearn.templates.NetworkTemplateExtractor`.

* :func:`two_sided_geometric`: integer Laplace noise, ``P(k) ~ exp(-eps |k| / Delta)``
  (the distribution of diffprivlib's ``Geometric``), drawn for a whole vector at once.
* :func:`isotonic`: least-squares projection onto non-decreasing sequences (post-processing).
* :func:`ladder_sample` / :func:`ladder_quantile`: the ladder mechanism of Zhang, Cormode,
  Procopiuc, Srivastava & Xiao (SIGMOD 2015) for a statistic whose local sensitivity at
  distance ``t`` is at most ``a + b t`` (and never above ``cap``).
* :func:`choose_bound`: exponential mechanism over candidate degree bounds.
* :func:`edge_addition_projection`: the degree-bounding projection of Day, Li & Lyu
  (SIGMOD 2016).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "CONFIDENCE",
    "choose_bound",
    "edge_addition_projection",
    "geometric_band",
    "geometric_quantile",
    "isotonic",
    "ladder_cdf",
    "ladder_quantile",
    "ladder_sample",
    "laplace_quantile",
    "two_sided_geometric",
]

#: Level of every interval a template states.
CONFIDENCE = 0.95


def two_sided_geometric(size, epsilon: float, sensitivity: float, rng) -> np.ndarray:
    """Integer noise with ``P(k) ∝ p^|k|``, ``p = exp(-epsilon / sensitivity)``.

    The difference of two i.i.d. geometric variables; variance ``2p / (1 - p)^2``.
    ``rng`` is a ``numpy.random.RandomState`` (from ``check_random_state``).
    """
    p = math.exp(-float(epsilon) / float(sensitivity))
    if p <= 0.0:  # numerically noiseless (huge epsilon)
        return np.zeros(size, dtype=np.int64)
    return (rng.geometric(1.0 - p, size=size) - rng.geometric(1.0 - p, size=size)).astype(np.int64)


def geometric_quantile(epsilon: float, sensitivity: float, alpha: float) -> int:
    """Smallest ``h`` with ``P(|Z| > h) <= alpha`` for two-sided geometric ``Z``.

    ``P(|Z| > h) = 2 p^(h + 1) / (1 + p)``.
    """
    p = math.exp(-float(epsilon) / float(sensitivity))
    if p <= 0.0:
        return 0
    h = math.log(alpha * (1.0 + p) / 2.0) / math.log(p) - 1.0
    return max(int(math.ceil(h - 1e-12)), 0)


def geometric_band(epsilon: float, sensitivity: float, size: int, level=CONFIDENCE) -> int:
    """Half-width ``h`` of a simultaneous band: ``P(max_i |Z_i| <= h) >= level``
    for ``size`` i.i.d. two-sided geometric draws."""
    per_draw = 1.0 - level ** (1.0 / max(int(size), 1))
    return geometric_quantile(epsilon, sensitivity, per_draw)


def laplace_quantile(epsilon: float, sensitivity: float, alpha: float) -> float:
    """``h`` with ``P(|Z| > h) = alpha`` for ``Z ~ Laplace(sensitivity / epsilon)``."""
    return float(sensitivity) / float(epsilon) * math.log(1.0 / alpha)


def isotonic(values, lower=None, upper=None) -> np.ndarray:
    """Least-squares non-decreasing fit of ``values`` (scikit-learn's PAVA), clipped to
    ``[lower, upper]``.

    The fit is a monotone map (``y <= y'`` coordinate-wise gives ``fit(y) <= fit(y')``)
    that leaves non-decreasing sequences and constant shifts alone: a band
    ``|y_i - truth_i| <= h`` around a non-decreasing truth therefore holds for the
    fit as well (the simultaneous intervals of the template rely on this).
    """
    from sklearn.isotonic import IsotonicRegression

    values = np.asarray(values, dtype=float)
    if len(values) <= 1:
        return np.clip(values, lower, upper) if len(values) else values
    return IsotonicRegression(y_min=lower, y_max=upper).fit_transform(
        np.arange(len(values)), values
    )


# -- ladder mechanism ------------------------------------------------------------------------
def _rungs(a: float, b: float, cap: float, epsilon: float):
    """Rung widths ``I_{t-1}``, cumulative ends ``C_t`` and probabilities of rungs
    ``t = 1..T`` (``T`` where the remaining mass underflows double precision)."""
    a, b, cap = float(a), float(b), float(max(cap, a))
    half = float(epsilon) / 2.0
    t_sat = int(math.ceil((cap - a) / b)) + 1 if b > 0 else 1
    # log-weight log(I) - half * t: past saturation it only falls by `half` per rung
    extra = int(math.ceil((745.0 + math.log(max(cap, 1.0)) + 50.0) / half))
    total = min(t_sat, 4 * extra) + extra
    t = np.arange(1, total + 1, dtype=float)
    width = np.minimum(a + b * (t - 1.0), cap)
    log_w = np.log(width) - half * t
    prob = np.exp(log_w - log_w.max())
    prob /= prob.sum()
    ends = np.cumsum(width)
    return width, ends, prob


def ladder_sample(value: float, a: float, b: float, cap: float, epsilon: float, rng) -> float:
    """One draw of the (continuous) ladder mechanism around ``value``.

    Output ``x`` lies in rung ``t >= 1`` when ``C_{t-1} < |x - value| <= C_t`` with
    ``C_t = I_0 + ... + I_{t-1}`` and ``I_t = min(a + b t, cap)``; the quality of rung
    ``t`` is ``-t`` and has sensitivity 1 when ``I`` is a ladder function of the
    statistic, so the exponential mechanism ``P(x) ∝ exp(-epsilon t / 2)`` is
    ``epsilon``-DP.  A rung has length ``2 I_{t-1}``: it is drawn with probability
    ``∝ I_{t-1} exp(-epsilon t / 2)``, then a uniform point in it, with a random sign.
    """
    width, ends, prob = _rungs(a, b, cap, epsilon)
    rung = int(rng.choice(len(prob), p=prob))
    offset = ends[rung] - width[rung] * rng.random_sample()
    sign = 1.0 if rng.random_sample() < 0.5 else -1.0
    return float(value + sign * offset)


def ladder_cdf(x, a: float, b: float, cap: float, epsilon: float) -> np.ndarray:
    """``P(|noise| <= x)`` of :func:`ladder_sample`."""
    width, ends, prob = _rungs(a, b, cap, epsilon)
    x = np.atleast_1d(np.asarray(x, dtype=float))
    starts = ends - width
    inside = np.clip((x[:, None] - starts[None, :]) / width[None, :], 0.0, 1.0)
    return (inside * prob[None, :]).sum(axis=1)


def ladder_quantile(a: float, b: float, cap: float, epsilon: float, level=CONFIDENCE) -> float:
    """Smallest ``h`` with ``P(|noise| <= h) >= level`` for :func:`ladder_sample`."""
    width, ends, prob = _rungs(a, b, cap, epsilon)
    cumulative = np.cumsum(prob)
    rung = int(min(np.searchsorted(cumulative, level), len(prob) - 1))
    before = cumulative[rung] - prob[rung]
    share = (level - before) / prob[rung] if prob[rung] > 0 else 1.0
    return float(ends[rung] - width[rung] + width[rung] * min(max(share, 0.0), 1.0))


# -- degree bounds ----------------------------------------------------------------------------
def bound_candidates(upper: int) -> np.ndarray:
    """Candidate degree bounds ``2, 3, 4, 5, 6, 8, 10, ...`` (ratio ~1.25) up to ``upper``."""
    upper = max(int(upper), 2)
    grid = np.unique(np.round(2 * 1.25 ** np.arange(0, 90)).astype(np.int64))
    grid = grid[(grid >= 2) & (grid < upper)]
    return np.append(grid, upper)


def choose_bound(utility, candidates, epsilon: float, sensitivity: float, rng) -> int:
    """Exponential mechanism: candidate ``i`` with probability
    ``∝ exp(epsilon * utility_i / (2 * sensitivity))`` (diffprivlib's ``Exponential``)."""
    from diffprivlib.mechanisms import Exponential

    mech = Exponential(
        epsilon=float(epsilon),
        sensitivity=float(sensitivity),
        utility=[float(u) for u in utility],
        candidates=[int(c) for c in candidates],
        random_state=rng,
    )
    return int(mech.randomise())


def edge_addition_projection(n: int, u: np.ndarray, v: np.ndarray, theta: int, rng):
    """Day, Li & Lyu's edge-addition projection: edges in a random order, each kept when
    both ends still have fewer than ``theta`` kept edges.

    Returns the kept ``(u, v)``.  Removing a node from the input changes the kept
    degrees of at most ``theta`` other nodes, by one each (every kept edge of the
    removed node starts one chain of swaps that ends at one node), which bounds the
    node-DP sensitivity of the degree histogram at ``2 theta + 1``.  The greedy pass is
    sequential by nature: one Python loop over edges (about 1 s per million edges).
    """
    order = rng.permutation(len(u))
    filled = [0] * int(n)
    keep = []
    theta = int(theta)
    for index, a, b in zip(order.tolist(), u[order].tolist(), v[order].tolist()):
        if filled[a] < theta and filled[b] < theta:
            filled[a] += 1
            filled[b] += 1
            keep.append(index)
    keep = np.sort(np.asarray(keep, dtype=np.int64))
    return u[keep], v[keep]
