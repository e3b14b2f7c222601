"""NetworkTemplate: differentially private structure statistics of a graph, with JSON I/O."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from importlib import resources
from pathlib import Path

import numpy as np

from personatwin_sklearn.exceptions import SchemaError

__all__ = ["NetworkTemplate", "load_template", "list_templates"]

_FORMAT_VERSION = 2
#: Versions :meth:`NetworkTemplate.from_dict` reads (1: before ``errors``).
_READABLE_VERSIONS = (1, 2)
_PACKAGE_DIR = "data/templates"


@dataclass(repr=False)
class NetworkTemplate:
    """Structure statistics of a graph, released with differential privacy.

    A template carries no node or edge of its source graph: only noisy aggregate
    counts (see :class:`~personatwin_sklearn.templates.NetworkTemplateExtractor` for
    the mechanisms and their sensitivities).  :class:`TemplateConnector` wires
    connections that follow it.

    Parameters
    ----------
    degree_counts : list of float
        Noisy number of nodes of degree ``0, 1, ..., max_degree`` (the last bin
        counts every node of degree ``>= max_degree``).  Raw mechanism output: it
        may hold negative values; :attr:`degree_distribution` clips and normalises.
    max_degree : int
        Clipping bound ``D`` of the degree histogram.
    n_nodes : float
        Number of nodes: public under edge-DP (neighbouring graphs share their node
        set), the sum of the noisy histogram under node-DP.
    n_edges : float
        Noisy number of edges (clipped at 0).
    average_clustering : float
        Noisy average local clustering coefficient, clipped to ``[0, 1]``.
    community_size_bins : list of int
        Lower edges of the community-size buckets ``[b_i, b_{i+1})``.
    community_size_distribution : list of float
        Noisy fraction of nodes whose community falls in each bucket (clipped and
        renormalised).
    connection_types : dict or None
        Noisy share of each connection type, or ``None`` when not released.
    epsilon : float
        Total privacy budget spent on the template.
    epsilon_split : dict
        Budget spent on each statistic.
    sensitivity : dict
        L1 sensitivity used for each statistic.
    privacy : {"edge", "node"}
        Neighbouring relation of the guarantee.
    name, source : str
        Short name and a description of the source graph.
    seed : int or None
        Random seed of the noise (stated for the templates shipped with the package).
    notes : str
        Free text (e.g. how ``max_degree`` was chosen).
    degree_method : str
        Mechanism of the degree distribution (``"cumulative"``, ``"sorted"`` or
        ``"histogram"``; see :class:`NetworkTemplateExtractor`).
    errors : dict
        For each released statistic: its mechanism, epsilon, sensitivity, noise
        ``scale`` (standard deviation of the noise, in the statistic's units) and a
        95% interval ``ci95`` (or a simultaneous band for the degree distribution:
        ``ks95`` bounds the KS distance to the true distribution).  Intervals are
        computed from released values only (post-processing).

    See Also
    --------
    NetworkTemplateExtractor : Releases one from a graph.
    TemplateConnector : Wires connections that follow one.

    Examples
    --------
    >>> from personatwin_sklearn.templates import load_template
    >>> template = load_template("karate_club")
    >>> template.privacy, template.max_degree
    ('edge', 17)
    >>> round(float(template.degree_distribution.sum()), 6)
    1.0
    """

    degree_counts: list
    max_degree: int
    n_nodes: float
    n_edges: float
    average_clustering: float
    community_size_bins: list = field(default_factory=list)
    community_size_distribution: list = field(default_factory=list)
    connection_types: dict | None = None
    epsilon: float = 0.0
    epsilon_split: dict = field(default_factory=dict)
    sensitivity: dict = field(default_factory=dict)
    privacy: str = "edge"
    name: str = ""
    source: str = ""
    seed: int | None = None
    notes: str = ""
    degree_method: str = "histogram"
    errors: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        """One line: the name, the guarantee and the main statistics (every released
        value is in the fields and ``to_json()``)."""
        name = f"name={self.name!r}, " if self.name else ""
        clustering = (
            "nan" if not np.isfinite(self.average_clustering) else f"{self.average_clustering:.3g}"
        )
        return (
            f"NetworkTemplate({name}privacy={self.privacy!r}, epsilon={self.epsilon:g}, "
            f"n_nodes={self.n_nodes:.4g}, n_edges={self.n_edges:.4g}, "
            f"max_degree={self.max_degree}, average_clustering={clustering}, "
            f"degree_method={self.degree_method!r})"
        )

    # -- derived views (post-processing: no extra privacy cost) ---------------------------
    @property
    def degree_distribution(self) -> np.ndarray:
        """Probability of each degree bin ``0..max_degree``, from the noisy counts.

        Constrained inference (post-processing, no privacy cost; after Hay, Li,
        Miklau & Jensen, ICDM 2009): the cumulative histogram of a graph is
        non-decreasing and lies in ``[0, n_nodes]``, so the cumulative counts are
        projected onto that set by isotonic regression and differenced.  Templates
        released with ``degree_method="cumulative"`` or ``"sorted"`` already hold
        consistent counts (the projection leaves them unchanged); for raw histogram
        counts it removes most of the upward bias that noise in the many empty
        high-degree bins adds, compared with clipping negative bins at 0.  Uniform if
        nothing is left.
        """
        from sklearn.isotonic import IsotonicRegression

        counts = np.asarray(self.degree_counts, dtype=float)
        if len(counts) > 1:
            upper = max(float(self.n_nodes), 1.0)
            bins = np.arange(len(counts))  # predict: an array even under pandas output
            iso = IsotonicRegression(y_min=0.0, y_max=upper).fit(bins, np.cumsum(counts))
            cumulative = iso.predict(bins)
            counts = np.diff(np.concatenate([[0.0], cumulative]))
        counts = np.clip(counts, 0, None)
        total = counts.sum()
        if total <= 0:
            return np.full(len(counts), 1.0 / len(counts))
        return counts / total

    @property
    def average_degree(self) -> float:
        """``2 * n_edges / n_nodes`` (0 for an empty template)."""
        return float(2.0 * self.n_edges / self.n_nodes) if self.n_nodes > 0 else 0.0

    # -- I/O ------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Return the template as a plain-Python dictionary (JSON-serialisable).

        Returns
        -------
        raw : dict
            Field name to value; :meth:`from_dict` reads it back.
        """
        out = asdict(self)
        out["format_version"] = _FORMAT_VERSION
        return out

    def to_json(self, path: str | os.PathLike | None = None, *, indent: int = 1) -> str:
        """Serialise to JSON; also write it to ``path`` when given.

        Parameters
        ----------
        path : str, path-like or None, default=None
            File to write the JSON to.
        indent : int, default=1
            JSON indentation.

        Returns
        -------
        str
            The JSON text.
        """
        text = json.dumps(_jsonable(self.to_dict()), indent=indent, sort_keys=True) + "\n"
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_json(cls, source: str | os.PathLike) -> NetworkTemplate:
        """Read a template from JSON text or from a path to a JSON file.

        Parameters
        ----------
        source : str or path-like
            JSON text (starting with ``{``) or a path.

        Returns
        -------
        template : NetworkTemplate
            The template read.

        Raises
        ------
        SchemaError
            When the text is not JSON or misses a required field.
        """
        text = source
        if isinstance(source, os.PathLike) or (
            isinstance(source, str) and not source.lstrip().startswith("{")
        ):
            path = Path(source)
            if not path.exists():
                raise FileNotFoundError(f"Template file {str(path)!r} does not exist.")
            text = path.read_text(encoding="utf-8")
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SchemaError(f"A NetworkTemplate must be a JSON object: {exc}.") from exc
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls, raw: dict) -> NetworkTemplate:
        """Build from :meth:`to_dict` output (unknown keys are an error).

        Parameters
        ----------
        raw : dict
            Field name to value.

        Returns
        -------
        template : NetworkTemplate
            The template.
        """
        if not isinstance(raw, dict):
            raise SchemaError(
                f"A NetworkTemplate must be a JSON object, got {type(raw).__name__}."
            )
        raw = dict(raw)
        version = raw.pop("format_version", _FORMAT_VERSION)
        if version not in _READABLE_VERSIONS:
            raise SchemaError(
                f"Template format_version {version} is not supported (expected one of "
                f"{list(_READABLE_VERSIONS)})."
            )
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - names)
        if unknown:
            raise SchemaError(
                f"Unknown NetworkTemplate field(s) {unknown}; expected {sorted(names)}."
            )
        required = ("degree_counts", "max_degree", "n_nodes", "n_edges", "average_clustering")
        missing = [name for name in required if name not in raw]
        if missing:
            raise SchemaError(f"NetworkTemplate JSON misses the field(s) {missing}.")
        template = cls(**raw)
        if len(template.degree_counts) != int(template.max_degree) + 1:
            raise SchemaError(
                f"degree_counts has {len(template.degree_counts)} bins; expected max_degree + 1 "
                f"= {int(template.max_degree) + 1}."
            )
        return template


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _template_dir():
    return resources.files("personatwin_sklearn").joinpath(_PACKAGE_DIR)


def list_templates() -> list[str]:
    """List the names of the templates shipped with the package.

    Each was released with differential privacy from one of networkx's built-in
    real graphs; :func:`load_template` loads one.

    Returns
    -------
    names : list of str
        Sorted template names.

    See Also
    --------
    load_template : Load one of them.

    Examples
    --------
    >>> from personatwin_sklearn.templates import list_templates
    >>> list_templates()
    ['davis_southern_women', 'florentine_families', 'karate_club', 'les_miserables']
    """
    return sorted(
        entry.name[: -len(".json")]
        for entry in _template_dir().iterdir()
        if entry.name.endswith(".json")
    )


def load_template(name: str) -> NetworkTemplate:
    """Load a template shipped with the package (see :func:`list_templates`).

    The shipped templates were computed with differential privacy from networkx's
    built-in real graphs (karate club, Les Miserables, Florentine families, Davis
    southern women); each JSON file states its epsilon, seed and source, and
    ``scripts/build_templates.py`` regenerates them.

    Parameters
    ----------
    name : str
        One of :func:`list_templates`.

    Returns
    -------
    template : NetworkTemplate
        The shipped template.

    Raises
    ------
    UnknownTemplateError
        For an unknown name (the message lists the available ones); it is a
        :class:`KeyError` and a :class:`~personatwin_sklearn.exceptions.PersonaTwinError`.

    See Also
    --------
    list_templates : The available names.

    Examples
    --------
    >>> from personatwin_sklearn.templates import load_template
    >>> load_template("karate_club").average_degree > 0
    True
    """
    entry = _template_dir().joinpath(f"{name}.json")
    if not isinstance(name, str) or name not in list_templates():  # a name, never a path
        from personatwin_sklearn.exceptions import UnknownTemplateError

        raise UnknownTemplateError(
            f"No shipped template named {name!r}; available: {list_templates()}. Pass one of "
            "those, a NetworkTemplate, or a path to a template JSON file."
        )
    return NetworkTemplate.from_json(entry.read_text(encoding="utf-8"))
