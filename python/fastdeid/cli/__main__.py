"""`python -m fastdeid.cli`, the same as `python -m fastdeid`."""

import sys

from . import main

sys.exit(main())
