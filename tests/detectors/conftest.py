import sys
from pathlib import Path

# The fixture builders live beside the tests (``fixtures.py``); pytest runs in importlib mode.
sys.path.insert(0, str(Path(__file__).parent))
