"""``python -m stuntsim``: the command line (the same as the ``stuntsim`` command)."""

import sys

from stuntsim.cli import main

sys.exit(main())
