"""Wall time of the whole study's `smoke` profile (every experiment, forced), the figure issue #7 bounds at
15 minutes on a 2-core CPU.

    python benchmarks/study_smoke.py [--out /tmp/smoke]
"""
import argparse, time, tempfile
from pathlib import Path
from medstudy.study import run_study, default_manifest
from _common import save

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', default=None, help='run root (default: a temporary folder)')
    a = p.parse_args()
    out = Path(a.out or tempfile.mkdtemp(prefix='smoke_'))
    t0 = time.time()
    res = run_study(default_manifest(), 'smoke', out, force=True)
    wall = time.time() - t0
    save('study_smoke', {'profile': 'smoke', 'wall_seconds': round(wall, 1), 'target_seconds': 900,
                         'experiments': {r.name: {'status': r.status, 'seconds': round(r.seconds, 1)} for r in res}})

if __name__ == '__main__': main()
