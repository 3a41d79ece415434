"""The site's home page is the README: nbs/index.ipynb holds the README's text (a title cell that nbdev makes
the page's title and description, then the rest in cells of their own) and, in code cells, the headline
results table that only the site shows."""
from pathlib import Path
import json, re
root = Path(__file__).parent.parent

def index_markdown() -> str:
    """The README text that nbs/index.ipynb holds: its markdown cells joined by blank lines, the first cell's
    `> description` (nbdev's page description) read as the plain paragraph it is in the README. The index's
    code cells (the headline results table on the site's home page) are not part of the README."""
    nb = json.loads((root/'nbs'/'index.ipynb').read_text())
    md = [''.join(c['source']).strip() for c in nb['cells'] if c['cell_type'] == 'markdown']
    md[0] = re.sub(r'^> ?', '', md[0], flags=re.M)
    return '\n\n'.join(md)

def test_index_matches_readme():
    assert index_markdown() == (root/'README.md').read_text().strip(), \
        'nbs/index.ipynb and README.md differ: change both (index.ipynb: a title cell with the description as "> ...", then the rest)'

def test_index_title_cell():
    "nbdev makes the first cell the page's title and description: it must hold nothing else, or the home page loses it."
    nb = json.loads((root/'nbs'/'index.ipynb').read_text())
    first = ''.join(nb['cells'][0]['source']).strip().split('\n')
    assert first[0].startswith('# ') and all(l.startswith('> ') for l in first[2:]) and len(first) == 3, first
