#!/usr/bin/env python3
"""genbot's one entry point: `python run.py [serve|migrate|rollback|...]` (see --help)."""

import sys

from core.ops.cli import main

if __name__ == "__main__":
    sys.exit(main())
