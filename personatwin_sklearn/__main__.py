"""``python -m personatwin_sklearn``: the ``personatwin`` command line."""

import sys

from personatwin_sklearn.cli import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
