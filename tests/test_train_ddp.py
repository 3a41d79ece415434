"Data-parallel training through accelerate: two gloo processes on the CPU (torchrun), one short epoch."
import os, sys, json, shutil, subprocess
from pathlib import Path
import pytest

@pytest.mark.skipif(shutil.which('torchrun') is None and not Path(sys.executable).with_name('torchrun').exists(),
                    reason='torchrun not installed')
def test_two_cpu_processes(tmp_path):
    out = tmp_path/'ddp'
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2', '-m', 'medstudy.train',
           '--dataset', 'breastmnist', '--image_encoder', 'smallcnn', '--epochs', '1', '--bs', '64',
           '--device', 'cpu', '--progress', 'false', '--out_dir', str(out)]
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert p.returncode == 0, p.stderr[-3000:]
    m = json.loads((out/'metrics.json').read_text())
    assert m['epochs'] == 1 and 0 <= m['best']['test']['auc'] <= 1
    rows = (out/'history.csv').read_text().splitlines()
    assert len(rows) == 2 and len(rows[1].split(',')) == len(rows[0].split(','))  # one epoch, a full row, rank 0 only
