"""``python -m rollsim``: the command line (``rollsim.cli.main``)."""

import sys

from rollsim.cli import main

sys.exit(main())
