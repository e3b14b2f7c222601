"""Writing a release: pseudonyms, public/private separation and atomic files.

* Pseudonyms and row order come from the operating system's CSPRNG (:mod:`secrets`),
  never from ``random_state``: nothing published lets anyone re-derive them.  With a
  secret key, a real person's pseudonym is an HMAC-SHA256 of their id (stable across
  releases made with the same key); synthetic people get fresh random tokens.
* The release folder holds only what may be published.  Files that link the release to
  real people (the synthetic flags and the pseudonym -> id map) go to a separate private
  folder (default ``<out>.private/``, mode 0700, files 0600).
* Files are staged next to their destination (same filesystem), fsync'ed and renamed into
  place.  Staging folders carry the writer's process id; those of killed runs are
  removed by the next run.
"""

from __future__ import annotations

import hmac
import json
import math
import os
import re
import secrets
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from personatwin_sklearn.exceptions import ReleaseError

__all__ = [
    "csprng_permutation",
    "neutralise_formulas",
    "pseudonymise",
    "release_destination",
    "write_atomically",
    "json_dumps",
]

PUBLIC_EDGE_COLUMNS = ("person1_id", "person2_id", "connection_type")
EDGE_FLAG_COLUMNS = ("is_synthetic", "strength", "confidence", "context")
_STAGING = ".staging-"
_OLD = ".old-"


# -- randomness -------------------------------------------------------------------------------
def csprng_permutation(n: int) -> np.ndarray:
    """A uniformly random permutation of ``range(n)`` from the OS CSPRNG."""
    if n <= 1:
        return np.arange(n)
    keys = np.frombuffer(secrets.token_bytes(8 * n), dtype=np.uint64)
    return np.argsort(keys, kind="stable")


def _csprng_integers(low: int, high: int, size: int) -> np.ndarray:
    """``size`` integers uniform in ``[low, high]`` (inclusive) from the OS CSPRNG."""
    span = high - low + 1
    raw = np.frombuffer(secrets.token_bytes(8 * size), dtype=np.uint64)
    return (raw % np.uint64(span)).astype(np.int64) + low  # bias < span / 2**64


def _keyed_pseudonyms(ids: pd.Series, key: bytes) -> np.ndarray:
    """HMAC-SHA256(key, id) as 20 hex characters (one HMAC per person)."""
    return np.array(
        [hmac.new(key, str(v).encode("utf-8"), "sha256").hexdigest()[:20] for v in ids],
        dtype=object,
    )


def _random_tokens(n: int, length: int = 20) -> np.ndarray:
    alphabet = np.array(list("0123456789abcdef"))
    picks = np.frombuffer(secrets.token_bytes(n * length), dtype=np.uint8) % 16
    chars = np.ascontiguousarray(alphabet[picks].reshape(n, length))
    return chars.view(f"<U{length}").ravel().astype(object)


# -- --keep-ids: synthetic ids in the format and range of the real ones ----------------------
def _draw_unused(low: int, high: int, taken: set, n: int) -> np.ndarray:
    out: list[int] = []
    seen = set(taken)
    while len(out) < n:
        draw = _csprng_integers(low, high, 2 * (n - len(out)) + 16)
        for value in pd.unique(draw):
            if value not in seen:
                seen.add(value)
                out.append(int(value))
                if len(out) == n:
                    break
    return np.array(out, dtype=np.int64)


def synthetic_ids_like(real: pd.Series, n: int) -> np.ndarray:
    """``n`` ids in the same format and range as ``real``, unused by them, or raise.

    Integer ids (or text ``<prefix><digits>``, zero padding kept) are drawn uniformly from
    the unused values between the smallest and largest real id; fixed-length tokens from
    the characters the real ids use.  Raises :class:`ReleaseError` with the reason when
    the range is too full or the ids have no regular format.
    """
    if n == 0:
        return np.array([], dtype=object)
    hint = (
        " Leave out --keep-ids (keep_ids=False): the release then gets fresh ids, and the "
        "map to yours stays in the private folder."
    )
    values = real.dropna()
    if pd.api.types.is_integer_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return _draw_in_range(values.astype(np.int64), n, hint, lambda v: v)
    text = values.astype(str)
    parts = text.str.extract(r"^(\D*?)(\d+)$")
    if len(text) and parts[1].notna().all() and parts[0].nunique() == 1:
        prefix = parts[0].iloc[0]
        digits = parts[1]
        width = int(digits.str.len().iloc[0])
        padded = digits.str.len().eq(width).all() and digits.str.startswith("0").any()
        numbers = digits.astype(np.int64)

        def fmt(v):
            body = pd.Series(v).astype(str)
            body = body.str.zfill(width) if padded else body
            return (prefix + body).to_numpy(dtype=object)

        return _draw_in_range(numbers, n, hint, fmt)
    lengths = text.str.len()
    if len(text) and lengths.nunique() == 1 and text.str.fullmatch(r"[A-Za-z0-9]+").all():
        length = int(lengths.iloc[0])
        alphabet = sorted(set("".join(text.head(10_000))))
        if len(alphabet) ** length >= 100 * (len(text) + n):
            taken = set(text)
            out: list[str] = []
            chars = np.array(alphabet)
            while len(out) < n:
                m = 2 * (n - len(out)) + 16
                picks = np.frombuffer(secrets.token_bytes(m * length), dtype=np.uint8)
                grid = np.ascontiguousarray(chars[picks % len(chars)].reshape(m, length))
                for token in grid.view(f"<U{length}").ravel():
                    if token not in taken:
                        taken.add(token)
                        out.append(str(token))
                        if len(out) == n:
                            break
            return np.array(out, dtype=object)
    raise ReleaseError(
        f"keep_ids: the {n} synthetic people need ids that look like the real ones, but the "
        f"real ids (e.g. {text.head(3).tolist()}) have no regular format to draw from "
        "(integers, <prefix><digits>, or fixed-length letters/digits); an id of another "
        "format would mark a synthetic person." + hint
    )


def _draw_in_range(numbers: pd.Series, n: int, hint: str, fmt) -> np.ndarray:
    low, high = int(numbers.min()), int(numbers.max())
    free = (high - low + 1) - numbers.nunique()
    if free < n:
        raise ReleaseError(
            f"keep_ids: the real ids fill {low}..{high} with {free} unused value(s), too few "
            f"for the {n} synthetic people; an id outside that range would mark a synthetic "
            "person." + hint
        )
    return fmt(_draw_unused(low, high, set(numbers.tolist()), n))


# -- the public and private tables ------------------------------------------------------------
def pseudonymise(data, public_columns, *, keep_ids=False, secret_key=None):
    """The public people/connections tables and the private flag tables of a release.

    Parameters
    ----------
    data : SocialData
    public_columns : list
        People columns to publish (the id column first).
    keep_ids : bool, default=False
        Publish the real ids; synthetic people get ids drawn like the real ones
        (:func:`synthetic_ids_like`), or :class:`ReleaseError` says why not.
    secret_key : bytes or None, default=None
        Key of the stable pseudonyms (HMAC-SHA256 of the id).  Default: ids ``1..n`` in
        a random order.

    Returns
    -------
    people, connections, people_flags, connection_flags : DataFrame
        Rows in a CSPRNG order; the flag tables are row-aligned with the public ones.
    """
    people, edges, id_col = data.people, data.connections, data.id_col
    original = people[id_col]
    synthetic = people["is_synthetic"].to_numpy(dtype=bool)
    n = len(people)
    if keep_ids:
        release = original.to_numpy(dtype=object).copy()
        if synthetic.any():
            release[synthetic] = synthetic_ids_like(original[~synthetic], int(synthetic.sum()))
        if pd.api.types.is_integer_dtype(original):
            release = release.astype(np.int64)
    elif secret_key is not None:
        release = np.empty(n, dtype=object)
        release[~synthetic] = _keyed_pseudonyms(original[~synthetic], secret_key)
        release[synthetic] = _random_tokens(int(synthetic.sum()))
    else:
        release = csprng_permutation(n) + 1
    mapping = pd.Series(release, index=original.to_numpy())
    order = csprng_permutation(n)
    rows = people.iloc[order].reset_index(drop=True)
    ids = release[order]
    public = rows[list(public_columns)].assign(**{id_col: ids})
    people_flags = pd.DataFrame(
        {
            id_col: ids,
            f"original_{id_col}": rows[id_col].to_numpy(),
            "is_synthetic": rows["is_synthetic"].to_numpy(dtype=bool),
        }
    )
    edge_order = csprng_permutation(len(edges))
    edges = edges.iloc[edge_order].reset_index(drop=True)
    ends = {
        c: mapping.reindex(edges[c].to_numpy()).to_numpy() for c in ("person1_id", "person2_id")
    }
    public_edges = edges[list(PUBLIC_EDGE_COLUMNS)].assign(**ends)
    flags = [c for c in EDGE_FLAG_COLUMNS if c in edges.columns]
    edge_flags = pd.concat(
        [pd.DataFrame(ends), edges[flags]], axis=1
    )  # rows aligned with public_edges
    return public, public_edges, people_flags, edge_flags


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells a spreadsheet would run as a formula get a leading ``'``.

    Cells starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return (OWASP's CSV
    injection list) are prefixed, except plain numbers such as ``-3``.

    Examples
    --------
    >>> import pandas as pd
    >>> neutralise_formulas(pd.DataFrame({"a": ["=HYPERLINK(1)", "-3", "x"]}))["a"].tolist()
    ["'=HYPERLINK(1)", '-3', 'x']
    """
    out = {}
    changed = False
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            is_text = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
            if not is_text.any():
                out[column] = values
                continue
            text = values.astype(object).where(is_text, "")
            starts = text.str.startswith(_FORMULA_START).to_numpy(dtype=bool)
            number = text.str.fullmatch(_PLAIN_NUMBER).to_numpy(dtype=bool)
            risky = is_text & starts & ~number
            if risky.any():
                values = values.astype(object).copy()
                values[risky] = "'" + text[risky]
                changed = True
        out[column] = values
    return pd.DataFrame(out, index=frame.index) if changed else frame


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, np.generic):
        return _finite(value.item())
    return value


def json_dumps(payload, default) -> str:
    """Valid JSON: infinities and NaN become ``null`` (``Infinity`` is not JSON)."""
    text = json.dumps(payload, default=default)
    return json.dumps(_finite(json.loads(text)), indent=2, allow_nan=False)


# -- where the release goes -------------------------------------------------------------------
#: Written into every folder the package writes (public and private); ``overwrite``
#: replaces only a folder holding this marker and the files it lists.
MARKER = ".personatwin-release"


def _real(path) -> Path:
    """The absolute path with symbolic links followed; never raises on a link loop."""
    return Path(os.path.realpath(os.path.abspath(path)))


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


def _visible(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if not p.name.startswith(_STAGING))


def marker_text(files) -> str:
    """The marker's content: who wrote the folder and which files (nothing secret)."""
    from personatwin_sklearn import __version__

    return json.dumps(
        {
            "written_by": "personatwin_sklearn",
            "version": __version__,
            "files": sorted(files),
            "note": "personatwin --overwrite replaces only a folder holding this file",
        },
        indent=2,
    )


def _marked_files(folder: Path) -> set | None:
    """The files an earlier release wrote into ``folder`` (None: no readable marker)."""
    try:
        payload = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(payload, dict) or payload.get("written_by") != "personatwin_sklearn":
        return None
    return {str(name) for name in payload.get("files", [])}


def _foreign(folder: Path) -> list[Path]:
    """Entries of ``folder`` that no earlier release of this package wrote."""
    listed = _marked_files(folder)
    present = [p for p in _visible(folder) if p.name != MARKER]
    if listed is None:
        return present
    return [p for p in present if p.name not in listed or not p.is_file() or p.is_symlink()]


def _protected(folder: Path) -> str | None:
    """Why ``folder`` (absolute) may never be replaced, or None."""
    real = _real(folder)
    cwd = _real(Path.cwd())
    if real == Path(real.anchor):
        return "is the root folder"
    if real == _real(Path.home()):
        return "is your home folder"
    if real == cwd:
        return "is the current folder"
    if _inside(cwd, real):
        return "holds the current folder"
    return None


def _writable_parent(folder: Path, *, renamed: bool = True) -> str | None:
    """Why a release could not be written to ``folder`` (absolute), or None.

    ``renamed``: the folder itself is replaced by a rename (the public folder); the
    private folder only has files renamed into it.
    """
    if renamed and folder.is_dir() and os.path.ismount(folder):
        return (
            "is a mount point; a release is written beside its folder and renamed into "
            "place, which a mount point cannot be. Give a folder inside it "
            f"(e.g. --out {str(folder / 'release')!r})"
        )
    existing = folder.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"cannot be created: {str(existing)!r} is a file"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"cannot be written: no write permission in {str(existing)!r}"
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        return "cannot be written: no write permission in it"
    return None


def release_destination(
    out_dir, private_dir=None, *, overwrite=False, inputs=(), private=True, option="--out"
):
    """Check where a release may go; return ``(out_dir, private_dir)`` as absolute paths.

    Everything is checked before any work, and :class:`ReleaseError` gives the reason in
    one line when:

    * ``out_dir`` is empty, a file, the root or home folder, the current folder or a
      folder holding it, a mount point, or not writable;
    * it or the private folder would hold an input file, or one is inside the other;
    * a folder is not empty and ``overwrite`` is False;
    * ``overwrite`` is True but a folder holds anything an earlier release of this
      package did not write (a marker file, :data:`MARKER`, lists what it wrote):
      ``overwrite`` replaces an earlier release and nothing else.

    Parameters
    ----------
    out_dir : str or path-like
        Folder of the public files.
    private_dir : str or path-like, default=None
        Folder of the private files (default ``<out_dir>.private``).
    overwrite : bool, default=False
        Replace an earlier release.
    inputs : sequence of paths, default=()
        Input files, which neither folder may hold.
    private : bool, default=True
        False: a release without private files (the returned private folder is None).
    option : str, default="--out"
        How the messages name ``out_dir``.

    Returns
    -------
    out_dir, private_dir : Path
        Absolute paths (``private_dir`` is None when ``private`` is False).
    """
    if out_dir is None or not str(os.fspath(out_dir)).strip():
        raise ReleaseError(
            f"{option} is empty ({'' if out_dir is None else str(os.fspath(out_dir))!r}); "
            "give the folder the release goes to (e.g. --out release)."
        )
    out = Path(os.path.abspath(out_dir))
    label = f"{option} {str(out_dir)!r}"
    priv = None
    folders = [(out, label)]
    if private:
        if private_dir:
            priv = Path(os.path.abspath(private_dir))
        elif _protected(out) is None:  # '/' has no name to add '.private' to
            priv = out.with_name(out.name + ".private")
        else:
            priv = out
        folders.append((priv, f"The private folder {str(priv)!r}"))
    for folder, what in folders:
        if folder.exists() and not folder.is_dir():
            raise ReleaseError(f"{what} is an existing file; give a folder path.")
        why = _protected(folder)
        if why:
            raise ReleaseError(
                f"{what} {why} ({str(_real(folder))!r}); a release needs a folder of its "
                "own. Give a new folder, e.g. --out release."
            )
        if folder.is_symlink():
            raise ReleaseError(
                f"{what} is a symbolic link (to {str(_real(folder))!r}); give the folder "
                "itself, or a new folder."
            )
    if priv is not None and (_inside(_real(priv), _real(out)) or _inside(_real(out), _real(priv))):
        raise ReleaseError(
            f"The private folder {str(priv)!r} and the release folder {str(out)!r} are "
            "inside one another; the private files must never sit with the public ones. "
            "Give a private folder elsewhere (--private-out DIR / private_dir=...)."
        )
    for source in inputs:
        if source is None or not isinstance(source, (str, os.PathLike)):
            continue
        path = _real(source)
        for folder, what in folders:
            if _inside(path, _real(folder)):
                raise ReleaseError(
                    f"{what} holds the input file {str(source)!r}; writing the release there "
                    "could overwrite or publish it. Choose an output folder that holds none "
                    "of the inputs."
                )
    for folder, what in folders:
        present = _visible(folder)
        if present and not overwrite:
            names = ", ".join(p.name for p in present[:3])
            raise ReleaseError(
                f"{what} is not empty ({len(present)} entries, e.g. {names}); a release "
                "would mix with stale files. Pass --overwrite (overwrite=True) to replace "
                "an earlier release, or choose an empty folder."
            )
        foreign = _foreign(folder) if present else []
        if foreign:
            names = ", ".join(p.name for p in foreign[:3])
            more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
            raise ReleaseError(
                f"{what} holds {names}{more}, which personatwin did not write (no {MARKER} "
                "marker lists them); --overwrite replaces only an earlier release. Choose "
                "a new folder, or move those files away yourself."
            )
        why = _writable_parent(folder, renamed=folder == out)
        if why:
            raise ReleaseError(f"{what} {why}.")
    return out, priv


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(entry: Path, prefix: str) -> bool:
    match = re.match(re.escape(prefix) + r"(\d+)-", entry.name)
    return bool(match) and not _pid_alive(int(match.group(1)))


def remove_stale(out: Path, private: Path | None) -> list[Path]:
    """Remove the staging folders of killed runs (their process is gone).

    A killed ``--overwrite`` run may have moved the previous release aside: it is put
    back when no release took its place, removed otherwise.
    """
    removed = []
    parent = out.parent
    if parent.is_dir():
        for entry in parent.iterdir():
            if _stale(entry, f".{out.name}{_STAGING}"):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
            elif _stale(entry, f".{out.name}{_OLD}"):
                if not out.exists() and (entry / "release").is_dir():
                    os.rename(entry / "release", out)
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
    if private is not None and private.is_dir():
        for entry in private.iterdir():
            if _stale(entry, _STAGING):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
    return removed


def _fsync_path(path: Path) -> None:
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if path.is_dir() else os.O_RDONLY
    try:
        fd = os.open(path, flags)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _private_file(path: Path) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)
    return path


def write_atomically(out: Path, private, public_files, private_files, *, overwrite=False):
    """Write ``public_files`` into ``out`` and ``private_files`` into ``private``.

    Each is a dict ``{name: write(path)}``.  Everything is staged next to its
    destination, fsync'ed, and renamed into place at the end; on any error (or
    KeyboardInterrupt) the staging is removed and an earlier release is left as it was.
    Both folders get the :data:`MARKER` file listing what was written; ``overwrite``
    replaces only such a folder (checked again at the last moment), and in the private
    folder removes only the files the earlier release listed.  ``private`` may be None
    (no private files).

    Returns
    -------
    list of Path
        Public files, then private files.
    """
    remove_stale(out, private)
    out.parent.mkdir(parents=True, exist_ok=True)
    pid = os.getpid()
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}{_STAGING}{pid}-", dir=out.parent))
    private_staging = None
    old = None
    moved = False
    created_private = private is not None and not private.exists()
    done = False
    try:
        if private is not None:
            private.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(private, 0o700)
            private_staging = Path(tempfile.mkdtemp(prefix=f"{_STAGING}{pid}-", dir=private))
            for name, write in private_files.items():
                write(_private_file(private_staging / name))
                os.chmod(private_staging / name, 0o600)
                _fsync_path(private_staging / name)
            _private_file(private_staging / MARKER).write_text(marker_text(private_files))
            _fsync_path(private_staging)
        release = staging / "release"
        release.mkdir()
        for name, write in public_files.items():
            write(release / name)
            _fsync_path(release / name)
        (release / MARKER).write_text(marker_text(public_files))
        _fsync_path(release)
        # -- commit: private files first, then the public folder in one rename --
        for folder in (out, private):
            if folder is not None and _visible(folder) and (not overwrite or _foreign(folder)):
                raise ReleaseError(
                    f"{str(folder)!r} changed during the run and now holds files that are "
                    "not an earlier release; nothing was written."
                )
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}{_OLD}{pid}-", dir=out.parent))
            os.rename(out, old / "release")
            moved = True
        if private is not None:
            if overwrite:
                for name in (_marked_files(private) or set()) - set(private_files):
                    entry = private / name
                    if entry.is_file() and not entry.is_symlink():
                        entry.unlink()
            for name in [*private_files, MARKER]:
                os.replace(private_staging / name, private / name)
        os.rename(release, out)
        moved = False
        _fsync_path(out.parent)
        if private is not None:
            _fsync_path(private)
        done = True
        private_paths = [private / n for n in private_files] if private is not None else []
        return [out / n for n in public_files] + private_paths
    finally:
        if moved and old is not None and not out.exists():
            os.rename(old / "release", out)
        for folder in (staging, private_staging, old):
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
        if not done and created_private and private.is_dir() and not any(private.iterdir()):
            private.rmdir()
