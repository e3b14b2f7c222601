"""Render a release's ``report.html`` to PNG with headless Chromium.

Usage::

    python scripts/screenshot_report.py RELEASE_DIR/report.html --out report.png
    python scripts/screenshot_report.py --demo --out docs/report_screenshot.png
    python scripts/screenshot_report.py --docs

``--demo`` first runs ``personatwin demo`` (1,000-person sample population, seed 0) into a
temporary folder and screenshots its report.  ``--docs`` writes the three screenshots the
documentation shows: ``docs/report_screenshot.png`` (the demo),
``docs/report_adult.png`` (UCI Adult, people only: ``examples/data/adult.csv.gz``) and
``docs/report_caltech36.png`` (the Facebook100 Caltech36 graph from ``../shared/data``),
each made by the ``personatwin`` command printed before it.  Chromium is looked up as ``chromium``,
``chromium-browser``, ``google-chrome`` (install it with ``apt-get install -y chromium``);
it runs offline with a throw-away profile.  The PNG is reduced to a palette image so the
documentation screenshot stays small.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ROOT = Path(__file__).resolve().parents[1]
ADULT = ROOT / "examples" / "data" / "adult.csv.gz"
CALTECH = ROOT.parent / "shared" / "data" / "graphs" / "facebook100"


def ADULT_ARGS(path, out) -> list[str]:  # noqa: N802 - a constant-like recipe
    """``personatwin`` arguments that protect UCI Adult (people only)."""
    return ["protect", str(path), "--rename", "sex=gender", "race=ethnicity",
            "--keep-column", "workclass", "education", "marital_status", "relationship",
            "hours_per_week", "native_country", "income",
            "--drop-column", "education_num", "capital_gain", "capital_loss",
            "--privacy-level", "high", "--seed", "0", "--quiet", "--out", str(out)]  # fmt: skip


def CALTECH_ARGS(folder, out) -> list[str]:  # noqa: N802
    """``personatwin`` arguments that protect Facebook100 Caltech36 (the user guide's)."""
    folder = Path(folder)
    return ["protect", str(folder / "Caltech36.nodelist"),
            "--connections", str(folder / "Caltech36.net"),
            "--rename", "node_id=person_id", "--categorical", "gender", "dorm", "year",
            "--quasi-identifiers", "gender", "year", "dorm", "--signature", "gender", "year",
            "--drop-column", "student_fac", "major_index", "second_major", "high_school",
            "--seed", "0", "--quiet", "--out", str(out)]  # fmt: skip


def find_browser() -> str | None:
    """Path of a Chromium-compatible browser, or None."""
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def screenshot(html: Path, png: Path, *, width=1200, height=3000, browser=None) -> Path:
    """Render ``html`` to ``png`` (``width`` x ``height`` CSS pixels) with headless Chromium.

    Parameters
    ----------
    html : path
        The report to render.
    png : path
        Where to write the screenshot.
    width, height : int
        Window size in pixels.
    browser : str, default=None
        Browser executable (default: the first of :data:`BROWSERS` found).

    Returns
    -------
    Path
        ``png``.
    """
    browser = browser or find_browser()
    if browser is None:
        raise FileNotFoundError(
            "No Chromium found (looked for " + ", ".join(BROWSERS) + "). Install it with "
            "'apt-get install -y chromium'."
        )
    html, png = Path(html).resolve(), Path(png).resolve()
    if not html.is_file():
        raise FileNotFoundError(f"{html} does not exist.")
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            f"--window-size={width},{height}",
            html.as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0 or not png.is_file():
        raise RuntimeError(f"{browser} failed ({done.returncode}): {done.stderr[-2000:]}")
    return png


def shrink(png: Path, colors: int = 128, margin: int = 24) -> Path:
    """Rewrite ``png`` as a palette PNG (matplotlib's Pillow is enough) to keep it small,
    without the blank space below the page's end."""
    import numpy as np
    from PIL import Image

    with Image.open(png) as image:
        rgb = image.convert("RGB")
        ink = np.flatnonzero((np.asarray(rgb) < 250).any(axis=(1, 2)))
        if len(ink):
            rgb = rgb.crop((0, 0, rgb.width, min(rgb.height, int(ink.max()) + margin)))
        reduced = rgb.quantize(colors=colors, method=Image.Quantize.MEDIANCUT)
    reduced.save(png, optimize=True)
    return png


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", nargs="?", help="report.html to render")
    parser.add_argument("--demo", action="store_true", help="render the demo's report")
    parser.add_argument(
        "--docs", action="store_true", help="write the three screenshots under docs/"
    )
    parser.add_argument("--out", default="report.png", help="PNG to write (report.png)")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument(
        "--height", type=int, default=8000, help="window height; blank space is cropped"
    )
    parser.add_argument("--no-shrink", action="store_true", help="keep the full-colour PNG")
    args = parser.parse_args(argv)
    if args.docs:
        return _docs(args)
    if bool(args.report) == args.demo:
        parser.error("give either a report.html path, --demo or --docs")
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(args.report) if args.report else None
        if args.demo:
            from personatwin_sklearn.cli import main as personatwin

            code = personatwin(["demo", "--quiet", "--out", str(Path(tmp) / "demo")])
            if code:
                return code
            html = Path(tmp) / "demo" / "report.html"
        png = screenshot(html, Path(args.out), width=args.width, height=args.height)
    if not args.no_shrink:
        shrink(png)
    print(f"wrote {png} ({png.stat().st_size / 1024:.0f} KB)")
    return 0


def _docs(args) -> int:
    """The documentation's three screenshots, each from the command it prints."""
    from personatwin_sklearn.cli import main as personatwin

    cases = [
        ("report_screenshot.png", lambda out: ["demo", "--quiet", "--out", str(out)]),
        ("report_adult.png", lambda out: ADULT_ARGS(ADULT, out)),
    ]
    if CALTECH.is_dir():
        cases.append(("report_caltech36.png", lambda out: CALTECH_ARGS(CALTECH, out)))
    else:
        print(f"skipped report_caltech36.png: {CALTECH} is absent")
    with tempfile.TemporaryDirectory() as tmp:
        for name, make_args in cases:
            out = Path(tmp) / name.removesuffix(".png")
            argv = make_args(out)
            print("$ personatwin " + " ".join(argv))
            code = personatwin(argv)
            if code:
                return code
            png = screenshot(
                out / "report.html", ROOT / "docs" / name, width=args.width, height=args.height
            )
            if not args.no_shrink:
                shrink(png)
            print(f"wrote {png} ({png.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
