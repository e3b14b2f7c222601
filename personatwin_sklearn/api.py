"""One call for the whole job: :func:`create_safe_personas` and :func:`make_persona_pipeline`."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from weakref import WeakKeyDictionary

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
#: k tried, in order, by the global protection when ``target_risk`` is not met.
_K_LADDER = (3, 5, 10, 20, 50, 100)
#: Headline target of each privacy level: the average, over real people, of the worst
#: success of the package's linkage adversaries (``target_risk="auto"``).
PRIVACY_TARGETS = {"low": 0.20, "medium": 0.10, "high": 0.05}
_PROTECTIONS = ("local", "global")
#: Group sizes the local protection tries (smallest, most useful, first) and the families
#: of points: each sets NeighborhoodKAnonymizer parameters (weights of the partners'
#: occupation groups, ages and flags, of the whole neighbourhood key, and what the repair
#: of exposed people widens).
_LOCAL_K = (2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30, 50, 100)
_TARGETS_ONLY = ("qi", "flags", "targets")
_HUBS = ("qi", "flags", "hubs")
_SLOT_HUBS = ("qi", "flags", "slot_hubs", "hubs")
_LOCAL_FAMILIES = (
    # the ACS families below, with the partition weighing the neighbourhood shape, the
    # partners' ages and their flagged partners more (fewer slots mix types, ages or
    # flags, so fewer values widen); hubs of 4+, and the repair suppresses the
    # occupations of partners with 3+ connections that keep its exposed people apart
    # (theirs, and those of the other owners of their slots whose major group differs);
    # a second round gives those it still leaves alone a twin (``twin_ids``)
    {"shape_weight": 16.0, "partner_weight": 3.0, "occupation_level": "acs", "hub_degree": 4,
     "key_weight": 0.0, "age_weight": 6.0, "flag_weight": 8.0, "cover_widen": _SLOT_HUBS,
     "cover_hub_degree": 3},
    # the same weights, hubs of 3+ and the repaired people's partners of 2+ connections
    {"shape_weight": 16.0, "partner_weight": 3.0, "occupation_level": "acs", "hub_degree": 3,
     "key_weight": 0.0, "age_weight": 6.0, "flag_weight": 8.0, "cover_widen": _HUBS},
    # occupations at the ACS hierarchy only (exact, the major group, or a not-employed
    # code as itself), and "*" for the hubs (3+ or 4+ connections) whose occupation a slot
    # widens across groups: one suppressed value protects each neighbourhood the hub is
    # in, where finer values are kept for everyone else; the repaired people's partners
    # with 2+ connections count as hubs too (with many people, the repair does the
    # targeting).  The ACS families come first: with the union families after them,
    # their less useful points need no attack.  (Dropped, as each family costs a fit and
    # a utility evaluation per size: the same without the repair's hubs, superseded by
    # the first two; and a union family partitioned on the whole neighbourhood key,
    # chosen on no sample seed or level, 10k, 100k or Caltech36.)
    {"shape_weight": 12.0, "partner_weight": 3.0, "occupation_level": "acs", "hub_degree": 3,
     "key_weight": 0.0, "age_weight": 3.0, "flag_weight": 4.0, "cover_widen": _HUBS},
    {"shape_weight": 12.0, "partner_weight": 3.0, "occupation_level": "acs", "hub_degree": 4,
     "key_weight": 0.0, "age_weight": 3.0, "flag_weight": 4.0, "cover_widen": _HUBS},
    # partners of similar ages, occupation groups and flagged counts grouped together;
    # the repair widens only as far as the exposed people's own partners' values
    {"shape_weight": 8.0, "partner_weight": 3.0, "occupation_level": "union", "key_weight": 0.0,
     "age_weight": 3.0, "flag_weight": 4.0, "cover_widen": _TARGETS_ONLY},
    # partners' exact occupations (ordered by major group): with many people, whole
    # slots share one and keep it exact
    {"shape_weight": 8.0, "partner_weight": 3.0, "occupation_level": "union", "key_weight": 0.0,
     "partner_level": "code", "age_weight": 3.0},
    # the first, with the quasi-identifiers no partner shows split first: in a dense
    # graph (a campus network) partner columns widen anyway, the others (a dorm) need not
    {"shape_weight": 8.0, "partner_weight": 3.0, "occupation_level": "union", "key_weight": 0.0,
     "age_weight": 3.0, "flag_weight": 4.0, "cover_widen": _TARGETS_ONLY, "own_weight": 4.0},
)  # fmt: skip
_SHAPE_WEIGHT = 8.0
#: Real people attacked per point during the search (the final headline attacks all).
_SEARCH_TARGETS = 2000
#: A local point that fails its risk bound by at most this factor (and meets the
#: certain bound) is mended before its family walks on: the real people its failed
#: measure names with at least the next of these success probabilities get a twin
#: (one round per level, each measured again).
_MEND_WITHIN = 1.25
_MEND_LEVELS = (0.5, 1 / 3, 0.25)


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
    connection_pattern_k=None,
    use_external_network=False,
    external_network=None,
    random_state=None,
    quasi_identifiers=None,
    *,
    connection_scope="edge",
    pattern_signature=None,
    age_bin=5,
    connection_coarsen="auto",
    protection="local",
    partner_weight=0.0,
):
    """Build the project's steps as a scikit-learn :class:`~sklearn.pipeline.Pipeline`.

    Steps, in order (each optional one only when asked for):

    ``augment``
        :class:`~personatwin_sklearn.SyntheticAugmenter` — synthetic personas.
    ``network``
        :class:`~personatwin_sklearn.TemplateConnector` — connections for the synthetic
        personas following an external network template.
    ``generalize``
        ``protection="local"`` (default): :class:`~personatwin_sklearn.
        NeighborhoodKAnonymizer` — quasi-identifiers *and* connections generalised
        locally, so that groups of k people are candidates for each other under the
        adversary who knows a target's neighbourhood (it replaces the ``connections``
        step).  ``protection="global"``: :class:`~personatwin_sklearn.KAnonymizer` —
        k-anonymous quasi-identifiers at ``privacy_level``, then:
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
    connection_pattern_k : int, default=None
        Global protection: the k every connection pattern must reach (None: 10).
        Local: the smallest group size the search may choose (None: from 2).
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
        types as one group), e.g. ``{"occupation": "major"}`` or ``"none"``; global
        protection only.
    protection : {"local", "global"}, default="local"
        Local recoding of quasi-identifiers and connections together
        (:class:`~personatwin_sklearn.NeighborhoodKAnonymizer`), or the earlier global
        steps (:class:`~personatwin_sklearn.KAnonymizer`, then synthetic connections and
        a global coarsening).
    partner_weight : float, default=0.0
        Local protection: weight of the partners' occupation groups in the partition.

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
    >>> [name for name, _ in make_persona_pipeline(privacy_level="high").steps]
    ['generalize']
    >>> pipeline = make_persona_pipeline(privacy_level="high", protection="global")
    >>> [name for name, _ in pipeline.steps]
    ['generalize', 'connections']
    >>> pipeline.get_params()["generalize__privacy_level"], pipeline.get_params()["generalize__k"]
    ('high', None)
    """
    _check_choice("privacy_level", privacy_level, PRIVACY_LEVELS)
    _check_pattern_k(connection_pattern_k)
    _check_choice("connection_scope", connection_scope, _CONNECTION_SCOPES)
    _check_choice("protection", protection, _PROTECTIONS)
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
    signature = [pattern_signature] if isinstance(pattern_signature, str) else pattern_signature
    signature = None if signature is None else list(signature)
    if protection == "local" and protect_connection_patterns:
        from personatwin_sklearn.generalize import NeighborhoodKAnonymizer

        step = NeighborhoodKAnonymizer(
            privacy_level=privacy_level, quasi_identifiers=qis, signature=signature,
            shape_weight=_SHAPE_WEIGHT, partner_weight=partner_weight,
        )  # fmt: skip
        return Pipeline([*steps, ("generalize", step)])
    # only the level: a grid over generalize__privacy_level then changes the k in force
    steps.append(("generalize", KAnonymizer(privacy_level=privacy_level, quasi_identifiers=qis)))
    if protect_connection_patterns:
        steps += _connection_steps(
            connection_pattern_k, connection_scope, signature, age_bin, connection_coarsen,
            random_state,
        )  # fmt: skip
    return Pipeline(steps)


def _check_pattern_k(connection_pattern_k) -> None:
    """A number of people or None: 2.5 is refused, not cut to 2."""
    if connection_pattern_k is None:
        return
    _check_positive("connection_pattern_k", connection_pattern_k)
    if isinstance(connection_pattern_k, (bool, np.bool_)) or not isinstance(
        connection_pattern_k, (int, np.integer)
    ):
        raise InvalidValueError(
            f"connection_pattern_k must be a whole number of people, got "
            f"{connection_pattern_k!r}; give an int, e.g. connection_pattern_k="
            f"{max(int(np.ceil(connection_pattern_k)), 1)}."
        )


def _connection_steps(pattern_k, scope_name, signature, age_bin, coarsen, random_state):
    """The global protection's SyntheticConnectionGenerator step(s), one per scope."""
    from personatwin_sklearn.connections import SyntheticConnectionGenerator

    steps = []
    for i, scope in enumerate(_CONNECTION_SCOPES[scope_name]):
        name = "connections" if i == 0 else f"connections_{scope}"
        generator = SyntheticConnectionGenerator(
            target_k=10 if pattern_k is None else int(pattern_k),
            scope=scope,
            signature=signature,
            age_bin=age_bin,
            coarsen=coarsen,
            on_infeasible="ignore",  # reported in metadata["connection_protection"]
            random_state=random_state,
        )
        steps.append((name, generator))
    return steps


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
                f"quasi-identifier class-size risk (1 / rows with identical published "
                f"values; k={m['k']}): average "
                f"{r0.population_average_risk:.1%} -> {r1.population_average_risk:.1%}, "
                f"max {r0.max_risk:.1%} -> {r1.max_risk:.1%}{loss_text}",
                pattern_line,
                *_utility_lines(m.get("utility")),
                *auc_line,
            ]
        )


def _utility_lines(utility) -> list[str]:
    """What the release keeps, next to the risk (:func:`~personatwin_sklearn.metrics.
    release_utility`; generalised values read as the spread over what they stand for)."""
    if not utility:
        return []

    def pct(key):
        value = utility.get(key)
        return "-" if value is None else f"{value:.0%}"

    def num(key):
        value = utility.get(key)
        return "-" if value is None else f"{value:.3f}"

    return [
        f"utility kept: exact connection types {pct('exact_type_share')}, occupations "
        f"exact {pct('occupation_exact_share')} / at group or finer "
        f"{pct('occupation_major_or_finer_share')}, quasi-identifier NCP {num('ncp_mean')}",
        f"utility errors (TVD, 0 = same answers as the real data): connection patterns "
        f"{num('pattern_histogram_tvd')}, per-type degrees {num('type_degree_tvd')}, "
        f"spouse age gaps {num('spouse_age_gap_tvd')}, marginals {num('marginal_tvd_mean')}"
        f"; ML AUC trained on the release {num('ml_auc_release')} (real "
        f"{num('ml_auc_real')})",
    ]


def _protection_line(protection, detector) -> str:
    """Connection protection in one line: k, who is left short, coarsening, detector."""
    if not protection:
        return "connection patterns: not protected (protect_connection_patterns=False)"
    if protection.get("method") == "local":
        shares = ", ".join(f"{c} {v:.0%}" for c, v in protection["generalized"].items() if v > 0)
        return (
            f"local recoding: {protection['groups']:,} groups of >= {protection['target_k']} "
            f"people; values generalised (share of people / connections): {shares or 'none'}"
        )
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
        from personatwin_sklearn.attacks._detector import auc_direction

        text += (
            f"\nsynthetic connections told apart from real ones: detector AUC "
            f"{auc_direction(detector['auc'])} cross-fitted on the release's own flags, "
            f"{auc_direction(detector.get('shadow_auc'))} trained on a shadow release "
            f"(0.50: not at all); found at 1% false positives "
            f"{detector['tpr_at_1pct_fpr']:.0%}"
        )
    return text


def _headline_lines(h: dict, protected_scopes: dict) -> list[str]:
    """The headline risk, each adversary's success, and which of them are protected."""
    from personatwin_sklearn.attacks._headline import (
        format_certain,
        format_headline,
        format_scopes,
    )

    protected = [s for s, text in protected_scopes.items() if str(text).startswith("prot")]
    open_ = [s for s in h["scopes"] if s not in protected]
    sample = (
        f" (a random sample of {h['n_targets']:,} of the {h['n_real']:,} real people)"
        if h.get("sampled")
        else ""
    )
    skipped = h.get("skipped") or {}
    certain = format_certain(h)
    return [
        f"headline risk (per real person the strongest adversary: each scope, with and "
        f"without the detector strip, uniform, ranking or minimality; strongest "
        f"{h.get('strongest_adversary', h['strongest_scope'])}): "
        f"{format_headline(h)}{sample}",
        *([f"  {certain}"] if certain else []),
        f"  by scope (average, worst adversary per person): {format_scopes(h)}",
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
    target_risk="auto",
    augment_with_synthetic=False,
    synthetic_source="census",
    synthetic_ratio=2.0,
    synthetic_strategy="match_distribution",
    protect_connection_patterns=True,
    connection_pattern_k=None,
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
    protection="local",
    max_certain=0.01,
) -> ProcessingResult:
    """Make a shareable release of people and their connections in one call.

    Runs :func:`make_persona_pipeline` (augmentation, network template, k-anonymous
    generalisation, connection-pattern protection) and measures the risk of the release.

    The figure to read is ``metadata["headline"]`` (:func:`~personatwin_sklearn.attacks.
    headline_risk`): per real person, the worst success of the linkage adversaries who
    know the quasi-identifiers, a connection pattern, the whole neighbourhood, or both;
    averaged and maximised over real people, before and after.  ``target_risk`` bounds
    that figure's average: the protection searches (:func:`~personatwin_sklearn.optimize.
    search_release`) for the most useful release whose headline average is at most
    ``target_risk`` and where at most ``max_certain`` of the real people have a single
    consistent candidate.  Every point tried, with its risk and utility, is in
    ``metadata["frontier"]``; the report plots it.  If no point meets the bounds, a
    :class:`PrivacyWarning` says what was reached and ``metadata["target_risk_met"]``
    is False.

    Parameters
    ----------
    data : SocialData or DataFrame
        People (and connections); a DataFrame is people only.
    privacy_level : {"low", "medium", "high"}, default="medium"
        The headline target when ``target_risk="auto"``: 20%, 10% or 5%
        (:data:`PRIVACY_TARGETS`).
    domain : str, default="custom"
        Used when ``data`` is a DataFrame.
    target_risk : float in (0, 1], "auto" or None, default="auto"
        Bound on the headline average (``"auto"``: the privacy level's target); None:
        no search, the privacy level's k.
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
        What the global connection protection may publish coarser instead of adding
        connections; see :func:`make_persona_pipeline`.  What it did is in
        ``metadata["connection_protection"]["coarsened"]`` and the summary.
    protection : {"local", "global"}, default="local"
        Local recoding of quasi-identifiers and connections (the default), or the
        earlier global steps; see :func:`make_persona_pipeline`.
    max_certain : float in [0, 1], default=0.01
        Largest share of real people allowed a single consistent candidate.

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
    >>> result = create_safe_personas(data, privacy_level="high", random_state=0)
    >>> result.metadata["headline"]["after"]["average"] <= 0.05
    True
    """
    data, roles, qis = _prepare_input(
        data, domain, age_range, quasi_identifiers, keep, drop, allow_identifiers
    )
    _check_choice("privacy_level", privacy_level, PRIVACY_LEVELS)
    _check_choice("protection", protection, _PROTECTIONS)
    target = _resolve_target(target_risk, privacy_level, protection)
    from personatwin_sklearn._base import check_k_feasible

    n_real = int((~data.is_synthetic).sum())
    if n_real < 2:
        raise InvalidValueError(
            f"the data has only {n_real} real people: a release needs at least 2 (nobody "
            "can hide among fewer). Add people."
        )
    if connection_pattern_k is not None:
        check_k_feasible(connection_pattern_k, n_real, "connection_pattern_k")
    _check_protection_options(protection, connection_scope, connection_coarsen)
    if not (isinstance(max_certain, (int, float)) and 0 <= max_certain <= 1):
        raise InvalidValueError(f"max_certain must lie in [0, 1], got {max_certain!r}.")
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
        protection=protection,
    )
    pipeline = make_persona_pipeline(**params, quasi_identifiers=qis)
    if pattern_signature is not None:
        from personatwin_sklearn.patterns._core import resolve_signature

        resolve_signature(data, pattern_signature)  # a named column must exist
    search = _search_local if _is_local(pipeline) else _search_global
    release, fitted, frontier, measured = search(
        data, pipeline, qis, target, max_certain, privacy_level, progress, seed,
        floor=connection_pattern_k,
    )  # fmt: skip
    metadata = _release_metadata(
        data, release, fitted, frontier, qis, roles, params, random_state, seed, measured
    )
    return ProcessingResult(
        personas=release.people,
        connections=release.connections,
        data=release,
        risk_metrics=reidentification_risk(release, qis, include_connections=True),
        risk_before=reidentification_risk(data, qis, include_connections=True),
        metadata=metadata,
        network_metadata=_network_metadata(data, release, fitted),
        pipeline=fitted,
    )


def _prepare_input(data, domain, age_range, quasi_identifiers, keep, drop, allow_identifiers):
    """The input as a SocialData with its dropped columns gone, its roles and its QIs."""
    data = _as_social_data(data, domain, age_range)
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
    return data, roles, resolve_quasi_identifiers(data._people, list(roles.quasi_identifiers))


def _check_protection_options(protection, connection_scope, connection_coarsen):
    """Options of the global protection only: refused with the local one, with the fix."""
    from personatwin_sklearn.connections._coarsen import check_coarsen

    check_coarsen(connection_coarsen)  # a bad value is named first, whatever the protection
    if protection != "local":
        return
    given = {
        "connection_scope": (connection_scope, "edge"),
        "connection_coarsen": (connection_coarsen, "auto"),
    }
    for name, (value, default) in given.items():
        if value != default:
            raise InvalidValueError(
                f"{name}={value!r} is an option of the global protection (synthetic "
                f"connections and a global coarsening); the local protection generalises "
                f"only where needed and takes none. Pass protection='global' with it, or "
                f"leave {name} out."
            )


def _resolve_target(target_risk, privacy_level, protection="local"):
    """The target: a share, the privacy level's (``"auto"``) or None.  Local protection:
    the headline average; global: the quasi-identifier risk (``"auto"``: 5%)."""
    if isinstance(target_risk, str) and target_risk == "auto":
        return PRIVACY_TARGETS[privacy_level] if protection == "local" else 0.05
    if target_risk is not None and not (
        isinstance(target_risk, (int, float)) and not isinstance(target_risk, bool)
        and 0 < target_risk <= 1
    ):  # fmt: skip
        raise InvalidValueError(
            f"target_risk must lie in (0, 1], be 'auto' or None, got {target_risk!r}."
        )
    return target_risk


def _is_local(pipeline) -> bool:
    from personatwin_sklearn.generalize import NeighborhoodKAnonymizer

    return isinstance(pipeline.named_steps["generalize"], NeighborhoodKAnonymizer)


def _knowledge(data, pipeline):
    """What the adversary knows of each partner: the signature and the age bucket."""
    from personatwin_sklearn.patterns._core import resolve_signature

    step = pipeline.named_steps["generalize"]
    sig = resolve_signature(data, getattr(step, "signature", None))
    age_bin = 5
    if "connections" in pipeline.named_steps:
        sig = resolve_signature(data, pipeline.named_steps["connections"].signature)
        age_bin = pipeline.named_steps["connections"].age_bin
    return list(sig), age_bin


def _measure(data, release, fitted, qis, signature, age_bin, seed, before=None, shadow=True,
             cross=None):  # fmt: skip
    """The release's headline (every adversary, with this release's detectors) and the
    detectors' figures: what the result reports, and what the search's check uses.
    ``shadow=False``: without the shadow detector (its releases are the most costly
    part), a lower bound of the headline, and no detector figures (None).  ``cross``:
    the release's cross-fitted detector (:func:`_cross_fitted_of`), when already made.
    Also each attacked real person's worst success (a DataFrame, never published)."""
    from personatwin_sklearn.attacks import strongest_headline

    if shadow:
        detector, scores = _detector_strip(data, release, fitted, seed, cross=cross)
    else:
        detector = None
        scores = {}
        if _detectors_run(release):
            cross = cross or _cross_fitted_of(release, seed)
            scores["cross-fitted"] = cross[-1][0]
    headline, per_person = strongest_headline(
        data, release, quasi_identifiers=qis, signature=list(signature), age_bin=age_bin,
        scores=scores, before=before, random_state=0, return_per_person=True,
    )  # fmt: skip
    return headline, detector, per_person


def _risk_of(data, qis, pipeline, *, full, n_targets=_SEARCH_TARGETS):
    """``release -> risk`` for the search: quick (uniform linkage, each scope) or full
    (the release's headline: every adversary), on a seeded sample of real people."""
    from personatwin_sklearn.optimize import worst_case_risk

    sig, age_bin = _knowledge(data, pipeline)
    first = {}

    def evaluate(release):
        risk = worst_case_risk(
            data, release, quasi_identifiers=qis, signature=sig, age_bin=age_bin,
            n_targets=n_targets, before=first.get("headline"), full=full,
        )  # fmt: skip
        if "headline" in risk:
            first.setdefault("headline", risk["headline"])
        return risk

    return evaluate


#: Utility figures the search maximises (their mean, errors as 1 - error) and records.
SEARCH_UTILITY = (
    "same_attribute_share_error_mean",
    "exact_type_share",
    "occupation_major_or_finer_share",
    "ncp_mean",
    "marginal_tvd_mean",
    "pattern_histogram_tvd",
    "type_degree_tvd",
    "spouse_age_gap_tvd",
)


#: What an analyst needs of a release (issue 20's targets for the sample population):
#: the search's utility is the mean of :data:`SEARCH_UTILITY` less each miss of these
#: (:func:`~personatwin_sklearn.metrics.utility_score`), so a point that buys a higher
#: mean by giving up one of them ranks below one that keeps them all.
SEARCH_UTILITY_TARGETS = {
    "exact_type_share": 0.90,
    "occupation_major_or_finer_share": 0.80,
    "pattern_histogram_tvd": 0.40,
    "type_degree_tvd": 0.03,
    "spouse_age_gap_tvd": 0.50,
}


def _utility_of(data, qis):
    """``release -> utility figures`` of the search (no ML or communities: per point)."""
    from personatwin_sklearn.metrics import release_utility, utility_score

    def evaluate(release):
        figures = release_utility(data, release, random_state=0, communities=False, ml=False)
        out = {name: figures.figures.get(name, float("nan")) for name in SEARCH_UTILITY}
        out["utility"] = utility_score(figures.figures, SEARCH_UTILITY, SEARCH_UTILITY_TARGETS)
        return out

    return evaluate


def _search(
    data, pipeline, qis, target, max_certain, families, set_point, progress, seed,
    risk=None, repair=None,
):  # fmt: skip
    """Run :func:`~personatwin_sklearn.optimize.search_release` over ``families``.

    Returns the chosen release, its fitted pipeline, the frontier and, when the search
    checked it with the full measure, ``(headline, detector)`` of the chosen release.
    """
    from sklearn.base import clone

    from personatwin_sklearn.attacks._linkage import _forget, _shared_patterns
    from personatwin_sklearn.generalize._neighborhood import shared_partitions
    from personatwin_sklearn.metrics._release_utility import shared_readings
    from personatwin_sklearn.optimize import search_release

    # per release (weak keys: the search drops releases it no longer needs, and an id
    # may be reused by a later release)
    fitted, measured, first = WeakKeyDictionary(), WeakKeyDictionary(), {}
    crossed = WeakKeyDictionary()  # a release's cross-fitted detector, from stage 1 to 2
    sig, age_bin = _knowledge(data, pipeline)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        # best first: how many points it makes is not known in advance
        bar = tqdm(desc="searching releases", unit="point")

    def make(point):
        candidate = clone(set_point(Pipeline(pipeline.steps), point))
        release = candidate.fit_transform(data)
        fitted[release] = candidate
        return release

    def finish(release, point):
        # widen the partners of those an attack still singles out (values only widen:
        # the unrepaired release's utility bounds the repaired one's)
        exposed, n_candidates = repair(release)
        if not len(exposed):
            return release
        _forget(release)  # rebuilt: its attack tables are not needed again
        candidate = clone(fitted.pop(release)).set_params(generalize__cover_ids=exposed)
        release = candidate.fit_transform(data)
        # a second round: those still named with certainty get a twin in their group
        # (values only widen, so candidates only grow: only those alone before can be)
        single = exposed[n_candidates <= 1]
        if "slot_hubs" in candidate.named_steps["generalize"].cover_widen and len(single):
            alone, _ = repair(release, most=1, among=single)
            if len(alone):
                _forget(release)
                candidate = clone(candidate).set_params(generalize__twin_ids=alone)
                release = candidate.fit_transform(data)
        fitted[release] = candidate
        return release

    def mend(release, point, risk, attempt):
        # a point that fails narrowly: twins for those its failed measure names most
        # often (values only widen); only when that measure attacked everyone (twins
        # for a sample would flatter the risk measured on that same sample)
        per_person = risk.get("per_person")
        if (
            per_person is None or risk.get("sampled") or attempt >= len(_MEND_LEVELS)
            or risk["average"] > target * _MEND_WITHIN or risk["certain_share"] > max_certain
        ):  # fmt: skip
            return None
        candidate = fitted[release]
        step = candidate.named_steps["generalize"]
        if step.hub_degree is None or "occupation" not in data._people.columns:
            return None  # twins suppress partners' occupations: none to suppress
        high = per_person["success_probability"].to_numpy() >= _MEND_LEVELS[attempt] - 1e-12
        before = np.asarray([] if step.twin_ids is None else step.twin_ids, dtype=object)
        twins = np.union1d(before, np.asarray(per_person["target_id"].to_numpy()[high], object))
        if len(twins) == len(before):
            return None
        candidate = clone(candidate).set_params(generalize__twin_ids=twins)
        mended = candidate.fit_transform(data)
        if mended.people.equals(release.people):
            return None
        fitted[mended] = candidate
        return mended

    quick = risk or _risk_of(data, qis, pipeline, full=False)

    def evaluate_risk(release):
        # an unrepaired release reuses the repair's attack tables; then they are dropped
        try:
            return quick(release)
        finally:
            _forget(release)

    def figures(headline, per_person):
        after = headline["after"]
        return {"average": after["average"], "maximum": after["maximum"],
                "certain_share": after.get("certain", 0.0), "per_person": per_person,
                "sampled": bool(headline.get("sampled", False))}  # fmt: skip

    def without_shadow(release):
        # every adversary but the shadow detector's (a lower bound of the full measure,
        # which is not run when this already fails: the shadow releases and their
        # detector are its most costly part); with no detector to train it is the full
        # measure.  The cross-fitted detector is kept for the full measure.
        if not _detectors_run(release):
            return verify(release)
        crossed[release] = _cross_fitted_of(release, seed)
        headline, _, per_person = _measure(
            data, release, fitted[release], qis, sig, age_bin, seed,
            before=first.get("headline"), shadow=False, cross=crossed[release],
        )  # fmt: skip
        first.setdefault("headline", headline)
        return figures(headline, per_person)

    def verify(release):
        if release not in measured:
            measured[release] = _measure(
                data, release, fitted[release], qis, sig, age_bin, seed,
                before=first.get("headline"), cross=crossed.pop(release, None),
            )  # fmt: skip
            first.setdefault("headline", measured[release][0])
        return figures(measured[release][0], measured[release][2])

    def tick(row):
        if bar is not None:
            bar.update(1)
            bar.set_postfix(k=row.get("k"), utility=f"{row['utility']:.3f}")

    # one table of the original's patterns for every attack of the search
    with _shared_patterns(), shared_partitions(), shared_readings():
        release, point, frontier = search_release(
            families, make, evaluate_risk, _utility_of(data, qis),
            target_risk=1.0 if target is None else target,
            # no target (None): no constraint, so nothing to warn about
            max_certain=1.0 if target is None else max_certain,
            verify=None if risk is not None else (without_shadow, verify), progress=tick,
            on_skip=_forget,
            finish_release=None if repair is None else finish,
            mend_release=None if repair is None or target is None else mend,
        )  # fmt: skip
    if bar is not None:
        bar.close()
    return release, fitted[release], frontier, measured.get(release)


def _search_local(
    data, pipeline, qis, target, max_certain, privacy_level, progress, seed, floor=None
):
    """The local protection's search: group size x partner weight (create_safe_personas
    has refused fewer than 2 real people)."""
    floor = floor or 1  # connection_pattern_k: the smallest group the search may choose
    ks = [k for k in _LOCAL_K if floor <= k <= len(data)] or [min(floor, len(data))]
    if target is None:  # no search: the privacy level's k
        ks = [min(PRIVACY_LEVELS[privacy_level], len(data))]
    local = _LOCAL_FAMILIES
    if "occupation" not in _knowledge(data, pipeline)[0] or data.n_connections == 0:
        local = [f for f in local if f.get("occupation_level") != "acs"]  # no effect
    families = [[{"k": k, **family} for k in ks] for family in local]
    if data.n_connections == 0:  # the families differ only in how they read connections
        families = families[:1]

    from personatwin_sklearn.generalize import NeighborhoodKAnonymizer

    defaults = NeighborhoodKAnonymizer().get_params()
    names = sorted({"k"}.union(*_LOCAL_FAMILIES))

    def set_point(candidate, point):
        # every parameter any family sets: the point's value, else the step's default
        # (the step is shared with the base pipeline: nothing may carry over)
        params = {f"generalize__{name}": point.get(name, defaults[name]) for name in names}
        return candidate.set_params(generalize__privacy_level=None, **params)

    return _search(
        data, pipeline, qis, target, max_certain, families, set_point, progress, seed,
        repair=_exposed_of(data, qis, pipeline),
    )  # fmt: skip


#: The repair attacks every real person up to this many (a person it does not attack
#: is not repaired: with a sample of 2,000 at 10,000 people, 0.8% stayed certain; with
#: everyone, 0.2%).  The combined linkage's work per target grows with the people
#: (a known pattern's released holders), so beyond this a sample of
#: :data:`_SEARCH_TARGETS` keeps the search's time in bounds.
_REPAIR_ALL = 100_000
#: ... and only while nobody has more connections than this: a person with 50,000
#: connections makes 50,000 targets share a known pattern that 50,000 released people
#: hold, and attacking all of them cost 252 s and 3.98 GB on 60,001 people, still 246 s
#: and 3.58 GB when the repair's count stops at three candidates (the sample: 104-107 s,
#: 1.1 GB; ``benchmarks/bench_scale.py``, case ``hub``).
_REPAIR_ALL_MAX_DEGREE = 1_000
#: Seed of the repair's sample of real people (above :data:`_REPAIR_ALL`): not the one
#: the search's quick risk and the headline draw (0), so the people the repair widens
#: for are not the ones its risk is measured on (that measure would miss the unsampled
#: people it left exposed).
_REPAIR_SAMPLE_SEED = 1


def _exposed_of(data, qis, pipeline, n_targets=_SEARCH_TARGETS, attack_all=_REPAIR_ALL,
                max_degree=_REPAIR_ALL_MAX_DEGREE):  # fmt: skip
    """``release, most=2, among=None -> (ids, n_candidates)`` of the real people the
    combined linkage narrows to ``most`` candidates or fewer, sorted by id, and their
    numbers of candidates (the repair's targets: every real person up to
    ``attack_all`` of them when nobody has more than ``max_degree`` connections, else a
    seeded sample of ``n_targets`` drawn apart from the risk's; ``among``: those people
    only)."""
    from personatwin_sklearn.attacks import linkage_attack

    if data.n_connections == 0:
        return None
    sig, age_bin = _knowledge(data, pipeline)
    n_real = int((~data.is_synthetic).sum())
    everyone = n_real <= attack_all and int(np.max(data.degree(), initial=0)) <= max_degree
    sample = None if everyone or n_real <= n_targets else n_targets

    def exposed(release, most=2, among=None):
        # the combined candidates are a subset of the neighbourhood ones: one scope;
        # counted up to ``most`` only (larger sets are not listed in full)
        table = linkage_attack(
            data, release, quasi_identifiers=qis, scope="combined", signature=list(sig),
            age_bin=age_bin, n_targets=None if among is not None else sample,
            random_state=_REPAIR_SAMPLE_SEED, target_ids=among, count_up_to=most,
        ).per_target  # fmt: skip
        n = table["n_candidates"].to_numpy()
        sel = table["target_in_candidates"].to_numpy(bool) & (n <= most)
        ids = table["target_id"].to_numpy()[sel]
        order = np.argsort(ids, kind="stable")  # one row per target: the ids are distinct
        return ids[order], n[sel][order]

    return exposed


def _search_global(
    data, pipeline, qis, target, max_certain, privacy_level, progress, seed, floor=None
):
    """The global protection's search: the quasi-identifier k ladder."""
    n_real = int((~data.is_synthetic).sum())
    k0 = PRIVACY_LEVELS[privacy_level]
    ladder = [k0] if target is None else [k0] + [k for k in _K_LADDER if k > k0]
    ladder = [k for k in ladder if k <= n_real]
    if not ladder:
        raise InvalidValueError(
            f"privacy_level={privacy_level!r} needs k={k0} but the data has only {n_real} "
            "real people. Use a lower privacy level or more data."
        )

    def set_point(candidate, point):
        return candidate.set_params(generalize__privacy_level=None, generalize__k=point["k"])

    def qi_risk(release):  # the global path's target: the quasi-identifier risk
        risk = reidentification_risk(release, qis)
        return {"average": risk.population_average_risk, "maximum": risk.max_risk,
                "certain_share": 0.0}  # fmt: skip

    families = [[{"k": k} for k in ladder]]
    return _search(
        data, pipeline, qis, target, 1.0, families, set_point, progress, seed, risk=qi_risk
    )


def _network_metadata(data, release, fitted) -> dict:
    out = {
        "template_source": None,
        "average_degree_before": 2 * data.n_connections / max(len(data), 1),
        "average_degree_after": 2 * release.n_connections / max(len(release), 1),
    }
    if "network" in fitted.named_steps:
        template = fitted.named_steps["network"].template
        out["template_source"] = getattr(template, "source", None)
    return out


def _release_metadata(
    data, release, fitted, frontier, qis, roles, params, random_state, seed, measured=None
):
    """What the result records: risk before/after, protection, utility, the frontier."""
    chosen = frontier.chosen
    k = int(chosen["k"])
    target = frontier.target_risk
    met = bool(chosen["meets"])
    if not met:
        warnings.warn(
            f"target_risk={target:.1%} was not reached: the chosen release has a headline "
            f"average of {chosen['risk_average']:.1%} with {chosen['certain_share']:.1%} of "
            f"real people certain (tried {len(frontier.points)} points). Add synthetic "
            "personas (augment_with_synthetic=True), raise target_risk, or accept it.",
            PrivacyWarning,
            stacklevel=3,
        )
    age_bin = params["age_bin"]
    # every adversary: strips or not, rankers, each scope; per real person the worst
    if measured is None:
        sig, _ = _knowledge(data, fitted)
        measured = _measure(data, release, fitted, qis, sig, age_bin, seed)
    headline, detector, _ = measured
    n_syn = int(release.n_synthetic)
    augmented = int(getattr(fitted.named_steps.get("augment"), "n_synthetic_", 0))
    protection = _protection_summary(fitted, release)
    local = params["protection"] == "local" and _is_local(fitted)
    scopes_done = _protected_scopes(
        data, params["protect_connection_patterns"], params["connection_scope"], k,
        params["connection_pattern_k"] or 10, local=local, frontier=frontier,
    )  # fmt: skip
    if protection and protection.get("real_people_below_k") and "edge" in scopes_done:
        if str(scopes_done["edge"]).startswith("protected"):
            scopes_done["edge"] = (
                f"protected: edge patterns shared by >= {params['connection_pattern_k'] or 10} "
                f"people (as the adversary counts), except "
                f"{protection['real_people_below_k']:,} real people the budget and "
                "plausibility left short (at_risk_)"
            )
    from personatwin_sklearn.metrics import release_utility

    utility = release_utility(
        data, release, signature=params["pattern_signature"], age_bin=age_bin,
        random_state=seed,
    ).to_dict()["figures"]  # fmt: skip
    return {
        "connection_protection": protection,
        "detector": detector,
        "headline": headline,
        "protected_scopes": scopes_done,
        "k_reason": _k_reason(frontier, params, met),
        "information_loss": _information_loss(fitted, data, release, qis),
        "information_loss_per_column": _information_loss(
            fitted, data, release, qis, per_column=True
        ),
        "utility": utility,
        "frontier": frontier.to_dict(),
        "synthetic_share": _synthetic_share(release),
        "n_real": int((~data.is_synthetic).sum()),
        "synthetic_count": n_syn,
        "augmented_count": augmented,
        "connection_personas": n_syn - augmented - int(data.n_synthetic),
        "distinguishability_auc": _distinguishability(release, seed),
        "synthetic_connections": int(release.n_synthetic_connections),
        "k": k,
        "quasi_identifiers": qis,
        "protection": params["protection"],
        "connection_scope": params["connection_scope"],
        "pattern_signature": headline["signature"],
        "age_bin": age_bin,
        "target_risk": frontier.target_risk,
        "max_certain": frontier.max_certain,
        "target_risk_met": met,
        "attempts": frontier.points.replace({np.nan: None}).to_dict(orient="records"),
        "epsilon_spent": _epsilon_spent(fitted),
        "column_roles": roles.to_dict(),
        # the value to pass back as random_state to get the same protected content
        "parameters": {**params, "random_state": random_state},
    }


def _distinguishability(release, seed):
    """Can synthetic people be told apart (None with fewer than 10 of either)?"""
    n_syn = int(release.n_synthetic)
    if n_syn < 10 or len(release) - n_syn < 10:
        return None
    from personatwin_sklearn.metrics import distinguishability_auc

    return distinguishability_auc(release, cv=3, max_rows=_DISTINGUISH_ROWS, random_state=seed)


def _protection_summary(fitted, release) -> dict | None:
    """What the connection step added, coarsened and left short (for metadata)."""
    gen = fitted.named_steps.get("connections")
    step = fitted.named_steps.get("generalize")
    if gen is None and hasattr(step, "generalized_"):
        return {
            "method": "local",
            "target_k": int(step.k_),
            "groups": int(step.n_groups_),
            "generalized": dict(step.generalized_),
            "connections_added": 0,
            "people_added": 0,
            "real_people_below_k": 0,
            "patterns_below_k": 0,
            "protection_share": 0.0,
            "coarsened": {},
            "coarsened_text": "",
        }
    if gen is None:
        return None
    from personatwin_sklearn.connections._coarsen import describe

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


#: Folds of the release's cross-fitted detector.
_DETECTOR_CV = 3


def _detectors_run(release) -> bool:
    """Does the release have enough synthetic and real connections to train a detector?"""
    flags = release._connections["is_synthetic"].to_numpy(bool)
    return min(int(flags.sum()), int((~flags).sum())) >= _MIN_DETECTOR_EDGES


def _cross_fitted_of(release, seed):
    """The release's cross-fitted detector: the first part of its detector suite."""
    from personatwin_sklearn.attacks._detector import _cross_fitted

    return _cross_fitted(release, _DETECTOR_CV, seed)


def _detector_strip(data, release, fitted, seed, cross=None):
    """The detectors of the final release: ``(metadata, {name: connection scores})``.

    - cross-fitted on the release's own flags (no real adversary has them: the
      generous upper bound);
    - shadow: the same fitted settings run on other populations (seeded halves of
      the input's people, connected people kept together, with their connections), a
      detector trained on those releases' flags only, then applied to this release
      (what a real adversary can do).
    """
    from personatwin_sklearn.attacks._detector import _suite_from, auc_direction

    if not _detectors_run(release):
        flags = release._connections["is_synthetic"].to_numpy(bool)
        n_syn, n_real = int(flags.sum()), int((~flags).sum())
        reason = (
            f"not run: {n_syn} synthetic and {n_real} real connections (a detector needs "
            f"{_MIN_DETECTOR_EDGES} of each); nothing to strip"
        )
        return {"reason": reason}, {}
    shadow, shadow_reason = _shadow_release(data, fitted, seed)
    suite = _suite_from(
        release, cross or _cross_fitted_of(release, seed), cv=_DETECTOR_CV, shadow=shadow,
        include_edge_attributes=False, importances=False,
    )  # fmt: skip
    scores = {"cross-fitted": suite.scores}
    if suite.shadow_scores is not None:
        scores["shadow"] = suite.shadow_scores
    meta = {
        "auc": float(suite.auc),
        "auc_direction": auc_direction(suite.auc),
        "tpr_at_1pct_fpr": float(suite.tpr_at_1pct_fpr),
        "shadow_auc": None if suite.shadow_auc is None else float(suite.shadow_auc),
        "shadow_auc_direction": None
        if suite.shadow_auc is None
        else auc_direction(suite.shadow_auc),
        "person_auc": suite.person_auc,
        "person_auc_direction": None
        if suite.person_auc is None
        else auc_direction(suite.person_auc),
        "shadow_person_auc": suite.shadow_person_auc,
        "shadow_person_auc_direction": None
        if suite.shadow_person_auc is None
        else auc_direction(suite.shadow_person_auc),
        "shadow": shadow_reason,
        "detector": "cross-fitted on the release's own flags (upper bound) and shadow",
    }
    return meta, scores


def _shadow_release(data, fitted, seed):
    """Releases of other populations made with the same settings: ``(list or None, text)``.

    The input split into two halves that keep connected people together (seeded,
    :func:`~personatwin_sklearn.attacks.shadow_split`: random halves of the people
    would keep one connection in four, and a detector trained on such a thinned graph
    transfers badly), up to 4 such splits below 4,000 people, each half protected with
    the fitted settings: the shadow populations the adversary's detector trains on.
    """
    from sklearn.base import clone

    from personatwin_sklearn.attacks import shadow_split

    halves = shadow_split(data, 2, random_state=seed + 1)
    shadows, reasons = [], []
    for half in halves:
        if len(half) == 0:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                shadow = clone(fitted).fit_transform(data.take(half))
        except (ValueError, RuntimeError, IndexError) as exc:  # too small to protect
            reasons.append(f"not made: {exc}"[:200])
            continue
        flags = shadow._connections["is_synthetic"].to_numpy(bool)
        if min(int(flags.sum()), int((~flags).sum())) < _MIN_DETECTOR_EDGES:
            reasons.append("not made: the shadow release has too few synthetic connections")
            continue
        shadows.append(shadow)
    if not shadows:
        return None, reasons[0] if reasons else "not made"
    return shadows, (
        f"the same settings on {len(shadows)} seeded half(s) of the input (connected "
        f"people kept together; {len(halves) // 2} split(s) of {len(data):,} people)"
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


def _protected_scopes(
    data, protect, connection_scope, k, pattern_k, *, local=False, frontier=None
) -> dict:
    """Adversary scope -> what the release guarantees against it (or why nothing)."""
    out = {"qi": f"protected: every quasi-identifier class has >= {k} people"}
    if data.n_connections == 0:
        reason = "no connections in the input"
        out.update(edge=reason, neighborhood=reason, combined=reason)
        return out
    if local:
        chosen = frontier.chosen
        how = f"groups of >= {k} people are candidates for each other (local recoding)"
        if chosen.get("occupation_level") == "acs":  # partners' occupations not covered
            how = (
                f"groups of >= {k} people (local recoding; partners' occupations at their "
                "own ACS group, hubs' suppressed, so only the measure vouches)"
            )
        text = (
            f"protected: {how}; measured average {chosen['risk_average']:.1%}, "
            f"{chosen['certain_share']:.1%} certain"
        )
        out.update(edge=text, neighborhood=text, combined=text)
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


def _k_reason(frontier, params, met) -> str:
    """Why the release has the k it has, in one sentence."""
    chosen, points = frontier.chosen, frontier.points
    target = frontier.target_risk
    level = params["privacy_level"]
    what = "group size" if params["protection"] == "local" else "quasi-identifier k"
    feasible = int(points["meets"].sum())
    # a point less useful than a feasible one has no risk measured: it could not be chosen
    put_off = int(points["risk_average"].isna().sum())
    skipped = f"; {put_off} less useful than a point that did: not measured" if put_off else ""
    mends = int(chosen.get("mends", 0) or 0)
    n_made = len(points) + int(points["mends"].sum() if "mends" in points else 0)
    mended = f" (mended {mends} time{'s' if mends > 1 else ''}: twins)" if mends else ""
    return (
        f"{what} k={int(chosen['k'])}{mended}: the most useful of {n_made} releases tried "
        f"({feasible} met the bounds{skipped}) for privacy_level={level!r}: headline average "
        f"<= {target:.1%} and <= {frontier.max_certain:.1%} of real people certain; it has "
        f"{chosen['risk_average']:.1%} and {chosen['certain_share']:.1%}"
        + ("" if met else " (bounds NOT met: the safest point tried)")
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
