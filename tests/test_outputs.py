"""Committed notebook outputs are as new as the code that made them: every notebook in nbs/ was executed by
`tools/execute_nbs.py` (which records the SHA-256 of its code cells in tools/executed_nbs.json), its code has
not changed since, and a notebook that runs code carries outputs. Fix a failure with
`python tools/execute_nbs.py nbs/<notebook>.ipynb` and commit the notebook with the record."""
import json, sys
from pathlib import Path
import pytest
root = Path(__file__).parent.parent
sys.path.insert(0, str(root/'tools'))
NBS = sorted(p for p in (root/'nbs').glob('*.ipynb') if not p.name.startswith('_'))

@pytest.mark.parametrize('nb', NBS, ids=[p.stem for p in NBS])
def test_outputs_are_current(nb):
    from execute_nbs import stale, load_record
    why = stale([nb]).get(nb.name)
    assert why is None, f'{nb.name}: {why}; run `python tools/execute_nbs.py nbs/{nb.name}` and commit it with tools/executed_nbs.json'
    if load_record()[nb.name].get('skip_exec'): return
    cells = json.loads(nb.read_text())['cells']
    code = [c for c in cells if c['cell_type'] == 'code' and not ''.join(c['source']).lstrip().startswith(('#| export', '#| hide', '#| default_exp'))]
    if code: assert any(c.get('outputs') for c in code), f'{nb.name}: no code cell has outputs; run `python tools/execute_nbs.py nbs/{nb.name}`'
