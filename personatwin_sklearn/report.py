"""Self-contained HTML report of a protection run (plots embedded as PNG)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np
import pandas as pd

from personatwin_sklearn._social_data import SocialData
from personatwin_sklearn.metrics._risk import person_pattern_k

__all__ = ["build_report", "write_report"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1100px;color:#1d2430;line-height:1.45;padding:0 1rem}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;
border-bottom:2px solid #e3e7ee;padding-bottom:.3rem}
.sub{color:#5b6676;margin-top:0}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:.8rem;margin:1rem 0}
.card{background:#f5f7fb;border-radius:10px;padding:.8rem 1rem}
.card .v{font-size:1.5rem;font-weight:650}.card .l{color:#5b6676;font-size:.85rem}
.good{color:#137a3a}.bad{color:#b42318}
table{border-collapse:collapse;width:100%;font-size:.88rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e3e7ee}
th{background:#f5f7fb}td.num{text-align:right;font-variant-numeric:tabular-nums}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
img{max-width:100%}
.caption{color:#5b6676;font-size:.85rem;margin:.4rem 0 .8rem}
.note{background:#fff7e6;border-left:4px solid #f0a020;padding:.6rem 1rem;border-radius:4px}
"""


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


_BEFORE, _AFTER = "#c0392b", "#2e7d32"
_RISK_BARS = (
    ("population_average_risk", "average\nrisk"),
    ("max_risk", "maximum\nrisk"),
    ("records_at_risk", "records\nat risk"),
    ("combined_average_risk", "average risk,\nQIs x\nneighbourhood"),
)


def _risk_figure(plt, risk_before: dict, risk_after: dict) -> str:
    """Grouped bars: each risk measure before and after, in percent of real people."""
    rows = [
        (label, 100 * risk_before[key], 100 * risk_after[key])
        for key, label in _RISK_BARS
        if risk_before.get(key) is not None and risk_after.get(key) is not None
    ]
    fig, ax = plt.subplots(figsize=(5.2, 3.3))
    x = np.arange(len(rows))
    for j, (name, color, shift) in enumerate(
        (("before", _BEFORE, -0.2), ("after", _AFTER, 0.2)), start=1
    ):
        values = [row[j] for row in rows]
        bars = ax.bar(x + shift, values, width=0.4, color=color, label=name)
        ax.bar_label(bars, labels=[f"{v:.1f}%" for v in values], padding=1, fontsize=7)
    ax.set_xticks(x, [row[0] for row in rows], fontsize=8)
    ax.set_ylim(0, 128)
    ax.set_yticks([0, 20, 40, 60, 80, 100])
    ax.set_ylabel("% (over real people)")
    ax.set_title("Re-identification risk, before and after")
    ax.legend(loc="upper center", ncol=2, frameon=False)
    return _png(fig)


def _figures(before: SocialData, after: SocialData, risk_before, risk_after, signature, age_bin):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    out = {"risk": _risk_figure(plt, risk_before, risk_after)}
    k_before = person_pattern_k(before, signature=signature, age_bin=age_bin)
    k_after = person_pattern_k(after, signature=signature, age_bin=age_bin)[~after.is_synthetic]
    fig, ax = plt.subplots(figsize=(5.2, 3.3))
    bins = [1, 2, 3, 5, 10, 20, 50, 100, 1e9]
    labels = ["1", "2", "3-4", "5-9", "10-19", "20-49", "50-99", "100+"]
    for values, name, color, shift in (
        (k_before, "before", _BEFORE, -0.2),
        (k_after, "after", _AFTER, 0.2),
    ):
        counts, _ = np.histogram(values[~np.isnan(values)], bins=bins)
        ax.bar(np.arange(len(labels)) + shift, counts, width=0.4, label=name, color=color)
    ax.set_xticks(np.arange(len(labels)), labels)
    ax.set_xlabel("smallest connection-pattern k of a real person")
    ax.set_ylabel("real people")
    ax.set_title("Connection-pattern k, before and after")
    ax.legend()
    out["pattern_k"] = _png(fig)

    fig, ax = plt.subplots(figsize=(5.2, 3.3))
    degrees = [np.asarray(d.degree(), dtype=int) for d in (before, after)]
    # the last bar collects the long tail, so a few very connected people do not
    # squeeze the rest of the chart into one corner
    top = int(max(np.percentile(np.concatenate(degrees), 99), max(d.max(initial=0) for d in
                  degrees[:1]))) + 1  # fmt: skip
    for degree, name, color, shift in (
        (degrees[0], f"real input ({len(before):,} people)", "#1f6feb", -0.2),
        (degrees[1], f"release ({len(after):,} people)", "#f0a020", 0.2),
    ):
        counts = np.bincount(np.minimum(degree, top), minlength=top + 1) / max(len(degree), 1)
        ax.bar(np.arange(len(counts)) + shift, counts, width=0.4, color=color, label=name)
    ax.set_xlim(-0.7, top + 0.7)
    if max(d.max(initial=0) for d in degrees) > top:
        ticks = ax.get_xticks()
        ticks = [t for t in ticks if 0 <= t <= top * 0.88] + [top]
        ax.set_xticks(ticks, [f"{int(t)}" for t in ticks[:-1]] + [f"{top}+"])
    ax.set_xlabel("connections per person (degree)")
    ax.set_ylabel("share of people")
    ax.set_title("Degree distribution, real input vs release")
    ax.legend()
    out["degree"] = _png(fig)
    return out


def _cards(items) -> str:
    cells = "".join(
        f'<div class="card"><div class="v {cls}">{html.escape(v)}</div>'
        f'<div class="l">{html.escape(label)}</div></div>'
        for label, v, cls in items
    )
    return f'<div class="cards">{cells}</div>'


def _cell(value) -> str:
    """``>text`` of one table cell (numbers right-aligned, ints in full)."""
    if isinstance(value, (bool, np.bool_)) or value is None:
        return f">{html.escape(str(value))}"
    if isinstance(value, (int, np.integer)):
        return f' class="num">{value:,}'
    if isinstance(value, (float, np.floating)):
        return f' class="num">{value:,.4g}'
    return f">{html.escape(str(value))}"


def _metadata_rows(metadata: dict) -> pd.DataFrame:
    """Parameters and counts as text; lists joined, the target-risk attempts spelled out."""
    rows = []
    for key, value in metadata.items():
        if key == "attempts":
            value = ", ".join(
                f"k={a['k']} (average risk {a['population_average_risk']:.1%})" for a in value
            )
            key = "k tried (target_risk)"
        elif isinstance(value, (list, tuple)):
            value = ", ".join(map(str, value))
        elif isinstance(value, dict):
            continue
        rows.append((key, "-" if value is None else str(value)))
    return pd.DataFrame(rows, columns=["parameter", "value"])


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False):  # display only: a few dozen rows
        cells = "".join(f"<td{_cell(v)}</td>" for v in record)
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _k(value) -> str:
    """A k for people: "-" when there is none (no connections)."""
    return "-" if value is None or not np.isfinite(value) else f"{value:g}"


def build_report(
    before: SocialData,
    after: SocialData,
    risk_before: dict,
    risk_after: dict,
    *,
    rare_patterns_after: pd.DataFrame | None = None,
    metadata: dict | None = None,
    signature=None,
    age_bin: int = 5,
    title: str = "personatwin release report",
) -> str:
    """Return the HTML text of the report.

    Parameters
    ----------
    before, after : SocialData
        The real input and the release.
    risk_before, risk_after : dict
        ``RiskReport.to_dict()`` of each.
    rare_patterns_after : DataFrame, default=None
        Rarest patterns left in the release (``pattern``, ``k``).
    metadata : dict, default=None
        Parameters and counts shown in the "what was done" table.
    """
    figs = _figures(before, after, risk_before, risk_after, signature, age_bin)

    def pct(x):
        return f"{x:.1%}"

    cards = _cards(
        [
            ("average risk before", pct(risk_before["population_average_risk"]), "bad"),
            ("average risk after", pct(risk_after["population_average_risk"]), "good"),
            ("smallest pattern k before", _k(risk_before.get("min_connection_pattern_k")), "bad"),
            ("smallest pattern k after", _k(risk_after.get("min_connection_pattern_k")), "good"),
        ]
    )
    keys = [
        ("population_average_risk", "population average risk", pct),
        ("max_risk", "maximum risk", pct),
        ("records_at_risk", "records at risk (risk > threshold)", pct),
        ("k", "k-anonymity (smallest class)", lambda v: f"{v:g}"),
        ("combined_average_risk", "average risk, quasi-identifiers x neighbourhood", pct),
        ("min_connection_pattern_k", "smallest connection-pattern k", _k),
    ]
    risk_rows = pd.DataFrame(
        [
            (label, fmt(risk_before[key]), fmt(risk_after[key]))
            for key, label, fmt in keys
            if risk_before.get(key) is not None and risk_after.get(key) is not None
        ],
        columns=["measure", "before", "after"],
    )
    rows = [
        ("real people", int((~after.is_synthetic).sum())),
        ("synthetic people added", after.n_synthetic),
        ("real connections", after.n_connections - after.n_synthetic_connections),
        ("synthetic connections added", after.n_synthetic_connections),
    ]
    auc = (metadata or {}).get("distinguishability_auc")
    if auc is not None:  # a classifier's AUC telling synthetic from real people
        rows.append(("synthetic told apart from real (AUC; 0.5 = not at all)", f"{auc:.2f}"))
    added = pd.DataFrame(rows, columns=["rows", "count"])
    meta = ""
    if metadata:
        meta = f"<h2>Parameters</h2>{_table(_metadata_rows(metadata))}"
    qis = (metadata or {}).get("quasi_identifiers") or ["age", "gender", "ethnicity", "zipcode"]
    qi_text = ", ".join(map(str, qis))
    rare = "<p>No pattern below the target is left.</p>"
    if rare_patterns_after is not None and len(rare_patterns_after):
        rare = _table(rare_patterns_after[["pattern", "k"]].head(15))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{_CSS}</style></head><body>
<h1>{html.escape(title)}</h1>
<p class="sub">{len(before):,} real people, {before.n_connections:,} real connections in;
{len(after):,} people, {after.n_connections:,} connections released.</p>
{cards}
<h2>Re-identification risk (prosecutor model)</h2>
{_table(risk_rows)}
<p class="caption">A real person's risk is 1 / the number of released rows sharing their
quasi-identifiers ({html.escape(qi_text)}); synthetic rows count, since nobody can tell
them apart. <i>Quasi-identifiers x neighbourhood</i> also requires the same multiset of connection
patterns (the whole 1-hop neighbourhood), a stronger adversary than the per-connection
pattern k.</p>
<div class="grid"><div><img alt="risk before and after" src="{figs["risk"]}"></div>
<div><img alt="connection-pattern k histogram" src="{figs["pattern_k"]}"></div></div>
<h2>What was added</h2>
<div class="grid"><div>{_table(added)}</div>
<div><img alt="degree distribution" src="{figs["degree"]}"></div></div>
<h2>Rarest connection patterns left in the release</h2>
{rare}
{meta}
<h2>Before you publish</h2>
<p class="note">Publish <code>people.csv</code> and <code>connections.csv</code> only. The
<code>is_synthetic</code>, <code>strength</code>, <code>confidence</code> and
<code>context</code> fields are in separate files: releasing them tells an adversary which
people and connections are real.</p>
</body></html>
"""


def write_report(path, *args, **kwargs) -> Path:
    """Write :func:`build_report` to ``path`` (atomically) and return the path."""
    path = Path(path)
    text = build_report(*args, **kwargs)
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
    return path
