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
.note{background:#fff7e6;border-left:4px solid #f0a020;padding:.6rem 1rem;border-radius:4px}
"""


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _figures(before: SocialData, after: SocialData, signature, age_bin) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    out = {}
    k_before = person_pattern_k(before, signature=signature, age_bin=age_bin)
    k_after = person_pattern_k(after, signature=signature, age_bin=age_bin)[~after.is_synthetic]
    fig, ax = plt.subplots(figsize=(5.2, 3.3))
    bins = [1, 2, 3, 5, 10, 20, 50, 100, 1e9]
    labels = ["1", "2", "3-4", "5-9", "10-19", "20-49", "50-99", "100+"]
    for values, name, color, shift in (
        (k_before, "before", "#d9534f", -0.2),
        (k_after, "after", "#2e7d32", 0.2),
    ):
        counts, _ = np.histogram(values[~np.isnan(values)], bins=bins)
        ax.bar(np.arange(len(labels)) + shift, counts, width=0.4, label=name, color=color)
    ax.set_xticks(np.arange(len(labels)), labels)
    ax.set_xlabel("smallest connection-pattern k of a real person")
    ax.set_ylabel("people")
    ax.set_title("Connection-pattern k, before and after")
    ax.legend()
    out["pattern_k"] = _png(fig)

    fig, ax = plt.subplots(figsize=(5.2, 3.3))
    real_degree = before.degree()
    released_degree = after.degree()
    top = int(max(real_degree.max(initial=0), released_degree.max(initial=0))) + 1
    edges = np.arange(0, top + 1)
    ax.hist(real_degree, bins=edges, alpha=0.6, label="real input", color="#1f6feb", density=True)
    ax.hist(released_degree, bins=edges, alpha=0.6, label="release", color="#f0a020", density=True)
    ax.set_xlabel("connections per person")
    ax.set_ylabel("share of people")
    ax.set_title("Degree distribution")
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


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False):  # display only: a few dozen rows
        cells = "".join(
            f'<td class="num">{v:,.4g}</td>'
            if isinstance(v, (int, float, np.integer, np.floating))
            else f"<td>{html.escape(str(v))}</td>"
            for v in record
        )
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


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
    figs = _figures(before, after, signature, age_bin)

    def pct(x):
        return f"{x:.1%}"

    cards = _cards(
        [
            ("average risk before", pct(risk_before["population_average_risk"]), "bad"),
            ("average risk after", pct(risk_after["population_average_risk"]), "good"),
            ("smallest pattern k before", f"{risk_before['min_connection_pattern_k']:g}", "bad"),
            ("smallest pattern k after", f"{risk_after['min_connection_pattern_k']:g}", "good"),
        ]
    )
    keys = [
        ("population_average_risk", "population average risk", pct),
        ("max_risk", "maximum risk", pct),
        ("records_at_risk", "records at risk (risk > threshold)", pct),
        ("k", "k-anonymity (smallest class)", lambda v: f"{v:g}"),
        ("combined_average_risk", "average risk, quasi-identifiers x neighbourhood", pct),
        ("min_connection_pattern_k", "smallest connection-pattern k", lambda v: f"{v:g}"),
    ]
    risk_rows = pd.DataFrame(
        [
            (label, fmt(risk_before[key]), fmt(risk_after[key]))
            for key, label, fmt in keys
            if risk_before.get(key) is not None and risk_after.get(key) is not None
        ],
        columns=["measure", "before", "after"],
    )
    added = pd.DataFrame(
        [
            ("real people", int((~after.is_synthetic).sum())),
            ("synthetic people added", after.n_synthetic),
            ("real connections", after.n_connections - after.n_synthetic_connections),
            ("synthetic connections added", after.n_synthetic_connections),
        ],
        columns=["", "count"],
    )
    meta = ""
    if metadata:
        rows = pd.DataFrame(
            [(k, v) for k, v in metadata.items() if not isinstance(v, (dict, list))],
            columns=["parameter", "value"],
        )
        meta = f"<h2>Parameters</h2>{_table(rows.astype(str))}"
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
<div class="grid"><div><img alt="pattern k histogram" src="{figs["pattern_k"]}"></div>
<div><img alt="degree distribution" src="{figs["degree"]}"></div></div>
<h2>What was added</h2>
{_table(added)}
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
