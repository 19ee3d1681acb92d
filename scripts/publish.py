#!/usr/bin/env python3
"""Publish the catalogue to an NGSI-LD broker: the same as ``ldt-catalog publish``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ldt_catalog.cli import main

if __name__ == "__main__":
    sys.exit(main(["publish", *sys.argv[1:]]))
