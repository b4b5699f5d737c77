import sys

from rollsim.cli import main

sys.exit(main())
