"""One call for the whole job: :func:`create_safe_personas` and :func:`make_persona_pipeline`."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state

from personatwin_sklearn._roles import check_age_range, resolve_roles
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
#: ``connection_scope`` values: the scopes of SyntheticConnectionGenerator run, in order.
_CONNECTION_SCOPES = {
    "edge": ("edge",),
    "neighborhood": ("neighborhood",),
    "both": ("edge", "neighborhood"),
}
#: k tried, in order, when ``target_risk`` is not met at the privacy level's k.
_K_LADDER = (3, 5, 10, 20, 50, 100)


def _check_choice(name, value, options):
    if value not in options:
        raise InvalidValueError(
            f"{name}={value!r} is not one of {sorted(options)}. Pick one of those."
        )


def _check_positive(name, value):
    if not isinstance(value, (int, float, np.integer, np.floating)) or not value > 0:
        raise InvalidValueError(f"{name} must be a number > 0, got {value!r}.")


def release_split(data):
    """Give the single whole-data "split" for tuning a release with ``GridSearchCV``.

    A release is made from all the data at once: k shrinks on folds and folds cut
    connections, so cross-validation folds would tune the wrong thing.  Pass
    ``cv=release_split(data)`` to fit and score each candidate on everything.

    Parameters
    ----------
    data : SocialData or DataFrame
        The data the release is made from.

    Returns
    -------
    cv : list of one (train, test) tuple of index arrays
        Both arrays hold every row position.

    See Also
    --------
    make_persona_pipeline : The pipeline such a search tunes.

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
    if isinstance(external_network, str) and external_network in templates.list_templates():
        return templates.load_template(external_network), 0.0
    if isinstance(external_network, str) and not Path(external_network).is_file():
        from personatwin_sklearn.exceptions import UnknownTemplateError

        raise UnknownTemplateError(  # a name is only a shipped name; a path must exist
            f"external_network={external_network!r} is neither a shipped template "
            f"({templates.list_templates()}) nor an existing graph file. Pass one of those "
            "names, a NetworkTemplate, a networkx graph or the path of an edge list."
        )
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
    *,
    connection_scope="edge",
    pattern_signature=None,
    age_bin=5,
    connection_coarsen="auto",
):
    """Build the project's steps as a scikit-learn :class:`~sklearn.pipeline.Pipeline`.

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
    ``connections_neighborhood``
        With ``connection_scope="both"``: a second
        :class:`~personatwin_sklearn.SyntheticConnectionGenerator` with
        ``scope="neighborhood"`` after the edge-scope one.

    Parameters
    ----------
    privacy_level : {"low", "medium", "high"}, default="medium"
        k of the quasi-identifiers: 3, 5 or 10.  Set as the ``generalize`` step's
        ``privacy_level`` (its ``k`` stays None), so a grid can search it:
        ``{"generalize__privacy_level": ["low", "medium", "high"]}``.  To search ``k``
        itself instead, give ``{"generalize__privacy_level": [None], "generalize__k":
        [...]}``: :class:`~personatwin_sklearn.KAnonymizer` refuses both at once rather
        than letting one silently override the other.
    augment_with_synthetic : bool, default=False
        Add synthetic personas first (the ``augment`` step).
    synthetic_source : {"census", "nemotron"} or provider, default="census"
        Where the synthetic personas' attributes come from.
    synthetic_ratio : float, default=2.0
        Synthetic personas per real person.
    synthetic_strategy : {"match_distribution", "fill_gaps", "boost_rare"}, \
            default="match_distribution"
        How the augmentation chooses whom to copy, see ``SyntheticAugmenter``.
    protect_connection_patterns : bool, default=True
        Add the ``connections`` step.
    connection_pattern_k : int, default=10
        The k every connection pattern must reach.
    use_external_network : bool, default=False
        Wire the synthetic personas after ``external_network`` (the ``network`` step).
    external_network : NetworkTemplate, str, networkx graph or path, default=None
        A template, the name of a shipped template (e.g. ``"karate_club"``), or a graph /
        SNAP edge list to extract one from with epsilon = 1 (spent when this function
        runs).
    random_state : int, RandomState instance or None, default=None
        Seed of every random step.
    quasi_identifiers : list of str, default=None
        Columns the generalisation (and augmentation) works on; default: those of
        ``age, gender, ethnicity, zipcode`` present.
    connection_scope : {"edge", "neighborhood", "both"}, default="edge"
        What the connection protection makes shared by ``connection_pattern_k``
        people: each single connection pattern (``"edge"``), each person's whole
        multiset of patterns (``"neighborhood"``, the 1-hop neighbourhood attack; it
        implies the edge scope but adds far more), or edge then neighbourhood
        (``"both"``).
    pattern_signature : list of str, default=None
        Partner columns of a connection pattern (default: gender, age, occupation and
        ``has_*`` flags present).
    age_bin : int, default=5
        Partner age bucket of a pattern, in years.
    connection_coarsen : {"auto", "none", "major", "suppressed"} or dict, default="auto"
        What the connection protection may publish coarser instead of adding
        connections (the generator's ``coarsen``: partner occupation, age bands, family
        types as one group), e.g. ``{"occupation": "major"}`` or ``"none"``.

    Returns
    -------
    pipeline : Pipeline
        The unfitted steps; ``fit_transform(data)`` gives the release.

    See Also
    --------
    create_safe_personas : The same steps in one call, with risk measures.

    Examples
    --------
    >>> from personatwin_sklearn import make_persona_pipeline
    >>> pipeline = make_persona_pipeline(privacy_level="high")
    >>> [name for name, _ in pipeline.steps]
    ['generalize', 'connections']
    >>> pipeline.get_params()["generalize__privacy_level"], pipeline.get_params()["generalize__k"]
    ('high', None)
    """
    _check_choice("privacy_level", privacy_level, PRIVACY_LEVELS)
    _check_positive("connection_pattern_k", connection_pattern_k)
    if isinstance(connection_pattern_k, (bool, np.bool_)) or not isinstance(
        connection_pattern_k, (int, np.integer)
    ):  # a number of people: 2.5 is refused, not cut to 2
        raise InvalidValueError(
            f"connection_pattern_k must be a whole number of people, got "
            f"{connection_pattern_k!r}; give an int, e.g. connection_pattern_k="
            f"{max(int(np.ceil(connection_pattern_k)), 1)}."
        )
    _check_choice("connection_scope", connection_scope, _CONNECTION_SCOPES)
    if protect_connection_patterns:
        from personatwin_sklearn.connections._coarsen import check_coarsen

        check_coarsen(connection_coarsen)
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
    # only the level: a grid over generalize__privacy_level then changes the k in force
    steps.append(("generalize", KAnonymizer(privacy_level=privacy_level, quasi_identifiers=qis)))
    if protect_connection_patterns:
        from personatwin_sklearn.connections import SyntheticConnectionGenerator

        signature = (
            [pattern_signature] if isinstance(pattern_signature, str) else pattern_signature
        )
        for i, scope in enumerate(_CONNECTION_SCOPES[connection_scope]):
            name = "connections" if i == 0 else f"connections_{scope}"
            generator = SyntheticConnectionGenerator(
                target_k=int(connection_pattern_k),
                scope=scope,
                signature=None if signature is None else list(signature),
                age_bin=age_bin,
                coarsen=connection_coarsen,
                on_infeasible="ignore",  # reported in metadata["connection_protection"]
                random_state=random_state,
            )
            steps.append((name, generator))
    return Pipeline(steps)


@dataclass
class ProcessingResult:
    """What :func:`create_safe_personas` returns.

    The release (as tables and as one container), its risk before and after, and
    what was done to reach it; :meth:`save` writes the publishable files.

    Parameters
    ----------
    personas : DataFrame
        The released people (real, generalised, and synthetic), with ``is_synthetic``.
    connections : DataFrame
        The released connections, with their synthetic flags.
    data : SocialData
        The release as one container.
    risk_metrics : RiskReport
        Class-size risk of the release: the *quasi-identifier risk*
        (``population_average_risk``, ``max_risk``, ``records_at_risk``: 1 / size of a
        real person's class of equal quasi-identifiers), the *quasi-identifier x
        neighbourhood class risk* (``qi_neighborhood_average_risk``) and the smallest
        *connection-pattern k* (``min_connection_pattern_k``).
    risk_before : RiskReport
        The same for the input.
    metadata : dict
        ``headline`` (the headline risk, :func:`~personatwin_sklearn.attacks.
        headline_risk`: ``before`` / ``after`` ``average`` and ``maximum``, per-scope
        figures), ``protected_scopes`` (scope -> what is guaranteed, or why not),
        ``k_reason`` (why k is what it is), ``information_loss`` (NCP of the real
        people's quasi-identifiers, 0 unchanged, 1 all ``"*"``) and
        ``information_loss_per_column``, ``synthetic_share`` (share of released
        connections that are synthetic), ``connection_scope``, ``pattern_signature``,
        ``age_bin``, ``synthetic_count`` (all synthetic people), ``augmented_count`` (added by the
        augmentation step), ``connection_personas`` (partner personas added by the
        connection protection), ``distinguishability_auc`` (3-fold CV AUC of a classifier
        telling synthetic from real people in the release, on up to 20,000 sampled people;
        None with fewer than 10 of either), ``synthetic_connections``, ``k``, ``parameters``,
        ``epsilon_spent``, ``target_risk_met``, ``attempts`` (per k tried: quasi-identifier
        risk, headline after, synthetic share, information loss).
    network_metadata : dict
        ``template_source``, ``average_degree_before``, ``average_degree_after``.
    pipeline : Pipeline
        The fitted pipeline.

    See Also
    --------
    write_release : The files :meth:`save` writes.

    Examples
    --------
    >>> from personatwin_sklearn import create_safe_personas
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> result = create_safe_personas(make_toy_population(), privacy_level="low",
    ...                               target_risk=None, protect_connection_patterns=False,
    ...                               random_state=0)
    >>> len(result.personas) == len(result.data)
    True
    """

    personas: pd.DataFrame
    connections: pd.DataFrame
    data: SocialData
    risk_metrics: RiskReport
    risk_before: RiskReport
    metadata: dict = field(default_factory=dict)
    network_metadata: dict = field(default_factory=dict)
    pipeline: Pipeline | None = None

    def save(
        self,
        out_dir,
        *,
        original=None,
        report=True,
        keep_ids=False,
        private_dir=None,
        overwrite=False,
        secret_key=None,
        inputs=(),
    ) -> list[Path]:
        """Write the release: public files to ``out_dir``, private ones to ``private_dir``.

        The files that link the release to real people go to ``private_dir``
        (default ``<out_dir>.private``); see :func:`write_release`.

        Parameters
        ----------
        out_dir : str or path-like
            Folder of the public files.
        original : SocialData, default=None
            The input, for the report's before/after figures.
        report : bool, default=True
            Write ``report.html``.
        keep_ids : bool, default=False
            Publish the original ids.
        private_dir : str or path-like, default=None
            Folder of the private files.
        overwrite : bool, default=False
            Replace non-empty folders.
        secret_key : bytes or str, default=None
            Key of the pseudonyms.
        inputs : sequence of paths, default=()
            Input files, which the folders must not hold.

        Returns
        -------
        paths : list of Path
            The public files, then the private ones.
        """
        return write_release(
            self,
            out_dir,
            original=original,
            report=report,
            keep_ids=keep_ids,
            private_dir=private_dir,
            overwrite=overwrite,
            secret_key=secret_key,
            inputs=inputs,
        )

    def summary(self) -> str:
        """Describe the release in a few lines: headline risk, protection, additions.

        The first risk line is ``metadata["headline"]`` (see
        :func:`~personatwin_sklearn.attacks.headline_risk`), formatted by
        :func:`~personatwin_sklearn.attacks._headline.format_headline` as in the CLI and
        the report.

        Returns
        -------
        text : str
            Lines for people to read.
        """
        r0, r1, m = self.risk_before, self.risk_metrics, self.metadata
        h = m.get("headline")
        k0, k1 = r0.min_connection_pattern_k, r1.min_connection_pattern_k
        pattern_line = (
            _protection_line(m.get("connection_protection"), m.get("detector"))
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
        share = (
            f" ({m['synthetic_share']:.1%} of released connections)"
            if m.get("synthetic_connections") and m.get("synthetic_share") is not None
            else ""
        )
        loss = m.get("information_loss")
        loss_text = (
            "" if loss is None else f"; information loss {loss:.3f} (0 = unchanged, 1 = all '*')"
        )
        return "\n".join(
            [
                *(_headline_lines(h, m.get("protected_scopes", {})) if h else []),
                f"{m['n_real']:,} real people -> {len(self.personas):,} personas "
                f"({m['synthetic_count']:,} synthetic), "
                f"{m['synthetic_connections']:,} synthetic connections{share}",
                f"quasi-identifiers (generalised; known to the adversary): "
                f"{', '.join(map(str, m.get('quasi_identifiers', [])))}; "
                f"{m.get('k_reason', 'k=' + str(m.get('k')))}",
                f"quasi-identifier risk (k={m['k']}): average "
                f"{r0.population_average_risk:.1%} -> {r1.population_average_risk:.1%}, "
                f"max {r0.max_risk:.1%} -> {r1.max_risk:.1%}{loss_text}",
                pattern_line,
                *auc_line,
            ]
        )


def _protection_line(protection, detector) -> str:
    """Connection protection in one line: k, who is left short, coarsening, detector."""
    if not protection:
        return "connection patterns: not protected (protect_connection_patterns=False)"
    coarse = protection.get("coarsened_text", "")
    short = protection["real_people_below_k"]
    text = (
        f"connection patterns (k={protection['target_k']}, as the adversary counts them): "
        + (
            f"{short:,} real people stay below k ({protection['patterns_below_k']:,} "
            "patterns; listed in the connections step's at_risk_)"
            if short
            else "every real person reaches k"
        )
        + (f"; coarsened: {coarse}" if coarse else "")
    )
    if detector and detector.get("auc") is not None:
        text += (
            f"\nsynthetic connections told apart from real ones: detector AUC "
            f"{detector['auc']:.2f}, found at 1% false positives "
            f"{detector['tpr_at_1pct_fpr']:.0%} (0.5 / 1%: not at all); after stripping "
            f"what it flags, edge-scope re-identification "
            f"{detector['edge_expected_success_stripped']:.1%}"
        )
    return text


def _headline_lines(h: dict, protected_scopes: dict) -> list[str]:
    """The headline risk, each adversary's success, and which of them are protected."""
    from personatwin_sklearn.attacks._headline import format_headline, format_scopes

    protected = [s for s, text in protected_scopes.items() if str(text).startswith("prot")]
    open_ = [s for s in h["scopes"] if s not in protected]
    sample = (
        f" (a random sample of {h['n_targets']:,} of the {h['n_real']:,} real people)"
        if h.get("sampled")
        else ""
    )
    stripped = (
        f"; {h['stripped_connections']:,} connections a detector flags removed first"
        if h.get("stripped_connections")
        else ""
    )
    skipped = h.get("skipped") or {}
    return [
        f"headline risk (re-identification by the strongest adversary, "
        f"{h['strongest_scope']}): {format_headline(h)}{sample}{stripped}",
        f"  by adversary (average success): {format_scopes(h)}",
        f"  protected: {', '.join(protected) or 'nothing'}; not protected: "
        f"{', '.join(open_) or 'nothing'}"
        + (f"; not measured: {', '.join(skipped)} (no connections)" if skipped else ""),
    ]


def _as_social_data(data, domain, age_range=(0, 120)) -> SocialData:
    if isinstance(data, SocialData):
        return data
    if isinstance(data, pd.DataFrame):
        from personatwin_sklearn.io import load_data

        return load_data(data, domain=domain, age_range=age_range)
    raise InvalidValueError(
        f"data must be a SocialData (see personatwin_sklearn.load_data) or a people "
        f"DataFrame, got {type(data).__name__}."
    )


def _replayable_seed(random_state):
    """An int that, passed back as ``random_state``, reproduces the protection.

    ``None`` draws a fresh one (from the OS CSPRNG); a ``RandomState`` gives one draw; an
    int is kept as it is (so the derived internal seed, and the release, are unchanged).
    """
    import numbers
    import secrets

    if random_state is None:
        return secrets.randbelow(np.iinfo(np.int32).max)
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


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
    connection_scope="edge",
    pattern_signature=None,
    age_bin=5,
    keep=None,
    drop=None,
    allow_identifiers=None,
    age_range=(0, 120),
    progress=False,
    connection_coarsen="auto",
) -> ProcessingResult:
    """Make a shareable release of people and their connections in one call.

    Runs :func:`make_persona_pipeline` (augmentation, network template, k-anonymous
    generalisation, connection-pattern protection) and measures the risk of the release.

    The figure to read is ``metadata["headline"]`` (:func:`~personatwin_sklearn.attacks.
    headline_risk`): per real person, the worst success of the linkage adversaries who
    know the quasi-identifiers, a connection pattern, the whole neighbourhood, or both;
    averaged and maximised over real people, before and after.  ``target_risk`` is a
    bound on a different, narrower figure, the *quasi-identifier risk*
    (``risk_metrics.population_average_risk``: 1 / size of a person's class of equal
    quasi-identifiers): k is raised (the privacy level's k, then 10, 20, 50, 100) until
    it is at most ``target_risk``; ``metadata["k_reason"]`` says why k was raised, and
    if no k reaches it a :class:`PrivacyWarning` says what was reached and
    ``metadata["target_risk_met"]`` is False.

    Parameters
    ----------
    data : SocialData or DataFrame
        People (and connections); a DataFrame is people only.
    privacy_level : {"low", "medium", "high"}, default="medium"
        Starting k of the quasi-identifiers (3, 5 or 10).
    domain : str, default="custom"
        Used when ``data`` is a DataFrame.
    target_risk : float in (0, 1] or None, default=0.05
        Population average risk to reach by raising k; None: the privacy level's k.
    augment_with_synthetic : bool, default=False
        See :func:`make_persona_pipeline`.
    synthetic_source : {"census", "nemotron"} or provider, default="census"
        See :func:`make_persona_pipeline`.
    synthetic_ratio : float, default=2.0
        See :func:`make_persona_pipeline`.
    synthetic_strategy : str, default="match_distribution"
        See :func:`make_persona_pipeline`.
    protect_connection_patterns : bool, default=True
        See :func:`make_persona_pipeline`.
    connection_pattern_k : int, default=10
        See :func:`make_persona_pipeline`.
    use_external_network : bool, default=False
        See :func:`make_persona_pipeline`.
    external_network : NetworkTemplate, str, networkx graph or path, default=None
        See :func:`make_persona_pipeline`.
    random_state : int, RandomState instance or None, default=None
        See :func:`make_persona_pipeline`.
    quasi_identifiers : list of str, default=None
        Columns generalised to k-anonymity and on which the risk is measured (default:
        age, gender, ethnicity, zipcode present and not in ``keep``/``drop``).
    connection_scope : {"edge", "neighborhood", "both"}, default="edge"
        Which connection adversary the synthetic connections defend against; see
        :func:`make_persona_pipeline`.  ``"neighborhood"`` and ``"both"`` lower the
        headline further but add many more synthetic connections and personas.
    pattern_signature : list of str, default=None
        Partner columns of a connection pattern, for the protection and the headline
        (default: gender, age, occupation, ``has_*`` present).
    age_bin : int, default=5
        Partner age bucket of a pattern, in years.
    keep, drop : list of str, default=None
        People columns published as they are / left out before any work.  Every people
        column needs a role: ``occupation`` and ``has_*`` flags are kept by default (they
        are connection-pattern attributes, protected by ``connection_pattern_k``); any
        other column that is not a quasi-identifier must be in ``keep`` or ``drop``, or
        an :class:`~personatwin_sklearn.exceptions.UndeclaredColumnError` is raised
        before any work.  Columns that look like direct identifiers (name, SSN, e-mail,
        phone, street address, ``*_id``, ...) are refused even when kept, and so is a
        kept column that determines a quasi-identifier on the data.
    allow_identifiers : list of str, default=None
        Columns that look like direct identifiers but are not (explicit override).
    age_range : (min, max) or None, default=(0, 120)
        Plausible ages; an age outside is an error naming the rows.
    progress : bool, default=False
        Show a progress bar over the attempts and steps.
    connection_coarsen : {"auto", "none", "major", "suppressed"} or dict, default="auto"
        What the connection protection may publish coarser instead of adding
        connections; see :func:`make_persona_pipeline`.  What it did is in
        ``metadata["connection_protection"]["coarsened"]`` and the summary.

    Returns
    -------
    result : ProcessingResult
        The release, its risk before and after, and metadata.

    See Also
    --------
    make_persona_pipeline : The steps as a Pipeline, to tune or inspect.

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
    data = _as_social_data(data, domain, age_range)
    _check_choice("privacy_level", privacy_level, PRIVACY_LEVELS)
    if target_risk is not None and not (
        isinstance(target_risk, (int, float)) and 0 < target_risk <= 1
    ):
        raise InvalidValueError(f"target_risk must lie in (0, 1] or be None, got {target_risk!r}.")
    roles = resolve_roles(
        data._people,
        id_col=data.id_col,
        quasi_identifiers=quasi_identifiers,
        keep=keep,
        drop=drop,
        allow_identifiers=allow_identifiers,
    )
    check_age_range(data._people, age_range)
    if roles.dropped:
        data = data.with_people(data._people.drop(columns=list(roles.dropped)), validate=False)
    qis = resolve_quasi_identifiers(data._people, list(roles.quasi_identifiers))
    random_state = _replayable_seed(random_state)
    seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
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
        connection_scope=connection_scope,
        pattern_signature=pattern_signature,
        age_bin=age_bin,
        connection_coarsen=connection_coarsen,
    )
    pipeline = make_persona_pipeline(**params, quasi_identifiers=qis)
    if pattern_signature is not None:
        from personatwin_sklearn.patterns._core import resolve_signature

        resolve_signature(data, pattern_signature)  # a named column must exist
    k0 = PRIVACY_LEVELS[privacy_level]
    ladder = [k0] if target_risk is None else [k0] + [k for k in _K_LADDER if k > k0]
    n_real = int((~data.is_synthetic).sum())
    risk_before = reidentification_risk(data, qis, include_connections=True)
    attempts = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(ladder), desc="protecting", unit="k")
    release, risk, used, headline = None, None, None, None
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
        headline = _headline(data, release, qis, pattern_signature, age_bin, before=headline)
        attempts.append(
            {
                "k": k,
                "population_average_risk": risk.population_average_risk,
                "headline_average": headline["after"]["average"],
                "headline_maximum": headline["after"]["maximum"],
                "synthetic_share": _synthetic_share(release),
                "information_loss": _information_loss(candidate, data, release, qis),
            }
        )
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
            f"target_risk={target_risk:.1%} was not reached: the lowest quasi-identifier "
            f"risk (average) was {risk.population_average_risk:.1%} at k={k} (tried k = "
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
    detector = None
    if headline is not None:  # the adversary strips what its detector flags, then links
        detector, strip_mask = _detector_strip(data, release, qis, headline, age_bin, seed)
        if strip_mask is not None and strip_mask.any():
            headline = _headline(
                data, release, qis, headline["signature"], age_bin, strip_mask=strip_mask,
                before=headline,
            )  # fmt: skip
    protection = _protection_summary(fitted, release)
    scopes_done = _protected_scopes(
        data, protect_connection_patterns, connection_scope, k, connection_pattern_k
    )
    if protection and protection["real_people_below_k"] and "edge" in scopes_done:
        if str(scopes_done["edge"]).startswith("protected"):
            scopes_done["edge"] = (
                f"protected: edge patterns shared by >= {connection_pattern_k} people "
                f"(as the adversary counts), except {protection['real_people_below_k']:,} "
                "real people the budget and plausibility left short (at_risk_)"
            )
    metadata = {
        "connection_protection": protection,
        "detector": detector,
        "headline": headline,
        "protected_scopes": scopes_done,
        "k_reason": _k_reason(attempts, k0, privacy_level, target_risk, met),
        "information_loss": attempts[-1]["information_loss"],
        "information_loss_per_column": _information_loss(
            fitted, data, release, qis, per_column=True
        ),
        "synthetic_share": attempts[-1]["synthetic_share"],
        "n_real": n_real,
        "synthetic_count": n_syn,
        "augmented_count": augmented,
        "connection_personas": n_syn - augmented - int(data.n_synthetic),
        "distinguishability_auc": distinguishability,
        "synthetic_connections": int(release.n_synthetic_connections),
        "k": k,
        "quasi_identifiers": qis,
        "connection_scope": connection_scope,
        "pattern_signature": headline["signature"],
        "age_bin": age_bin,
        "target_risk": target_risk,
        "target_risk_met": bool(met),
        "attempts": attempts,
        "epsilon_spent": _epsilon_spent(fitted),
        "column_roles": roles.to_dict(),
        # the value to pass back as random_state to get the same protected content
        "parameters": {**params, "random_state": random_state},
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


def _protection_summary(fitted, release) -> dict | None:
    """What the connection step added, coarsened and left short (for metadata)."""
    from personatwin_sklearn.connections._coarsen import describe

    gen = fitted.named_steps.get("connections")
    if gen is None:
        return None
    protection = release.is_protection_connection
    at_risk = getattr(gen, "at_risk_", None)
    return {
        "method": gen.method if gen.scope == "edge" else "neighborhood",
        "target_k": int(gen.target_k),
        "connections_added": int(gen.n_added_),
        "people_added": int(gen.n_added_people_),
        "camouflage_connections": int(getattr(gen, "n_camouflage_", 0)),
        "protection_share": float(protection.sum() / max(release.n_connections, 1)),
        "max_synthetic_share": gen.max_synthetic_share,
        "coarsened": dict(getattr(gen, "coarsening_", {})),
        "coarsened_text": describe(dict(getattr(gen, "coarsening_", {})), gen.age_bin),
        "real_people_below_k": int(at_risk["person_id"].nunique()) if at_risk is not None else 0,
        "patterns_below_k": int(at_risk["pattern"].nunique()) if at_risk is not None else 0,
    }


#: Fewest synthetic (and real) connections a detector is trained on.
_MIN_DETECTOR_EDGES = 10
#: Real people attacked when choosing the strip threshold (the sample is the same at
#: every threshold).
_STRIP_TARGETS = 2000


def _detector_strip(data, release, qis, headline, age_bin, seed):
    """The detector-equipped adversary on the final release: ``(metadata, strip mask)``.

    The detector is cross-fitted on the release's own flags (no real adversary has
    them: the generous upper bound of a shadow-trained one); the strip is the one that
    maximises edge-scope re-identification, and the headline is recomputed after it.
    """
    from personatwin_sklearn.attacks import detector_suite, stripped_release_attack

    flags = release._connections["is_synthetic"].to_numpy(bool)
    n_syn, n_real = int(flags.sum()), int((~flags).sum())
    if min(n_syn, n_real) < _MIN_DETECTOR_EDGES:
        reason = (
            f"not run: {n_syn} synthetic and {n_real} real connections (a detector needs "
            f"{_MIN_DETECTOR_EDGES} of each); nothing to strip"
        )
        return {"reason": reason}, None
    suite = detector_suite(release, cv=3, random_state=seed)
    stripped = stripped_release_attack(
        data,
        release,
        quasi_identifiers=qis,
        signature=headline["signature"],
        age_bin=age_bin,
        scopes=("edge",),
        scores=suite.scores,
        n_targets=min(int((~release.is_synthetic).sum()), _STRIP_TARGETS),
        random_state=seed,
    )
    row = stripped.per_scope.loc["edge"]
    mask = stripped.strip_mask
    meta = {
        "auc": float(suite.auc),
        "tpr_at_1pct_fpr": float(suite.tpr_at_1pct_fpr),
        "shadow_auc": None,
        "detector": "cross-fitted on the release's own flags (upper bound)",
        "threshold": None if not np.isfinite(row["threshold"]) else float(row["threshold"]),
        "n_stripped": int(mask.sum()),
        "n_stripped_synthetic": int(row["n_removed_synthetic"]),
        "edge_expected_success_stripped": float(row["expected_success"]),
        "edge_expected_success_unstripped": float(row["expected_success_unstripped"]),
        "effective_edge_k": None
        if row["expected_success"] <= 0
        else float(1.0 / row["expected_success"]),
    }
    return meta, mask


def _headline(data, release, qis, signature, age_bin, strip_mask=None, before=None) -> dict:
    """:func:`~personatwin_sklearn.attacks.headline_risk` of a release of ``data``
    (``before``: an earlier headline of ``data`` whose "before" figures are reused)."""
    from personatwin_sklearn.attacks import headline_risk

    return headline_risk(
        data,
        release,
        quasi_identifiers=qis,
        signature=signature,
        age_bin=age_bin,
        strip_mask=strip_mask,
        before=before,
    )


def _synthetic_share(release: SocialData) -> float:
    """Share of the released connections that are synthetic (0 without connections)."""
    n = release.n_connections
    return float(release.n_synthetic_connections / n) if n else 0.0


def _information_loss(pipeline, data, release, qis, *, per_column=False):
    """NCP of the real people's quasi-identifiers (0 unchanged, 1 all ``"*"``)."""
    from personatwin_sklearn.metrics import information_loss

    if "generalize" not in pipeline.named_steps:  # pragma: no cover - always there today
        return {c: 0.0 for c in qis} if per_column else 0.0
    id_col = data.id_col
    before = data._people.loc[~np.asarray(data.is_synthetic), [id_col, *qis]]
    after = release._people.set_index(id_col)[qis].reindex(before[id_col].to_numpy())
    return information_loss(before[qis], after, qis, per_column=per_column)


def _protected_scopes(data, protect, connection_scope, k, pattern_k) -> dict:
    """Adversary scope -> what the release guarantees against it (or why nothing)."""
    out = {"qi": f"protected: every quasi-identifier class has >= {k} people"}
    if data.n_connections == 0:
        reason = "no connections in the input"
        out.update(edge=reason, neighborhood=reason, combined=reason)
        return out
    done = _CONNECTION_SCOPES[connection_scope] if protect else ()
    for scope in ("edge", "neighborhood"):
        if scope in done or (scope == "edge" and "neighborhood" in done):
            out[scope] = f"protected: every {scope} pattern is shared by >= {pattern_k} people"
        else:
            out[scope] = "not protected" + (
                " (connection protection off)"
                if not protect
                else f" (connection_scope={connection_scope!r})"
            )
    out["combined"] = (
        "not protected: no step makes quasi-identifiers and neighbourhood jointly "
        "shared by k people"
    )
    return out


def _k_reason(attempts, k0, privacy_level, target_risk, met) -> str:
    """Why the release has the k it has, in one sentence."""
    first = f"k={k0} from privacy_level={privacy_level!r}"
    if target_risk is None:
        return f"{first}; target_risk=None, so k was not raised"
    if len(attempts) == 1 and met:
        return (
            f"{first}; its quasi-identifier risk "
            f"{attempts[0]['population_average_risk']:.1%} met target_risk {target_risk:.1%}"
        )
    tried = ", ".join(f"k={a['k']}: {a['population_average_risk']:.1%}" for a in attempts[:-1])
    last = attempts[-1]
    verb = "met" if met else "still above"
    return (
        f"{first}, raised to k={last['k']} because the quasi-identifier risk was above "
        f"target_risk {target_risk:.1%} ({tried}); at k={last['k']} it is "
        f"{last['population_average_risk']:.1%} ({verb} the target)"
    )


def _write_csv(frame: pd.DataFrame):
    def write(path: Path) -> None:
        frame.to_csv(path, index=False)

    return write


def _release_roles(result, data):
    from personatwin_sklearn._roles import ColumnRoles

    roles = result.metadata.get("column_roles") if isinstance(result, ProcessingResult) else None
    if roles:
        return ColumnRoles(
            id_col=roles["id"],
            quasi_identifiers=tuple(roles["quasi_identifiers"]),
            kept=tuple(roles["kept"]),
            dropped=tuple(roles["dropped"]),
            allowed_identifiers=tuple(roles.get("allowed_identifiers", ())),
        )
    return resolve_roles(data._people, id_col=data.id_col, check_dependencies=False)


def write_release(
    result,
    out_dir,
    *,
    original=None,
    report=True,
    keep_ids=False,
    private_dir=None,
    overwrite=False,
    secret_key=None,
    inputs=(),
) -> list[Path]:
    """Write a release: public files to ``out_dir``, private ones to ``private_dir``.

    Public (``out_dir``, only what may be published): ``people.csv`` (the id, the
    generalised quasi-identifiers and the kept columns; no dropped or undeclared column,
    no flag), ``connections.csv`` (``person1_id, person2_id, connection_type``),
    ``risk_metrics.json`` and ``report.html`` (when ``report``).  Rows are in a random
    order and ids are fresh pseudonyms, both drawn from the OS CSPRNG (:mod:`secrets`),
    never from ``random_state``.  Text cells a spreadsheet would run as a formula are
    prefixed with ``'``.

    Private (``private_dir``, default ``<out_dir>.private``, mode 0700, files 0600):
    ``people_synthetic_flags.csv`` (release id, original id, ``is_synthetic``) and
    ``connections_synthetic_flags.csv`` (rows aligned with ``connections.csv``).  They
    link the release to real people: never publish them.

    All files are staged next to their destination (same filesystem), fsync'ed and
    renamed into place at the end, so an error or an interrupt leaves no partial
    release; staging folders of killed runs are removed by the next run.

    Parameters
    ----------
    result : ProcessingResult or SocialData
        The release.
    out_dir : path
        Must not exist or be empty (unless ``overwrite``), and must not hold an input.
    original : SocialData, default=None
        The input, for the report's before/after figures (default: the release's
        real rows).
    report : bool, default=True
        Write ``report.html``.
    keep_ids : bool, default=False
        Publish the original ids (rows are still shuffled).  Synthetic people then get
        ids drawn from the same format and range as the real ones; when that is not
        possible (e.g. the real ids fill 1..n) a
        :class:`~personatwin_sklearn.exceptions.ReleaseError` says why.
    private_dir : path, default=None
        Where the private files go (default ``<out_dir>.private``); never inside
        ``out_dir``.
    overwrite : bool, default=False
        Replace a non-empty ``out_dir`` (and the private files of an earlier release).
    secret_key : bytes or str, default=None
        Key of stable pseudonyms: a real person's release id is HMAC-SHA256(key, id),
        the same in every release made with that key (synthetic people get fresh random
        ids).  Keep the key secret: with it, anyone can link the release to your ids.
    inputs : sequence of paths, default=()
        Input files; an ``out_dir`` (or private folder) holding one is refused.

    Returns
    -------
    paths : list of Path
        The public files, then the private ones.

    See Also
    --------
    ProcessingResult.save : The same, from a result.

    Examples
    --------
    >>> import os, tempfile
    >>> from personatwin_sklearn.api import write_release
    >>> from personatwin_sklearn.datasets import make_toy_population
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = write_release(make_toy_population(), os.path.join(folder, "out"),
    ...                           report=False, secret_key="example")
    ...     names = {p.name for p in paths}
    >>> "people.csv" in names
    True
    """
    from personatwin_sklearn import _release

    data = result.data if isinstance(result, ProcessingResult) else result
    out, private = _release.release_destination(
        out_dir, private_dir, overwrite=overwrite, inputs=inputs
    )
    if isinstance(secret_key, str):
        secret_key = secret_key.encode("utf-8")
    roles = _release_roles(result, data)
    if keep_ids:  # the ids are published: they must not be SSNs, e-mails, ...
        content = _release_id_content(data)
        if content and data.id_col not in roles.allowed_identifiers:
            from personatwin_sklearn.exceptions import DirectIdentifierError

            raise DirectIdentifierError(
                f"keep_ids: the ids in {data.id_col!r} look like direct identifiers "
                f"({content}); publish fresh ids instead (leave out --keep-ids), or allow "
                f"them with allow_identifiers=[{data.id_col!r}]."
            )
    people, edges, people_flags, edge_flags = _release.pseudonymise(
        data, roles.public_columns(data._people), keep_ids=keep_ids, secret_key=secret_key
    )
    public = {
        "people.csv": _write_csv(_release.neutralise_formulas(people)),
        "connections.csv": _write_csv(_release.neutralise_formulas(edges)),
    }
    private_files = {
        "people_synthetic_flags.csv": _write_csv(people_flags),
        "connections_synthetic_flags.csv": _write_csv(edge_flags),
    }
    if isinstance(result, ProcessingResult):
        payload = {
            "headline": result.metadata.get("headline"),
            "risk_before": result.risk_before.to_dict(),
            "risk_after": result.risk_metrics.to_dict(),
            "metadata": result.metadata,
            "network_metadata": result.network_metadata,
        }
        text = _release.json_dumps(payload, default=_json_default)

        def write_json(path: Path) -> None:
            path.write_text(text)

        public["risk_metrics.json"] = write_json
        if report:
            from personatwin_sklearn.report import write_report

            before = original if original is not None else data.real()

            def write_html(path: Path) -> None:
                write_report(
                    path,
                    before,
                    data,
                    result.risk_before.to_dict(),
                    result.risk_metrics.to_dict(),
                    metadata={k: v for k, v in result.metadata.items() if k not in ("parameters",)}
                    | {f"param {k}": v for k, v in result.metadata["parameters"].items()},
                    rare_patterns_after=_rarest(
                        data,
                        result.metadata.get("pattern_signature"),
                        result.metadata.get("age_bin", 5),
                    ),
                )

            public["report.html"] = write_html
    return _release.write_atomically(out, private, public, private_files, overwrite=overwrite)


def _release_id_content(data) -> str | None:
    from personatwin_sklearn._roles import _identifier_by_content

    ids = data._people.loc[~data.is_synthetic, data.id_col]
    return _identifier_by_content(ids)


def _rarest(data: SocialData, signature=None, age_bin=5) -> pd.DataFrame:
    """The 15 rarest patterns of the release, by the adversary's (consistent) count."""
    from personatwin_sklearn.patterns import compute_patterns, consistent_pattern_k

    if data.n_connections == 0:
        return pd.DataFrame(columns=["pattern", "k", "consistent_k"])
    index = compute_patterns(data, signature, age_bin)
    _, pattern_k = consistent_pattern_k(index)
    table = index.table[["pattern"]].assign(k=index.k, consistent_k=pattern_k)
    return table.sort_values(["consistent_k", "k"], kind="stable").head(15)


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, Path):
        return str(value)
    return repr(value)
