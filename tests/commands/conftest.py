"""The root's own commands (`python -m demo`, `python -m bench`) are folders, not installed
packages: their tests import them from the checkout."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
