# PYTHON_ARGCOMPLETE_OK
"""``python -m rollsim.cli``: the command line, as ``python -m rollsim`` (``rollsim.__main__.main``).

The same program, so SIGINT and SIGTERM are taken over the same way, before the parser and the
command handlers are imported: the ``rollsim.cli`` package, which Python imports before this
module, leaves them to ``rollsim.cli.main``.
"""

import sys

from rollsim.__main__ import main

sys.exit(main())
