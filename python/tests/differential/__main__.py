"""``python -m differential`` (from ``python/tests``): see :mod:`differential.cli`."""

import sys

from .cli import main

sys.exit(main())
