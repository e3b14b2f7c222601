"""One call for the whole job: :func:`create_safe_personas` and :func:`make_persona_pipeline`."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state

from personatwin_sklearn._social_data import SocialData
from personatwin_sklearn.exceptions import InvalidValueError, PrivacyWarning
from personatwin_sklearn.generalize import PRIVACY_LEVELS, KAnonymizer
from personatwin_sklearn.metrics._risk import (
    RiskReport,
    reidentification_risk,
    resolve_quasi_identifiers,
)

__all__ = [
    "ProcessingResult",
    "create_safe_personas",
    "make_persona_pipeline",
    "release_split",
    "write_release",
]

_STRATEGIES = ("match_distribution", "fill_gaps", "boost_rare")
#: k tried, in order, when ``target_risk`` is not met at the privacy level's k.
_K_LADDER = (3, 5, 10, 20, 50, 100)

_FLAG_COLUMNS = {
    "people": ["is_synthetic"],
    "connections": ["is_synthetic", "strength", "confidence", "context"],
}


def _check_choice(name, value, options):
    if value not in options:
        raise InvalidValueError(
            f"{name}={value!r} is not one of {sorted(options)}. Pick one of those."
        )


def _check_positive(name, value):
    if not isinstance(value, (int, float, np.integer, np.floating)) or not value > 0:
        raise InvalidValueError(f"{name} must be a number > 0, got {value!r}.")


def release_split(data):
    """The single whole-data "split" for tuning a release with ``GridSearchCV``.

    A release is made from all the data at once: k shrinks on folds and folds cut
    connections, so cross-validation folds would tune the wrong thing.  Pass
    ``cv=release_split(data)`` to fit and score each candidate on everything.

    Parameters
    ----------
    data : SocialData or DataFrame

    Returns
    -------
    list of one (train, test) tuple of index arrays

    Examples
    --------
    >>> import pandas as pd
    >>> [(train, test)] = release_split(pd.DataFrame({"age": [1, 2, 3]}))
    >>> train.tolist(), test.tolist()
    ([0, 1, 2], [0, 1, 2])
    """
    n = len(data)
    index = np.arange(n)
    return [(index, index)]


def _template_of(external_network, random_state):
    """A NetworkTemplate from a template, a shipped template's name, a graph or a path."""
    from personatwin_sklearn import templates

    if isinstance(external_network, templates.NetworkTemplate):
        return external_network, 0.0
    if isinstance(external_network, str) and not Path(external_network).exists():
        return templates.load_template(external_network), 0.0
    extractor = templates.NetworkTemplateExtractor(epsilon=1.0, random_state=random_state)
    extractor.fit(external_network)
    return extractor.template_, float(extractor.epsilon_spent_)


#: People sampled for the distinguishability check of create_safe_personas.
_DISTINGUISH_ROWS = 20_000


def make_persona_pipeline(
    privacy_level="medium",
    augment_with_synthetic=False,
    synthetic_source="census",
    synthetic_ratio=2.0,
    synthetic_strategy="match_distribution",
    protect_connection_patterns=True,
    connection_pattern_k=10,
    use_external_network=False,
    external_network=None,
    random_state=None,
    quasi_identifiers=None,
):
    """The project's steps as a scikit-learn :class:`~sklearn.pipeline.Pipeline`.

    Steps, in order (each optional one only when asked for):

    ``augment``
        :class:`~personatwin_sklearn.SyntheticAugmenter` — synthetic personas.
    ``network``
        :class:`~personatwin_sklearn.TemplateConnector` — connections for the synthetic
        personas following an external network template.
    ``generalize``
        :class:`~personatwin_sklearn.KAnonymizer` — k-anonymous quasi-identifiers at
        ``privacy_level``.
    ``connections``
        :class:`~personatwin_sklearn.SyntheticConnectionGenerator` — synthetic connections
        until every connection pattern of the *generalised* people is shared by
        ``connection_pattern_k`` people (it runs after generalisation so that the
        guarantee holds for the values actually released).

    Parameters
    ----------
    privacy_level : {"low", "medium", "high"}, default="medium"
        k of the quasi-identifiers: 3, 5 or 10.
    augment_with_synthetic : bool, default=False
    synthetic_source : {"census", "nemotron"} or provider, default="census"
    synthetic_ratio : float, default=2.0
    synthetic_strategy : {"match_distribution", "fill_gaps", "boost_rare"}
    protect_connection_patterns : bool, default=True
    connection_pattern_k : int, default=10
    use_external_network : bool, default=False
    external_network : NetworkTemplate, str, networkx graph or path, default=None
        A template, the name of a shipped template (e.g. ``"karate_club"``), or a graph /
        SNAP edge list to extract one from with epsilon = 1 (spent when this function
        runs).
    random_state : int, RandomState instance or None, default=None
    quasi_identifiers : list of str, default=None
        Columns the generalisation (and augmentation) works on; default: those of
        ``age, gender, ethnicity, zipcode`` present.

    Returns
    -------
    Pipeline

    Examples
    --------
    >>> from personatwin_sklearn import make_persona_pipeline
    >>> [name for name, _ in make_persona_pipeline(privacy_level="high").steps]
    ['generalize', 'connections']
    """
    _check_choice("privacy_level", privacy_level, PRIVACY_LEVELS)
    _check_positive("connection_pattern_k", connection_pattern_k)
    qis = list(quasi_identifiers) if quasi_identifiers is not None else None
    steps = []
    if augment_with_synthetic:
        _check_choice("synthetic_strategy", synthetic_strategy, _STRATEGIES)
        _check_positive("synthetic_ratio", synthetic_ratio)
        from personatwin_sklearn.augmentation import SyntheticAugmenter

        steps.append(
            (
                "augment",
                SyntheticAugmenter(
                    provider=synthetic_source,
                    strategy=synthetic_strategy,
                    synthetic_ratio=synthetic_ratio,
                    quasi_identifiers=qis,
                    random_state=random_state,
                ),
            )
        )
    if use_external_network:
        from personatwin_sklearn.templates import TemplateConnector

        if external_network is None:
            raise InvalidValueError(
                "use_external_network=True needs external_network: a NetworkTemplate, a "
                "shipped template name such as 'karate_club', a networkx graph or a path."
            )
        template, _ = _template_of(external_network, random_state)
        steps.append(("network", TemplateConnector(template=template, random_state=random_state)))
    steps.append(("generalize", KAnonymizer(PRIVACY_LEVELS[privacy_level], quasi_identifiers=qis)))
    if protect_connection_patterns:
        from personatwin_sklearn.connections import SyntheticConnectionGenerator

        steps.append(
            (
                "connections",
                SyntheticConnectionGenerator(
                    target_k=int(connection_pattern_k), random_state=random_state
                ),
            )
        )
    return Pipeline(steps)


@dataclass
class ProcessingResult:
    """What :func:`create_safe_personas` returns.

    Attributes
    ----------
    personas : DataFrame
        The released people (real, generalised, and synthetic), with ``is_synthetic``.
    connections : DataFrame
        The released connections, with their synthetic flags.
    data : SocialData
        The release as one container.
    risk_metrics : RiskReport
        Risk of the release (``population_average_risk``, ``max_risk``,
        ``records_at_risk``, ``min_connection_pattern_k``, ...), averaged over real people.
    risk_before : RiskReport
        The same for the input.
    metadata : dict
        ``synthetic_count`` (all synthetic people), ``augmented_count`` (added by the
        augmentation step), ``connection_personas`` (partner personas added by the
        connection protection), ``distinguishability_auc`` (3-fold CV AUC of a classifier
        telling synthetic from real people in the release, on up to 20,000 sampled people;
        None with fewer than 10 of either), ``synthetic_connections``, ``k``, ``parameters``,
        ``epsilon_spent``, ``target_risk_met``, ``attempts`` (k tried and risk reached).
    network_metadata : dict
        ``template_source``, ``average_degree_before``, ``average_degree_after``.
    pipeline : Pipeline
        The fitted pipeline.
    """

    personas: pd.DataFrame
    connections: pd.DataFrame
    data: SocialData
    risk_metrics: RiskReport
    risk_before: RiskReport
    metadata: dict = field(default_factory=dict)
    network_metadata: dict = field(default_factory=dict)
    pipeline: Pipeline | None = None

    def save(self, out_dir, *, original=None, report=True, keep_ids=False) -> list[Path]:
        """Write the release (random ids and row order, flags in separate files),
        ``risk_metrics.json`` and ``report.html`` to ``out_dir``; see
        :func:`write_release`."""
        return write_release(self, out_dir, original=original, report=report, keep_ids=keep_ids)

    def summary(self) -> str:
        """A few lines for people: sizes, risk before and after, what was added."""
        r0, r1, m = self.risk_before, self.risk_metrics, self.metadata
        k0, k1 = r0.min_connection_pattern_k, r1.min_connection_pattern_k
        pattern_line = (
            f"smallest connection-pattern k: {k0:g} -> {k1:g}"
            if any(k is not None and np.isfinite(k) for k in (k0, k1))
            else "no connections: no connection patterns to protect"
        )
        auc = m.get("distinguishability_auc")
        auc_line = (
            []
            if auc is None
            else [
                f"synthetic people told apart from real ones: AUC {auc:.2f} (0.5: not at all)"
                + (
                    "; add synthetic personas (augment_with_synthetic=True,"
                    " --augment census) so they look real"
                    if auc > 0.75 and not m.get("augmented_count")
                    else ""
                )
            ]
        )
        return "\n".join(
            [
                f"{m['n_real']:,} real people -> {len(self.personas):,} personas "
                f"({m['synthetic_count']:,} synthetic), "
                f"{m['synthetic_connections']:,} synthetic connections",
                f"k-anonymity (k={m['k']}): average risk {r0.population_average_risk:.1%} -> "
                f"{r1.population_average_risk:.1%}, max {r0.max_risk:.1%} -> {r1.max_risk:.1%}",
                pattern_line,
                *auc_line,
            ]
        )


def _as_social_data(data, domain) -> SocialData:
    if isinstance(data, SocialData):
        return data
    if isinstance(data, pd.DataFrame):
        from personatwin_sklearn.io import load_data

        return load_data(data, domain=domain)
    raise InvalidValueError(
        f"data must be a SocialData (see personatwin_sklearn.load_data) or a people "
        f"DataFrame, got {type(data).__name__}."
    )


def _epsilon_spent(pipeline) -> float:
    total = 0.0
    for _, step in pipeline.steps:
        total += float(getattr(step, "epsilon_spent_", 0.0) or 0.0)
    return total


def create_safe_personas(
    data,
    privacy_level="medium",
    domain="custom",
    target_risk=0.05,
    augment_with_synthetic=False,
    synthetic_source="census",
    synthetic_ratio=2.0,
    synthetic_strategy="match_distribution",
    protect_connection_patterns=True,
    connection_pattern_k=10,
    use_external_network=False,
    external_network=None,
    random_state=None,
    *,
    quasi_identifiers=None,
    progress=False,
) -> ProcessingResult:
    """Make a shareable release of people and their connections in one call.

    Runs :func:`make_persona_pipeline` (augmentation, network template, k-anonymous
    generalisation, connection-pattern protection) and measures the prosecutor-model
    risk of the release.  With ``target_risk``, k is raised (the privacy level's k, then
    10, 20, 50, 100) until the population average risk of the real people is at most
    ``target_risk``; if no k reaches it, a :class:`PrivacyWarning` says what was reached
    and ``metadata["target_risk_met"]`` is False.

    Parameters
    ----------
    data : SocialData or DataFrame
        People (and connections); a DataFrame is people only.
    privacy_level : {"low", "medium", "high"}, default="medium"
    domain : str, default="custom"
        Used when ``data`` is a DataFrame.
    target_risk : float in (0, 1] or None, default=0.05
    augment_with_synthetic, synthetic_source, synthetic_ratio, synthetic_strategy,
    protect_connection_patterns, connection_pattern_k, use_external_network,
    external_network, random_state
        See :func:`make_persona_pipeline`.
    quasi_identifiers : list of str, default=None
        Columns generalised to k-anonymity and on which the risk is measured (default:
        age, gender, ethnicity, zipcode present).
    progress : bool, default=False
        Show a progress bar over the attempts and steps.

    Returns
    -------
    ProcessingResult

    Examples
    --------
    >>> from personatwin_sklearn import create_safe_personas
    >>> from personatwin_sklearn.datasets import make_social_population
    >>> data = make_social_population(300, random_state=0)
    >>> result = create_safe_personas(data, privacy_level="high", target_risk=None,
    ...                               random_state=0)
    >>> result.risk_metrics.max_risk <= 1 / 10
    True
    """
    data = _as_social_data(data, domain)
    _check_choice("privacy_level", privacy_level, PRIVACY_LEVELS)
    if target_risk is not None and not (
        isinstance(target_risk, (int, float)) and 0 < target_risk <= 1
    ):
        raise InvalidValueError(f"target_risk must lie in (0, 1] or be None, got {target_risk!r}.")
    qis = resolve_quasi_identifiers(data._people, quasi_identifiers)
    rng = check_random_state(random_state)
    seed = int(rng.randint(np.iinfo(np.int32).max))
    params = dict(
        privacy_level=privacy_level,
        augment_with_synthetic=augment_with_synthetic,
        synthetic_source=synthetic_source,
        synthetic_ratio=synthetic_ratio,
        synthetic_strategy=synthetic_strategy,
        protect_connection_patterns=protect_connection_patterns,
        connection_pattern_k=connection_pattern_k,
        use_external_network=use_external_network,
        external_network=external_network,
        random_state=seed,
    )
    pipeline = make_persona_pipeline(**params, quasi_identifiers=qis)
    k0 = PRIVACY_LEVELS[privacy_level]
    ladder = [k0] if target_risk is None else [k0] + [k for k in _K_LADDER if k > k0]
    n_real = int((~data.is_synthetic).sum())
    risk_before = reidentification_risk(data, qis, include_connections=True)
    attempts = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(ladder), desc="protecting", unit="k")
    release, risk, used = None, None, None
    for k in ladder:
        if k > n_real:
            break
        candidate = Pipeline(pipeline.steps).set_params(
            generalize__privacy_level=None, generalize__k=k
        )
        from sklearn.base import clone

        candidate = clone(candidate)
        release = candidate.fit_transform(data)
        risk = reidentification_risk(release, qis, include_connections=True)
        attempts.append({"k": k, "population_average_risk": risk.population_average_risk})
        used = (k, candidate)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(k=k, risk=f"{risk.population_average_risk:.3f}")
        if target_risk is None or risk.population_average_risk <= target_risk:
            break
    if bar is not None:
        bar.close()
    if used is None:
        raise InvalidValueError(
            f"privacy_level={privacy_level!r} needs k={k0} but the data has only {n_real} "
            "real people. Use a lower privacy level or more data."
        )
    k, fitted = used
    met = target_risk is None or risk.population_average_risk <= target_risk
    if not met:
        warnings.warn(
            f"target_risk={target_risk:.1%} was not reached: the lowest population average "
            f"risk was {risk.population_average_risk:.1%} at k={k} (tried k = "
            f"{[a['k'] for a in attempts]}). Add synthetic personas "
            "(augment_with_synthetic=True), coarsen the quasi-identifiers, or accept it.",
            PrivacyWarning,
            stacklevel=2,
        )
    network_metadata = {
        "template_source": None,
        "average_degree_before": 2 * data.n_connections / max(len(data), 1),
        "average_degree_after": 2 * release.n_connections / max(len(release), 1),
    }
    if "network" in fitted.named_steps:
        template = fitted.named_steps["network"].template
        network_metadata["template_source"] = getattr(template, "source", None)
    augmented = int(getattr(fitted.named_steps.get("augment"), "n_synthetic_", 0))
    n_syn = int(release.n_synthetic)
    distinguishability = None
    if n_syn >= 10 and len(release) - n_syn >= 10:  # can synthetic people be told apart?
        from personatwin_sklearn.metrics import distinguishability_auc

        distinguishability = distinguishability_auc(
            release, cv=3, max_rows=_DISTINGUISH_ROWS, random_state=seed
        )
    metadata = {
        "n_real": n_real,
        "synthetic_count": n_syn,
        "augmented_count": augmented,
        "connection_personas": n_syn - augmented - int(data.n_synthetic),
        "distinguishability_auc": distinguishability,
        "synthetic_connections": int(release.n_synthetic_connections),
        "k": k,
        "quasi_identifiers": qis,
        "target_risk": target_risk,
        "target_risk_met": bool(met),
        "attempts": attempts,
        "epsilon_spent": _epsilon_spent(fitted),
        "parameters": params,
    }
    return ProcessingResult(
        personas=release.people,
        connections=release.connections,
        data=release,
        risk_metrics=risk,
        risk_before=risk_before,
        metadata=metadata,
        network_metadata=network_metadata,
        pipeline=fitted,
    )


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    partial = path.with_suffix(path.suffix + ".partial")
    frame.to_csv(partial, index=False)
    partial.replace(path)
    return path


def _pseudonymise(data: SocialData, seed, keep_ids: bool):
    """People and connections with fresh random ids and shuffled rows.

    Synthetic people are appended after the real ones with ids above theirs, so the row
    order and the ids of a release would tell them apart: the published files get ids
    ``1..n`` in a random order and rows in a random order.  The flags files keep the
    original id next to the release id.
    """
    rng = np.random.default_rng(seed)
    people, edges, id_col = data.people, data.connections, data.id_col
    original = people[id_col]
    if keep_ids:
        release_ids = original.to_numpy()
        people = people.iloc[rng.permutation(len(people))]
    else:
        release_ids = rng.permutation(len(people)) + 1
        mapping = pd.Series(release_ids, index=original.to_numpy())
        people = people.assign(**{id_col: release_ids}).sort_values(id_col, kind="stable")
        edges = edges.assign(
            person1_id=mapping.reindex(edges["person1_id"].to_numpy()).to_numpy(),
            person2_id=mapping.reindex(edges["person2_id"].to_numpy()).to_numpy(),
        )
    people = people.reset_index(drop=True)
    original_of = pd.Series(original.to_numpy(), index=release_ids)
    people.insert(0, f"original_{id_col}", original_of.reindex(people[id_col]).to_numpy())
    edges = edges.iloc[rng.permutation(len(edges))].reset_index(drop=True)
    return people, edges


def write_release(
    result, out_dir, *, original=None, report=True, keep_ids=False, random_state=None
) -> list[Path]:
    """Write a release to ``out_dir``; nothing is left half-written.

    Files: ``people.csv`` and ``connections.csv`` without the columns that tell synthetic
    from real, with rows in a random order and, unless ``keep_ids``, fresh random ids
    ``1..n`` (synthetic people come after the real ones with larger ids in memory:
    published as they are, row order and ids would give them away); the flags in
    ``people_synthetic_flags.csv`` (release id, original id, ``is_synthetic``) and
    ``connections_synthetic_flags.csv`` (rows aligned with ``connections.csv``) — keep
    them, never publish them;
    ``risk_metrics.json``; ``report.html`` when ``report`` is true.  All files are
    written to a temporary folder next to ``out_dir`` first and moved into place at the
    end, so an error leaves no partial release.

    Parameters
    ----------
    result : ProcessingResult or SocialData
    out_dir : path
    original : SocialData, default=None
        The input, for the report's before/after figures (default: the release's
        real rows).
    report : bool, default=True
    keep_ids : bool, default=False
        Publish the original ids (rows are still shuffled).  Only safe when synthetic
        people's ids cannot be told from real ones'.
    random_state : int or None, default=None
        Seed of the id and row shuffles; default: the release's own seed
        (``metadata["parameters"]["random_state"]``) for a :class:`ProcessingResult`,
        so the same seed gives the same files.

    Returns
    -------
    list of Path
    """
    import json
    import shutil
    import tempfile

    data = result.data if isinstance(result, ProcessingResult) else result
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        if random_state is None and isinstance(result, ProcessingResult):
            random_state = result.metadata.get("parameters", {}).get("random_state")
        people, edges = _pseudonymise(data, random_state, keep_ids)
        original_id = f"original_{data.id_col}"
        key = {
            "people": [data.id_col, original_id],
            "connections": ["person1_id", "person2_id"],
        }
        names = []
        for name, frame in (("people", people), ("connections", edges)):
            flags = [c for c in _FLAG_COLUMNS[name] if c in frame.columns]
            _write_csv(
                frame.drop(columns=flags + [original_id], errors="ignore"), tmp / f"{name}.csv"
            )
            _write_csv(frame[key[name] + flags], tmp / f"{name}_synthetic_flags.csv")
            names += [f"{name}.csv", f"{name}_synthetic_flags.csv"]
        if isinstance(result, ProcessingResult):
            payload = {
                "risk_before": result.risk_before.to_dict(),
                "risk_after": result.risk_metrics.to_dict(),
                "metadata": result.metadata,
                "network_metadata": result.network_metadata,
            }
            (tmp / "risk_metrics.json").write_text(
                json.dumps(payload, indent=2, default=_json_default)
            )
            names.append("risk_metrics.json")
            if report:
                from personatwin_sklearn.report import write_report

                before = original if original is not None else data.real()
                write_report(
                    tmp / "report.html",
                    before,
                    data,
                    result.risk_before.to_dict(),
                    result.risk_metrics.to_dict(),
                    metadata={k: v for k, v in result.metadata.items() if k not in ("parameters",)}
                    | {f"param {k}": v for k, v in result.metadata["parameters"].items()},
                    rare_patterns_after=_rarest(data),
                )
                names.append("report.html")
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for name in names:
            target = out_dir / name
            (tmp / name).replace(target)
            written.append(target)
        return written
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _rarest(data: SocialData) -> pd.DataFrame:
    from personatwin_sklearn.patterns import ConnectionPatternAnalyzer

    if data.n_connections == 0:
        return pd.DataFrame(columns=["pattern", "k"])
    analyzer = ConnectionPatternAnalyzer(k=1).fit(data)
    return analyzer.patterns_.sort_values("k", kind="stable").head(15)


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, Path):
        return str(value)
    return repr(value)
