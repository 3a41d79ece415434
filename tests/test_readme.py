"The README stays true: its text is the site's front page, and its two commands are the ones CI runs."
from pathlib import Path
import json, re
root = Path(__file__).parent.parent

def test_readme_has_the_two_commands():
    blocks = re.findall(r'```sh\n(.*?)\n```', (root/'README.md').read_text(), re.S)
    assert len(blocks) == 2
    assert 'pip install -e ".[dev]"' in blocks[0] and 'papermill nbs/05_train.ipynb' in blocks[0]
    assert 'tests/run_all.sh' in blocks[1]
    assert 'bash tests/run_all.sh' in (root/'.ci'/'run').read_text()
