"""``python -m cs231nbook.compat run NOTEBOOK.ipynb``: see :mod:`cs231nbook.compat.run`."""

import sys

from .run import main

sys.exit(main())
