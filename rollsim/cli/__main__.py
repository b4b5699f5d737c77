# PYTHON_ARGCOMPLETE_OK
"""``python -m rollsim.cli``: the command line, as ``python -m rollsim`` (``rollsim.__main__.main``)."""

import sys

from rollsim.__main__ import main

sys.exit(main())
