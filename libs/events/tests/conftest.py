import sys
from pathlib import Path

# --import-mode=importlib leaves sys.path alone; make event_factories importable from the tests.
sys.path.insert(0, str(Path(__file__).parent))
