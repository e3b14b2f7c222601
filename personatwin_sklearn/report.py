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
.good{color:#137a3a}.warn{color:#a15c07}.bad{color:#b42318}
table{border-collapse:collapse;width:100%;font-size:.88rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e3e7ee}
th{background:#f5f7fb}td.num{text-align:right;font-variant-numeric:tabular-nums}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
img{max-width:100%}
.caption{color:#5b6676;font-size:.85rem;margin:.4rem 0 .8rem}
.note{background:#fff7e6;border-left:4px solid #f0a020;padding:.6rem 1rem;border-radius:4px}
.reason{color:#5b6676;font-style:italic}
.headline{font-size:1.05rem;font-weight:600}
"""


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


_BEFORE, _AFTER = "#c0392b", "#2e7d32"
_REAL, _SYNTHETIC = "#1f6feb", "#f0a020"


def _plt():
    from personatwin_sklearn._quiet import quiet_import

    with quiet_import():  # an older matplotlib warns pyparsing deprecations at import
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

    return plt


def _risk_figure(rows) -> str:
    """Grouped bars: each risk measure before and after, in percent of real people.

    ``rows``: (label, before share, after share)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.2, 3.3))
    x = np.arange(len(rows))
    for j, (name, color, shift) in enumerate(
        (("before", _BEFORE, -0.2), ("after", _AFTER, 0.2)), start=1
    ):
        values = [100 * row[j] for row in rows]
        bars = ax.bar(x + shift, values, width=0.4, color=color, label=name)
        ax.bar_label(bars, labels=[f"{v:.1f}%" for v in values], padding=1, fontsize=7)
    ax.set_xticks(x, [row[0] for row in rows], fontsize=8)
    ax.set_ylim(0, 128)
    ax.set_yticks([0, 20, 40, 60, 80, 100])
    ax.set_ylabel("% (average over real people)")
    ax.set_title("Re-identification risk by adversary, before and after")
    ax.legend(loc="upper center", ncol=2, frameon=False)
    return _png(fig)


def _pattern_k_figure(k_before, k_after) -> str:
    plt = _plt()
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
    ax.set_xlabel("people consistent with a real person's rarest connection")
    ax.set_ylabel("real people")
    ax.set_title("Connection-pattern k, before and after")
    ax.legend()
    return _png(fig)


def _count_histogram(series, title, xlabel, ylabel="share of people") -> str:
    """Side-by-side bars of integer counts up to the 99th percentile (the last bar collects
    the long tail); beyond 40 distinct counts, 30 equal-width bins."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.2, 3.3))
    pooled = np.concatenate([values for _, values, _ in series])
    top = int(max(np.percentile(pooled, 99), 1)) + 1 if len(pooled) else 1
    edges = np.arange(top + 2) if top <= 40 else np.linspace(0, top + 1, 31)
    step = edges[1] - edges[0]
    width = 0.8 * step / len(series)
    for i, (name, values, color) in enumerate(series):
        counts, _ = np.histogram(np.minimum(values, top), bins=edges)
        share = counts / max(len(values), 1)
        shift = (i - (len(series) - 1) / 2) * width
        left = edges[:-1] if top > 40 else edges[:-1] - 0.5 * step
        ax.bar(left + 0.5 * step + shift, share, width=width, color=color, label=name)
    if pooled.max(initial=0) > top:
        ticks = [t for t in ax.get_xticks() if 0 <= t <= top * 0.88] + [top]
        ax.set_xticks(ticks, [f"{int(t)}" for t in ticks[:-1]] + [f"{top}+"])
    ax.set_xlim(edges[0] - step, edges[-1])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    return _png(fig)


def _family_label(row: pd.Series, names) -> str:
    """``name=value`` of a family's parameters (a parameter it leaves at its default:
    left out; a list of values joined with ``+``)."""
    parts = []
    for name in names:
        value = row[name]
        if isinstance(value, (list, tuple)):
            value = "+".join(map(str, value))
        elif value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        parts.append(f"{name}={value}")
    return ", ".join(parts)


def _frontier_figure(points: pd.DataFrame, target: float, parameters=()) -> str:
    """Headline risk against utility for every point the search tried; the chosen one
    ringed, the target as a line.  A family's legend names the parameters (of
    ``parameters``, the frontier's) in which the families differ."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    first = points.groupby("family", sort=True).head(1)
    names = [
        c for c in parameters
        if c != "k" and c in points and first[c].astype(str).nunique(dropna=False) > 1
    ]  # fmt: skip
    for family, group in points.groupby("family", sort=True):
        label = _family_label(group.iloc[0], names) or f"family {family}"
        ax.plot(100 * group["risk_average"], group["utility"], "o-", ms=4, label=label)
        for _, row in group.iterrows():  # display only: a few dozen points
            ax.annotate(f"k={int(row['k'])}", (100 * row["risk_average"], row["utility"]),
                        textcoords="offset points", xytext=(3, 3), fontsize=6)  # fmt: skip
    chosen = points[points["chosen"]]
    ax.scatter(100 * chosen["risk_average"], chosen["utility"], s=160, facecolors="none",
               edgecolors="black", linewidths=1.5, label="chosen", zorder=5)  # fmt: skip
    ax.axvline(100 * target, color=_BEFORE, ls="--", lw=1, label=f"target {target:.0%}")
    ax.set_xlabel("headline risk, average over real people (%)")
    ax.set_ylabel("utility kept (1 = all exact)")
    # below the axes: the family labels are long and would hide points
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(0, -0.16), frameon=False)
    ax.set_title("Privacy-utility frontier: every release the search tried")
    return _png(fig)


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
        if key in ("attempts", "frontier", "utility"):
            continue  # shown in the frontier section
        if isinstance(value, (list, tuple)):
            value = ", ".join(map(str, value))
        elif isinstance(value, dict):
            continue
        elif isinstance(value, (float, np.floating)):
            value = f"{value:.4g}"
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


def _reason(text: str) -> str:
    """A section without data says why, in one line."""
    return f'<p class="reason">{html.escape(text)}</p>'


def _pct(value) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


#: Colours of a re-identification chance by what it means, not by before/after: green
#: at most 5% (1 in 20, a common publication threshold), amber up to 20% (a class of 5),
#: red above (a 100% maximum is red however much the average fell).
RISK_COLOURS = ((0.05, "good"), (0.20, "warn"), (float("inf"), "bad"))


def _risk_class(value) -> str:
    """CSS class of a risk card: ``good`` <= 5%, ``warn`` <= 20%, ``bad`` above."""
    if value is None or not np.isfinite(value):
        return ""
    return next(name for bound, name in RISK_COLOURS if value <= bound)


def _headline_cards(headline) -> str:
    """The top cards: the headline risk, average and maximum, before and after."""
    if not headline:
        return _reason(
            "No headline risk in the metadata (the release was not made by "
            "create_safe_personas): see the class-size risks below."
        )
    from personatwin_sklearn.attacks._headline import format_headline

    b, a = headline["before"], headline["after"]
    cards = _cards(
        [
            ("headline risk before (average)", _pct(b["average"]), _risk_class(b["average"])),
            ("headline risk after (average)", _pct(a["average"]), _risk_class(a["average"])),
            ("headline risk before (maximum)", _pct(b["maximum"]), _risk_class(b["maximum"])),
            ("headline risk after (maximum)", _pct(a["maximum"]), _risk_class(a["maximum"])),
        ]
    )
    sample = (
        f" Measured on a random sample of {headline['n_targets']:,} of the "
        f"{headline['n_real']:,} real people."
        if headline.get("sampled")
        else ""
    )
    stripped = (
        f" The adversary first removed the {headline['stripped_connections']:,} "
        "connections its detector flags as synthetic."
        if headline.get("stripped_connections")
        else ""
    )
    return (
        f'{cards}<p class="headline" id="headline">headline risk: '
        f"{html.escape(format_headline(headline))}</p>"
        '<p class="caption">The headline risk is, per real person, the highest chance of '
        "being named by any of the adversaries below (each picks one of the released people "
        "consistent with what they know), averaged and maximised over real people. Cards: "
        "green at most 5%, amber up to 20%, red above. The "
        f"strongest adversary here: <b>{html.escape(headline['strongest_scope'])}</b>."
        f"{html.escape(sample + stripped)}</p>"
    )


_SCOPE_TEXT = {
    "qi": "knows the target's quasi-identifiers",
    "edge": "knows one of the target's connections and that partner's attributes",
    "neighborhood": "knows all the target's connections and their partners' attributes",
    "combined": "knows the quasi-identifiers and all the connections",
}


def _scope_table(headline, protected) -> str:
    if not headline:
        return ""
    rows = [
        (
            scope,
            _SCOPE_TEXT.get(scope, ""),
            _pct(fig["before"]["average"]),
            _pct(fig["after"]["average"]),
            _pct(fig["after"]["maximum"]),
            (protected or {}).get(scope, "-"),
        )
        for scope, fig in headline["scopes"].items()
    ]
    rows += [(scope, _SCOPE_TEXT.get(scope, ""), "-", "-", "-", why) for scope, why in
             headline.get("skipped", {}).items()]  # fmt: skip
    frame = pd.DataFrame(
        rows,
        columns=["adversary", "who", "average before", "average after", "maximum after",
                 "protection"],
    )  # fmt: skip
    return _table(frame)


def _candidates_after(before, after, qis, signature, age_bin) -> pd.Series:
    """Per real person with a connection (indexed by id): how many released people hold a
    connection consistent with their rarest true one, as the edge-scope linkage counts it.

    This is the pattern k the adversary meets.  A released connection type group, an
    occupation group, an age range or ``"*"`` matches every true value it covers; the
    exact-label count (:func:`person_pattern_k`) would call a generalised pattern unique.
    """
    from personatwin_sklearn.attacks import linkage_attack

    table = linkage_attack(
        before, after, quasi_identifiers=[q for q in qis if q in after.people.columns],
        scope="edge", signature=None if signature is None else list(signature),
        age_bin=age_bin, random_state=0,
    ).per_target  # fmt: skip
    table = table[table["known_pattern"].notna()]
    return pd.Series(table["n_candidates"].to_numpy(dtype=float), index=table["target_id"])


def _rare_before_after(before, k_after, signature, age_bin, k_target) -> str:
    """The rarest patterns of the input, and the smallest pattern k of their holders after
    (``k_after``: :func:`_candidates_after`)."""
    from personatwin_sklearn.patterns import ConnectionPatternAnalyzer

    if before.n_connections == 0:
        return _reason("No connections in the input: there are no connection patterns.")
    analyzer = ConnectionPatternAnalyzer(k=k_target, signature=signature, age_bin=age_bin)
    analyzer.fit(before)
    rare = analyzer.rare_patterns_.head(12)
    if rare.empty:
        return _reason(f"No connection pattern of the input is shared by fewer than {k_target} "
                       "people.")  # fmt: skip
    holders_k = [
        _k(np.nanmin(k_after.reindex(list(persons)).to_numpy(dtype=float), initial=np.inf))
        for persons in rare["persons"]
    ]
    frame = pd.DataFrame(
        {
            "pattern in the input": rare["pattern"].astype(str).to_numpy(),
            "k before": rare["k"].to_numpy(),
            "people": [len(p) for p in rare["persons"]],
            "their smallest pattern k after (consistent match)": holders_k,
        }
    )
    return (
        f"<p>{len(analyzer.rare_patterns_):,} patterns of the input were shared by fewer than "
        f"{k_target} people ({analyzer.n_people_at_risk_:,} people had one). The rarest, and "
        "where their holders stand in the release:</p>" + _table(frame)
    )


def _synthetic_connections(after: SocialData) -> str:
    """Synthetic connections by type, and per real person against their real ones."""
    edges = after.connections
    if after.n_synthetic_connections == 0:
        why = "no connections" if len(edges) == 0 else "nothing was rare enough to need them"
        return _reason(f"No synthetic connections were added ({why}).")
    flag = edges["is_synthetic"].to_numpy(dtype=bool)
    by_type = (
        pd.crosstab(edges["connection_type"].astype(str), np.where(flag, "synthetic", "real"))
        .reindex(columns=["real", "synthetic"], fill_value=0)
        .sort_values("synthetic", ascending=False)
    )
    by_type["synthetic share"] = [
        f"{s / (r + s):.0%}" for r, s in zip(by_type["real"], by_type["synthetic"])
    ]
    by_type = by_type.reset_index().rename(columns={"row_0": "type"})
    by_type.columns = ["connection type", "real", "synthetic", "synthetic share"]
    left, right = after.edge_positions()
    n = len(after)
    real_deg = np.bincount(np.concatenate([left[~flag], right[~flag]]), minlength=n)
    syn_deg = np.bincount(np.concatenate([left[flag], right[flag]]), minlength=n)
    real_people = ~after.is_synthetic
    figure = _count_histogram(
        [
            ("real connections", real_deg[real_people], _REAL),
            ("synthetic connections", syn_deg[real_people], _SYNTHETIC),
        ],
        "Connections per real person: real vs synthetic",
        "connections of one real person",
        "share of real people",
    )
    top = int(syn_deg[real_people].max(initial=0))
    return (
        f'<div class="grid"><div>{_table(by_type)}<p class="caption">Most synthetic '
        f"connections one real person received: {top:,}; real people who received any: "
        f"{int((syn_deg[real_people] > 0).sum()):,} of {int(real_people.sum()):,}.</p></div>"
        f'<div><img alt="synthetic connections per person" src="{figure}"></div></div>'
    )


_DETECTOR_LABELS = {
    "auc": "detector ROC AUC (0.5: cannot tell synthetic from real)",
    "auc_std": "AUC standard deviation",
    "tpr_at_1pct_fpr": "synthetic connections found at 1% false positives",
    "shadow_auc": "AUC of a detector trained on a shadow release",
    "threshold": "score threshold the adversary used",
    "n_stripped": "connections the adversary removed",
    "n_stripped_synthetic": "of which synthetic",
    "edge_expected_success_stripped": "edge-scope re-identification after the strip",
    "edge_expected_success_unstripped": "edge-scope re-identification as published",
    "effective_edge_k": "effective edge-scope k (1 / re-identification)",
}


def _detector(metadata, headline) -> str:
    detector = metadata.get("detector")
    if not detector:
        return _reason(
            "No detector was run on this release (metadata has no 'detector'): the headline "
            "assumes the adversary cannot tell synthetic connections from real ones."
        )
    if set(detector) == {"reason"}:
        return _reason(f"Detector {detector['reason']}.")
    rows = []
    for key, value in detector.items():
        if isinstance(value, dict):
            if {"average", "maximum"} <= set(value):
                value = f"average {_pct(value['average'])}, maximum {_pct(value['maximum'])}"
            elif "after" in value and isinstance(value["after"], dict):
                value = f"average {_pct(value['after'].get('average'))} after stripping"
            else:
                continue
        elif isinstance(value, (list, tuple)) or value is None:
            continue
        elif isinstance(value, float):
            value = f"{value:.3f}"
        elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            value = f"{value:,}"  # text like the others: one alignment in the column
        rows.append((_DETECTOR_LABELS.get(key, key.replace("_", " ")), str(value)))
    note = ""
    if headline and headline.get("stripped_connections"):
        note = (
            f"<p>The headline above already counts this: the adversary removed "
            f"{headline['stripped_connections']:,} flagged connections before matching.</p>"
        )
    return _table(pd.DataFrame(rows, columns=["detector", "value"])) + note


def _information_loss(metadata) -> str:
    per_column = metadata.get("information_loss_per_column")
    if not per_column:
        return _reason("No information-loss figure in the metadata.")
    frame = pd.DataFrame(
        [(c, f"{v:.3f}") for c, v in per_column.items()],
        columns=["quasi-identifier", "information loss (NCP)"],
    )
    total = metadata.get("information_loss")
    head = "" if total is None else f"<p>Average over the quasi-identifiers: {total:.3f}.</p>"
    return (
        head + _table(frame) + '<p class="caption">Normalised certainty penalty of the real '
        'people\'s generalised values: 0 = published exactly, 1 = replaced by "*"; a range '
        "covering a tenth of a column's values costs 0.1.</p>"
    )


#: Utility figures shown next to the frontier (metrics.release_utility's main ones).
_UTILITY_ROWS = (
    ("exact_type_share", "connections with their exact type", "share"),
    ("occupation_exact_share", "occupations published exactly", "share"),
    ("occupation_major_or_finer_share", "occupations at a group or finer", "share"),
    ("ncp_mean", "quasi-identifier NCP (0 = exact)", "num"),
    ("pattern_histogram_tvd", "connection-pattern histogram error (TVD)", "num"),
    ("type_degree_tvd", "per-type degree error (TVD)", "num"),
    ("spouse_age_gap_tvd", "spouse age-gap error (TVD)", "num"),
    ("marginal_tvd_mean", "one-way marginals error (TVD, mean)", "num"),
    ("same_attribute_share_error_mean", "same-attribute link shares (relative error)", "num"),
    ("ml_auc_real", "ML AUC trained on real data", "num"),
    ("ml_auc_release", "ML AUC trained on the release", "num"),
)


def _utility_table(utility) -> str:
    """The release's utility, next to its risk (what an analyst can still read)."""
    if not utility:
        return ""
    rows = [
        (label, "-" if utility.get(key) is None else
         (_pct(utility[key]) if kind == "share" else f"{utility[key]:.3f}"))
        for key, label, kind in _UTILITY_ROWS
        if key in utility
    ]  # fmt: skip
    if not rows:
        return ""
    table = _table(pd.DataFrame(rows, columns=["utility of the chosen release", "value"]))
    return "<p>What the chosen release keeps (metrics.release_utility):</p>" + table


def _frontier(metadata) -> str:
    frontier = metadata.get("frontier") or {}
    points = pd.DataFrame(frontier.get("points") or [])
    if len(points) < 2:
        return _reason(
            "No frontier to draw: one release was tried (target_risk=None keeps the "
            "privacy level's k). Set target_risk or a privacy level to search."
        )
    shown = [c for c in points.columns if c not in ("family", "meets")]
    table = points[shown].copy()
    for c in ("risk_average", "risk_maximum", "certain_share"):
        table[c] = table[c].map(_pct)
    for c in table.columns:
        if c not in ("k", "chosen", "occupation_level") and table[c].dtype.kind == "f":
            table[c] = table[c].map(lambda v: f"{v:.3f}")
    notes = "".join(f"<p>{html.escape(n)}</p>" for n in frontier.get("notes", []))
    notes = _utility_table(metadata.get("utility")) + notes
    figure = _frontier_figure(points, frontier["target_risk"], frontier.get("parameters", ()))
    return f'<img alt="privacy-utility frontier" src="{figure}">' + notes + _table(table)


def _degree(before: SocialData, after: SocialData) -> str:
    if before.n_connections == 0 and after.n_connections == 0:
        return _reason("No connections: no degree distribution to compare.")
    figure = _count_histogram(
        [
            (f"real input ({len(before):,} people)", np.asarray(before.degree()), _REAL),
            (f"release ({len(after):,} people)", np.asarray(after.degree()), _SYNTHETIC),
        ],
        "Degree distribution, real input vs release",
        "connections per person (degree)",
    )
    return f'<img alt="degree distribution" src="{figure}">'


def _risk_images(before, after, headline, risk_before, risk_after, qis, signature, age_bin):
    """The risk bars (the headline and each scope, else the quasi-identifier risk) and
    the connection-pattern k histogram: ``(risk image, pattern image, k after)``."""
    bars = []
    if headline:
        bars = [("headline", headline["before"]["average"], headline["after"]["average"])]
        bars += [
            (scope, fig["before"]["average"], fig["after"]["average"])
            for scope, fig in headline["scopes"].items()
        ]
    else:
        bars = [
            ("quasi-identifier\nrisk", risk_before["population_average_risk"],
             risk_after["population_average_risk"])
        ]  # fmt: skip
    risk_img = f'<img alt="risk before and after" src="{_risk_figure(bars)}">'
    k_after = None  # one linkage for the histogram and the rare-pattern table
    if before.n_connections:
        k_before = person_pattern_k(before, signature=signature, age_bin=age_bin)
        k_after = _candidates_after(before, after, qis, signature, age_bin)
        pattern_img = (
            '<img alt="connection-pattern k histogram" '
            f'src="{_pattern_k_figure(k_before, k_after.to_numpy(dtype=float))}">'
        )
    else:
        pattern_img = _reason("No connections: there is no connection-pattern k to plot.")
    return risk_img, pattern_img, k_after


def _class_size_rows(risk_before, risk_after) -> pd.DataFrame:
    """The class-size risks before and after, one row per measure both have."""
    keys = [
        ("population_average_risk", "quasi-identifier risk, average", _pct),
        ("max_risk", "quasi-identifier risk, maximum", _pct),
        ("records_at_risk", "real people with quasi-identifier risk > threshold", _pct),
        ("k", "k-anonymity (smallest quasi-identifier class)", lambda v: f"{v:g}"),
        (
            "qi_neighborhood_average_risk",
            "quasi-identifier x neighbourhood class risk, average",
            _pct,
        ),
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
    return risk_rows


def _added_rows(after, metadata) -> pd.DataFrame:
    """What the release added: people, personas, connections, the synthetic share, what
    the connection protection published coarser, the personas' distinguishability."""
    rows = [
        ("real people", int((~after.is_synthetic).sum())),
        ("synthetic people added", after.n_synthetic),
        ("  of which augmentation personas", metadata.get("augmented_count", "-")),
        ("  of which partner personas (connection protection)",
         metadata.get("connection_personas", "-")),
        ("real connections", after.n_connections - after.n_synthetic_connections),
        ("synthetic connections added", after.n_synthetic_connections),
    ]  # fmt: skip
    if metadata.get("synthetic_share") is not None:
        rows.append(("synthetic share of released connections", _pct(metadata["synthetic_share"])))
    protection = metadata.get("connection_protection") or {}
    if protection:  # what the connection step published coarser instead of adding
        rows.append(("published coarser by the connection protection",
                     protection.get("coarsened_text") or "nothing"))  # fmt: skip
    auc = metadata.get("distinguishability_auc")
    if auc is not None:  # a classifier's AUC telling synthetic from real people
        rows.append(
            ("synthetic people told apart from real (AUC; 0.5 = not at all)", f"{auc:.2f}")
        )
    return pd.DataFrame(rows, columns=["rows", "count"])


def build_report(
    before: SocialData,
    after: SocialData,
    risk_before: dict,
    risk_after: dict,
    *,
    rare_patterns_after: pd.DataFrame | None = None,
    metadata: dict | None = None,
    signature=None,
    age_bin: int | None = None,
    title: str = "personatwin release report",
) -> str:
    """Return the HTML text of the report.

    Sections: the headline risk (cards, the same figures and wording as the CLI and
    :meth:`~personatwin_sklearn.ProcessingResult.summary`), the risk of each adversary
    and what protects against it, the quasi-identifiers and k, the rare patterns of the
    input and where their holders stand after, the synthetic connections by type and
    per person, the detector, the information loss, the privacy-utility frontier over
    the k tried, the class-size risks and the parameters.  A section without data says
    why in one line: the report draws no empty chart.

    Parameters
    ----------
    before, after : SocialData
        The real input and the release.
    risk_before, risk_after : dict
        ``RiskReport.to_dict()`` of each.
    rare_patterns_after : DataFrame, default=None
        Rarest patterns left in the release (``pattern``, ``k``).
    metadata : dict, default=None
        ``ProcessingResult.metadata`` (``headline``, ``protected_scopes``,
        ``attempts``, ``information_loss_per_column``, ``detector``, ...).
    signature : list of str, default=None
        Pattern signature (default: ``metadata["pattern_signature"]``).
    age_bin : int, default=None
        Partner age bucket (default: ``metadata["age_bin"]``, else 5).
    """
    metadata = dict(metadata or {})
    headline = metadata.get("headline")
    if signature is None:
        signature = metadata.get("pattern_signature")
    if age_bin is None:
        age_bin = metadata.get("age_bin", 5)
    k_target = int(metadata.get("param connection_pattern_k", 10) or 10)

    qis = metadata.get("quasi_identifiers") or ["age", "gender", "ethnicity", "zipcode"]
    qi_text = ", ".join(map(str, qis))
    risk_img, pattern_img, k_after = _risk_images(before, after, headline, risk_before,
                                                  risk_after, qis, signature, age_bin)  # fmt: skip
    risk_rows = _class_size_rows(risk_before, risk_after)
    added = _added_rows(after, metadata)
    params = {k: v for k, v in metadata.items() if k not in ("detector",)}
    meta = f"<h2>Parameters</h2>{_table(_metadata_rows(params))}" if params else ""
    rare = _reason("No connections in the release: there are no patterns left to list.")
    if rare_patterns_after is not None and len(rare_patterns_after):
        shown = rare_patterns_after.head(15).rename(columns={"k": "k (exact match)"})
        if "consistent_k" in shown:  # the adversary's count: released ranges match more
            shown = shown.rename(columns={"consistent_k": "k (as the adversary counts)"})
        rare = _table(shown[[c for c in shown.columns if c == "pattern" or c.startswith("k ")]])
    k_line = ""
    if "k" in metadata:
        k_line = (
            f"<p>Quasi-identifiers (generalised, and known to the adversary): "
            f"<b>{html.escape(qi_text)}</b>; k = {metadata['k']} "
            f"({html.escape(str(metadata.get('k_reason', '')))}).</p>"
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{_CSS}</style></head><body>
<h1>{html.escape(title)}</h1>
<p class="sub">{len(before):,} real people, {before.n_connections:,} real connections in;
{len(after):,} people, {after.n_connections:,} connections released.</p>
{_headline_cards(headline)}
<h2>Re-identification risk by adversary</h2>
{_scope_table(headline, metadata.get("protected_scopes"))}
{k_line}
<div class="grid"><div>{risk_img}</div><div>{pattern_img}</div></div>
<h2>Rare connection patterns, before and after</h2>
{_rare_before_after(before, k_after, signature, age_bin, k_target)}
<h2>Where the synthetic connections went</h2>
{_synthetic_connections(after)}
<h2>Can an adversary strip them? (detector)</h2>
{_detector(metadata, headline)}
<h2>What was added</h2>
<div class="grid"><div>{_table(added)}</div><div>{_degree(before, after)}</div></div>
<h2>Information loss of the generalisation</h2>
{_information_loss(metadata)}
<h2>Privacy-utility frontier</h2>
{_frontier(metadata)}
<h2>Class-size risks (prosecutor model)</h2>
{_table(risk_rows)}
<p class="caption">The quasi-identifier risk of a real person is 1 / the number of released
rows sharing their quasi-identifiers ({html.escape(qi_text)}); synthetic rows count, since
nobody can tell them apart. <code>target_risk</code> bounds its average. The quasi-identifier
x neighbourhood class risk also requires the same multiset of connection patterns, counted
on exact class sizes; the headline's combined adversary is its linkage-attack version.</p>
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
