"""Execute chapter notebooks in place, so the committed notebooks carry their outputs (figures, tables,
`show_doc`) for the rendered site, the way nbdev projects keep them.

Cells that `nbdev_test` skips (flags in settings.ini `tst_flags`, e.g. `#| notest`, `#| slow`, and
`#| eval: false`) are not run and keep no output; a notebook with `skip_exec: true` front matter is left
as is. A notebook whose execution fails is not written (its old copy stays) and the script exits non-zero.

    python tools/execute_nbs.py nbs/01_data.ipynb nbs/06_evaluate.ipynb     # some
    python tools/execute_nbs.py                                            # every notebook in nbs/
    python tools/execute_nbs.py --check                                    # which notebooks' outputs are stale

Each executed notebook is cleaned (`nbdev_clean`) and recorded in `tools/executed_nbs.json` with the SHA-256
of its code cells' sources at execution time (nbdev_clean strips notebook metadata, so the record lives
outside the notebooks). `tests/test_outputs.py` fails when a notebook's code no longer has the recorded hash
(its outputs are older than its code) or when a notebook that runs code has no outputs.
"""
import sys, os, time, json, hashlib
from pathlib import Path
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell
from fastcore.basics import str2bool
from fastcore.xtras import working_directory
from nbdev.config import get_config
from nbdev.process import NBProcessor
from nbdev.frontmatter import FrontmatterProc

ROOT = Path(__file__).resolve().parent.parent
RECORD = ROOT/'tools'/'executed_nbs.json'

def code_sha256(fn:Path) -> str:
    "SHA-256 of a notebook's code-cell sources (what its outputs were made from), in order."
    cells = json.loads(Path(fn).read_text())['cells']
    src = lambda c: ''.join(c['source']) if isinstance(c['source'], list) else c['source']
    return hashlib.sha256('\n\x1e\n'.join(src(c) for c in cells if c['cell_type'] == 'code').encode()).hexdigest()

def load_record() -> dict: return json.loads(RECORD.read_text()) if RECORD.exists() else {}

def stale(nbs:list) -> dict:
    "Notebook name -> why its committed outputs cannot be trusted (no record, or code changed since execution)."
    rec, out = load_record(), {}
    for fn in nbs:
        r = rec.get(Path(fn).name)
        if r is None: out[Path(fn).name] = 'never executed by tools/execute_nbs.py'
        elif r['code_sha256'] != code_sha256(fn): out[Path(fn).name] = f'code changed since it was executed ({r["executed"]})'
    return out

def record(fn:Path, seconds:float, skipped:bool=False):
    rec = load_record()
    rec[fn.name] = {'code_sha256': code_sha256(fn), 'executed': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
                    'seconds': round(seconds, 1), **({'skip_exec': True} if skipped else {})}
    RECORD.write_text(json.dumps(dict(sorted(rec.items())), indent=1) + '\n')

def execute(fn:Path, flags:set) -> float:
    proc = NBProcessor(fn, procs=FrontmatterProc, process=True).nb
    if str2bool(getattr(proc, 'frontmatter_', {}).get('skip_exec', False)): return None
    skip = set()
    for c in proc.cells:
        d = getattr(c, 'directives_', {}) or {}
        if c.cell_type == 'code' and (flags & d.keys() or d.get('eval:', [''])[0].lower() == 'false' or 'nbdev_export(' in c.source):
            skip.add(c.idx_)
    nb = read_nb(fn)
    for c in nb.cells:
        if c.idx_ in skip: c.outputs = []
    t = time.time()
    os.environ['IN_TEST'] = '1'
    k = CaptureShell(fn)
    with working_directory(fn.parent): k.run_all(nb, exc_stop=True, preproc=lambda c: c.cell_type != 'code' or c.idx_ in skip)
    write_nb(nb, fn)
    from nbdev.clean import nbdev_clean
    nbdev_clean(fname=str(fn))
    return time.time() - t

if __name__ == '__main__':
    cfg = get_config()
    flags = set(cfg.tst_flags.split()) | {'notest'}
    args = [a for a in sys.argv[1:] if a != '--check']
    nbs = [Path(o).resolve() for o in args] or sorted(p for p in (cfg.config_path/cfg.nbs_path).glob('*.ipynb') if not p.name.startswith('_'))
    if '--check' in sys.argv:
        for n, why in (bad := stale(nbs)).items(): print(f'{n}: {why}')
        sys.exit(1 if bad else 0)
    failed = []
    for fn in nbs:
        try:
            secs = execute(fn, flags)
            record(fn, secs or 0., skipped=secs is None)
            print(f'{fn.name}: ' + ('skip_exec, not run' if secs is None else f'{secs:.0f} s'), flush=True)
        except Exception as e: failed.append(fn.name); print(f'{fn.name}: FAILED ({type(e).__name__}: {e})', file=sys.stderr, flush=True)
    if failed: sys.exit(f'failed: {failed}')
