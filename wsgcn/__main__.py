"""``python -m wsgcn``: see :mod:`wsgcn.cli`."""

import sys

from wsgcn.cli import main

sys.exit(main())
