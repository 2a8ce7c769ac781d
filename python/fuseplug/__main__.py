"""``python -m fuseplug``: the command-line SQL runner (see :mod:`fuseplug.cli`)."""

import sys

from fuseplug.cli import main

sys.exit(main())
