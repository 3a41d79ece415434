"The README stays true: its text is the site's front page, and its two commands are the ones CI runs verbatim."
from pathlib import Path
import json, subprocess, sys
root = Path(__file__).parent.parent
sys.path.insert(0, str(root/'tools'))
from readme_commands import readme_commands

def test_readme_has_the_two_commands():
    blocks = readme_commands()
    assert len(blocks) == 2
    setup, tests = blocks
    for part in ('python3 -m venv .venv', 'pip install -e ".[dev]"', 'mkdir -p runs', 'papermill', 'nbs/05_train.ipynb runs/05_train.ipynb'):
        assert part in setup, part
    assert 'bash tests/run_all.sh' in tests
    ci = (root/'.ci'/'run').read_text()
    assert 'tools/readme_commands.py 1' in ci and 'tools/readme_commands.py 2' in ci  # CI runs both, verbatim
    out = subprocess.run([sys.executable, str(root/'tools/readme_commands.py'), '2'], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == tests
