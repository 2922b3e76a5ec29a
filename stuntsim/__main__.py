"""``python -m stuntsim``: the command line (the same as the ``stuntsim`` command).

The call is under the ``__main__`` guard so that worker processes, which re-import this
module, do not run the command again (:mod:`stuntsim.parallel`).
"""

import sys

from stuntsim.cli import main

if __name__ == "__main__":
    sys.exit(main())
