"""``python -m cs231nbook.check PATH``: see :mod:`cs231nbook.check`."""

import sys

from .cli import main

sys.exit(main())
