"""Write README.md's text into nbs/index.ipynb, the site's home page: a title cell (`# title` and the first
paragraph as nbdev's `> description`), then one markdown cell per `## ` section. The index's code cells
(the headline results table, shown on the site only) stay after the cell they followed.

    python tools/sync_index.py        # after editing README.md; tests/test_index.py checks the two agree
"""
import json, re, uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def readme_cells(text:str) -> list:
    "The index's markdown cells for a README text."
    title, _, rest = text.strip().partition('\n\n')
    desc, _, rest = rest.partition('\n\n')
    parts = re.split(r'\n(?=## )', rest.strip())
    return [f'{title}\n\n' + '\n'.join('> ' + l for l in desc.splitlines())] + [p.strip() for p in parts]

def _src(s:str) -> list:
    lines = s.split('\n'); return [l + '\n' for l in lines[:-1]] + [lines[-1]]

def sync(readme=ROOT/'README.md', index=ROOT/'nbs'/'index.ipynb'):
    nb = json.loads(Path(index).read_text())
    md = readme_cells(Path(readme).read_text())
    old, out, k = nb['cells'], [], 0
    for c in old:  # keep every code cell after the same-numbered markdown cell as before
        if c['cell_type'] == 'markdown':
            if k < len(md): c['source'] = _src(md[k]); out.append(c); k += 1
        else: out.append(c)
    out += [{'cell_type': 'markdown', 'id': uuid.uuid4().hex[:8], 'metadata': {}, 'source': _src(m)} for m in md[k:]]
    nb['cells'] = out
    Path(index).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')

if __name__ == '__main__': sync()
