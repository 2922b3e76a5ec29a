"""``python -m stuntsim.cli``: the command line (as ``stuntsim`` and ``python -m stuntsim``)."""

import sys

from stuntsim.cli import main

if __name__ == "__main__":
    sys.exit(main())
