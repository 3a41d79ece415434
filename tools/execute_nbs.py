"""Execute chapter notebooks in place, so the committed notebooks carry their outputs (figures, tables,
`show_doc`) for the rendered site, the way nbdev projects keep them.

Cells that `nbdev_test` skips (flags in settings.ini `tst_flags`, e.g. `#| notest`, `#| slow`, and
`#| eval: false`) are not run and keep no output; a notebook with `skip_exec: true` front matter is left
as is. A notebook whose execution fails is not written (its old copy stays) and the script exits non-zero.

    python tools/execute_nbs.py nbs/01_data.ipynb nbs/06_evaluate.ipynb     # some
    python tools/execute_nbs.py                                            # every notebook in nbs/
Afterwards run `nbdev_clean`.
"""
import sys, os, time
from pathlib import Path
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell
from fastcore.basics import str2bool
from fastcore.xtras import working_directory
from nbdev.config import get_config
from nbdev.process import NBProcessor
from nbdev.frontmatter import FrontmatterProc

def execute(fn:Path, flags:set) -> float:
    proc = NBProcessor(fn, procs=FrontmatterProc, process=True).nb
    if str2bool(getattr(proc, 'frontmatter_', {}).get('skip_exec', False)): return 0.
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
    return time.time() - t

if __name__ == '__main__':
    cfg = get_config()
    flags = set(cfg.tst_flags.split()) | {'notest'}
    nbs = [Path(o).resolve() for o in sys.argv[1:]] or sorted(p for p in (cfg.config_path/cfg.nbs_path).glob('*.ipynb') if not p.name.startswith('_'))
    failed = []
    for fn in nbs:
        try: print(f'{fn.name}: {execute(fn, flags):.0f} s', flush=True)
        except Exception as e: failed.append(fn.name); print(f'{fn.name}: FAILED ({type(e).__name__}: {e})', file=sys.stderr, flush=True)
    if failed: sys.exit(f'failed: {failed}')
