"End-to-end training runs: determinism, SIGKILL + resume, bad checkpoints, papermill and the CLI (tiny CNN, BreastMNIST)."
import os, sys, json, signal, shutil, subprocess, textwrap
from pathlib import Path
import pytest
from medstudy.train import TrainConfig, train, train_cli
from medstudy.learner import CheckpointError, load_checkpoint, precision_policy
from medstudy.core import md5sum

ROOT = Path(__file__).resolve().parents[1]
BASE = dict(dataset='breastmnist', image_encoder='smallcnn', bs=64, epochs=3, seed=7, threads=1, progress=False)

def _cfg(out, **kw): return TrainConfig(**{**BASE, 'out_dir': str(out), **kw})
def _scores(m): return {k: m[k] for k in ('best_epoch', 'best', 'last')}
def _history(run): return [l.rsplit(',', 1)[0] for l in (Path(run)/'history.csv').read_text().splitlines()]  # without time

@pytest.fixture(scope='module')
def reference(tmp_path_factory):
    "One uninterrupted 3-epoch run."
    out = tmp_path_factory.mktemp('ref')/'run'
    return out, train(_cfg(out))

def test_same_seed_same_metrics(reference, tmp_path):
    out, ref = reference
    again = train(_cfg(tmp_path/'again'))
    assert _scores(again) == _scores(ref)
    assert _history(tmp_path/'again') == _history(out)
    assert sorted(p.name for p in out.iterdir()) == ['checkpoints', 'history.csv', 'loss_curve.png', 'metrics.json',
                                                     'params.json', 'provenance.json', 'train_split.json']

def test_precision_fp32_and_auto(reference, tmp_path):
    "The reference trains under the default precision='auto' (bf16 autocast where the CPU has native bf16, as the test above"
    " shows, deterministically); an fp32 run of the same seed trains too, records its precision, and lands close."
    out, ref = reference
    r32 = train(_cfg(tmp_path/'fp32', precision='fp32'))
    prec = lambda run: json.loads((Path(run)/'provenance.json').read_text())['precision']
    assert prec(out) == precision_policy('auto', 'cpu', 'smallcnn')
    assert prec(tmp_path/'fp32') == {'dtype': 'fp32', 'channels_last': False, 'reason': 'asked for'}
    assert abs(r32['best']['val']['loss'] - ref['best']['val']['loss']) < 0.1
    assert 0 <= r32['best']['test']['auc'] <= 1

KILLER = '''
import os, signal, sys
from fastai.callback.core import Callback
from medstudy.train import TrainConfig, train
class KillMidEpoch(Callback):
    order = 100
    def after_batch(self):
        if self.training and self.epoch == 1 and self.iter == 3: os.kill(os.getpid(), signal.SIGKILL)
train(TrainConfig(**{cfg}), cbs=[KillMidEpoch()])
'''

def test_sigkill_mid_epoch_then_resume(reference, tmp_path):
    out, ref = reference
    run = tmp_path/'killed'
    cfg = {**BASE, 'out_dir': str(run)}
    p = subprocess.run([sys.executable, '-c', KILLER.format(cfg=repr(cfg))], capture_output=True, text=True, timeout=600)
    assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]
    assert load_checkpoint(run/'checkpoints/last.pth')['epoch'] == 1  # epoch 1 was in progress
    assert not (run/'metrics.json').exists()
    with pytest.raises(FileExistsError, match='resume=True'): train(_cfg(run))  # a fresh start would overwrite it
    res = train(_cfg(run, resume=True))
    assert res['resumed_from_epoch'] == 1
    assert _scores(res) == _scores(ref)
    assert _history(run) == _history(out)

def test_bad_checkpoints_fail_clearly_and_stay(reference, tmp_path):
    out, _ = reference
    run = tmp_path/'copy'; shutil.copytree(out, run)
    last = run/'checkpoints/last.pth'
    with pytest.raises(CheckpointError, match='other settings'): train(_cfg(run, resume=True, lr=0.1))
    with pytest.raises(CheckpointError, match='3-epoch run'): train(_cfg(run, resume=True, epochs=5))
    prev = run/'checkpoints/last.prev.pth'
    last.write_bytes(last.read_bytes()[:5000]); prev.write_bytes(prev.read_bytes()[:5000]); before = _hashes(run)
    with pytest.raises(CheckpointError, match='corrupt or truncated'): train(_cfg(run, resume=True))
    assert _hashes(run) == before  # refused before anything was written
    with pytest.raises(CheckpointError, match='No checkpoint'): train(_cfg(tmp_path/'empty', resume=True))
    assert not (tmp_path/'empty').exists()

def _hashes(run): return {str(p.relative_to(run)): md5sum(p) for p in sorted(Path(run).rglob('*')) if p.is_file()}

def test_refusals_write_nothing(reference, tmp_path):
    "A refused resume (other seed, other epochs) leaves every file of the run as it was; a finished run resumed is a no-op."
    out, ref = reference
    run = tmp_path/'copy'; shutil.copytree(out, run)
    (run/'metrics.json').unlink()  # as if killed before the end
    before = _hashes(run)
    for kw, msg in [(dict(seed=1), 'other settings'), (dict(epochs=5), '3-epoch run')]:
        with pytest.raises(CheckpointError, match=msg): train(_cfg(run, resume=True, **kw))
        assert _hashes(run) == before
    done = tmp_path/'done'; shutil.copytree(out, done); before = _hashes(done)
    assert train(_cfg(done, resume=True)) == json.loads((out/'metrics.json').read_text())
    assert _hashes(done) == before

def test_resume_from_previous_checkpoint_when_last_is_unreadable(reference, tmp_path):
    out, ref = reference
    run = tmp_path/'copy'; shutil.copytree(out, run); (run/'metrics.json').unlink()
    (run/'checkpoints/last.pth').write_bytes(b'cut short')
    with pytest.warns(UserWarning, match='Resuming from the previous checkpoint'): res = train(_cfg(run, resume=True))
    assert res['resumed_from_epoch'] == 2 and _scores(res) == _scores(ref)

def test_papermill_notebook(tmp_path):
    pm = pytest.importorskip('papermill')
    nb = ROOT/'nbs/05_train.ipynb'
    pm.execute_notebook(str(nb), str(tmp_path/'out.ipynb'), kernel_name='python3', progress_bar=False, cwd=str(ROOT/'nbs'),
                        parameters=dict(epochs=1, dataset='breastmnist', image_encoder='smallcnn', threads=1,
                                        out_dir=str(tmp_path/'run'), progress=False))
    m = json.loads((tmp_path/'run/metrics.json').read_text())
    assert m['epochs'] == 1 and 0 <= m['best']['test']['auc'] <= 1
    for params, msg in [(dict(objective='nope'), "objective='nope'"), (dict(epoch=5), "Unknown parameter(s) ['epoch']")]:
        with pytest.raises(pm.PapermillExecutionError, match=msg.replace('(', r'\(').replace(')', r'\)').replace('[', r'\[').replace(']', r'\]')):
            pm.execute_notebook(str(nb), str(tmp_path/'bad.ipynb'), kernel_name='python3', progress_bar=False,
                                parameters=dict(out_dir=str(tmp_path/'bad'), **params))
        assert not (tmp_path/'bad').exists()  # nothing was trained or written

def test_cli(tmp_path, capsys):
    argv = ['--dataset', 'breastmnist', '--image_encoder', 'smallcnn', '--epochs', '1', '--threads', '1',
            '--progress', 'false', '--out_dir', str(tmp_path/'cli')]
    assert train_cli(argv) == 0
    assert json.loads((tmp_path/'cli/metrics.json').read_text())['epochs'] == 1
    assert train_cli(argv) == 2 and 'already holds a run' in capsys.readouterr().err
    for bad, msg in [(['--threads', '-1'], 'threads'), (['--seed', '-1'], 'seed'), (['--dataset', 'breastmnist,breastmnist'], 'more than once')]:
        assert train_cli(argv[:-1] + [str(tmp_path/'bad')] + bad) == 2
        err = capsys.readouterr().err
        assert msg in err and len(err.strip().splitlines()) == 1 and 'Traceback' not in err, err
        assert not (tmp_path/'bad').exists()
