"""Shared fixtures (skrub-style): sample populations and the real graphs in ../shared/data."""

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CALTECH = SHARED_DATA / "graphs" / "facebook100"
SNAP_FACEBOOK = SHARED_DATA / "graphs" / "snap_ego_facebook" / "facebook_combined.txt"


@pytest.fixture
def toy():
    from personatwin_sklearn.datasets import make_toy_population

    return make_toy_population()


@pytest.fixture(scope="session")
def caltech():
    """Caltech36 from Facebook100 with its nodelist (gender, year, dorm, ...)."""
    net = CALTECH / "Caltech36.net"
    if not net.exists():
        pytest.skip(f"shared data not available: {net} is absent")
    from personatwin_sklearn.io import read_pajek

    return read_pajek(net, CALTECH / "Caltech36.nodelist")


@pytest.fixture(scope="session")
def snap_facebook_path():
    if not SNAP_FACEBOOK.exists():
        pytest.skip(f"shared data not available: {SNAP_FACEBOOK} is absent")
    return SNAP_FACEBOOK


def run(argv) -> int:
    """``personatwin`` with ``argv``: argparse's SystemExit turned into the exit code."""
    from personatwin_sklearn.cli import main

    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code
