"""Definitions per export cell of the chapter notebooks (#15's granularity measure).

A definition is a top-level `def`, `class` or assignment in a `#| export` / `#| exports` cell; a `register_*(...)(None)`
call counts as one too. Imports, `if __name__` guards and bare expressions do not count.

    python tools/defcount.py nbs        # totals
    python tools/defcount.py nbs -v     # and every cell with four or more, largest first
"""
import ast, json, sys, re
from pathlib import Path

def export_cells(nb:Path):
    for i, c in enumerate(json.loads(nb.read_text())['cells']):
        s = ''.join(c['source'])
        if c['cell_type'] == 'code' and re.match(r'\s*#\|\s*exports?\b', s): yield i, s

def definitions(src:str) -> list:
    try: tree = ast.parse(src)
    except SyntaxError: return []
    out = []
    for n in tree.body:
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)): out.append(n.name)
        elif isinstance(n, (ast.Assign, ast.AnnAssign)):
            t = n.targets[0] if isinstance(n, ast.Assign) else n.target
            out.append(ast.unparse(t))
        elif isinstance(n, ast.Expr) and isinstance(n.value, ast.Call) and 'register' in ast.unparse(n.value.func): out.append(ast.unparse(n.value)[:40])
    return out

if __name__ == '__main__':
    root = Path(sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith('-') else 'nbs')
    cells = [(nb.name, i, definitions(s)) for nb in sorted(root.glob('*.ipynb')) for i, s in export_cells(nb)]
    cells = [c for c in cells if c[2]]
    n = [len(d) for *_, d in cells]
    pub = [sum(not x.startswith('_') and not x.isupper() for x in d) for *_, d in cells]  # public functions and classes
    print(f'{len(cells)} export cells with definitions, {sum(n)} definitions, {sum(n)/len(cells):.2f} per cell; '
          f'{sum(k >= 4 for k in n)} cells with >= 4, {sum(k == 1 for k in n)} with exactly one')
    print(f'public functions and classes (no leading _, not an UPPER_CASE constant): {sum(pub)/len(cells):.2f} per cell; '
          f'{sum(k >= 3 for k in pub)} cells with >= 3, {sum(k <= 1 for k in pub)} with at most one')
    if '-v' in sys.argv:
        for nb, i, d in sorted(cells, key=lambda c: -len(c[2])):
            if len(d) >= 4: print(f'{len(d):3d}  {nb} cell {i}: {", ".join(d)}')
