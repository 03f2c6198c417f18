#!/usr/bin/env python3
"""genbot's one entry point: `python run.py [serve|migrate|rollback|...]` (see --help).

It starts in genbot_guard, which makes sure ``core``, ``plugins`` and ``migrations`` are
genbot's own before anything of them is imported."""

import sys

from genbot_guard import main

if __name__ == "__main__":
    sys.exit(main())
