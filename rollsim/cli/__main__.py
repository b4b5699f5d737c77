# PYTHON_ARGCOMPLETE_OK
"""``python -m rollsim.cli``: the command line, as ``python -m rollsim`` (``rollsim.cli.main``)."""

import sys

from rollsim.cli import main

sys.exit(main())
