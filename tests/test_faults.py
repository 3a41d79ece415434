"""Fault injection through the command line, as a hostile but fair user would try it: every refusal happens before
the first byte is written (the run directory is byte-for-byte unchanged, or absent), every error is one line on
stderr naming the problem, with a non-zero exit status and no traceback; a process killed while it writes a
checkpoint, or a disk that fills up, leaves the previous checkpoint readable."""
import os, sys, json, signal, shutil, subprocess, textwrap
from pathlib import Path
import pytest
from medstudy.core import md5sum
from medstudy.learner import load_checkpoint

ROOT = Path(__file__).resolve().parents[1]
OPTS = dict(dataset='breastmnist', image_encoder='smallcnn', bs=64, epochs=2, threads=1, progress='false')
def args(**kw) -> list: return [a for k, v in {**OPTS, **kw}.items() for a in (f'--{k}', str(v))]
BASE = args()

def cli(*args, timeout=300):
    exe = shutil.which('medstudy') or sys.exit('the medstudy console script is not installed')
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, timeout=timeout)

def one_line_error(r, *words):
    "Exit status non-zero, stderr one line (warnings of imported libraries aside) holding `words`, no traceback."
    err = [l for l in r.stderr.splitlines() if l.startswith('medstudy')]
    assert r.returncode != 0, r.stdout[-500:]
    assert 'Traceback' not in r.stderr, r.stderr[-2000:]
    assert len(err) == 1, r.stderr[-2000:]
    for w in words: assert w in err[0], err[0]
    return err[0]

def hashes(run): return {str(p.relative_to(run)): md5sum(p) for p in sorted(Path(run).rglob('*')) if p.is_file()}

@pytest.fixture(scope='module')
def finished(tmp_path_factory):
    "One finished two-epoch run, made through the CLI."
    run = tmp_path_factory.mktemp('faults')/'run'
    r = cli('train', *BASE, '--out_dir', run)
    assert r.returncode == 0, r.stderr[-2000:]
    return run

def unfinished(finished, tmp_path):
    run = tmp_path/'unfinished'; shutil.copytree(finished, run); (run/'metrics.json').unlink()
    return run

CASES = [  # (changed settings, words the one-line error must hold)
    (dict(seed=1), ['other settings']),
    (dict(epochs=5), ['2-epoch run', 'epochs=2']),
    (dict(lr=0.5), ['other settings']),
]

@pytest.mark.parametrize('change,words', CASES, ids=['seed', 'epochs', 'lr'])
def test_refused_resume_changes_nothing(finished, tmp_path, change, words):
    run = unfinished(finished, tmp_path); before = hashes(run)
    one_line_error(cli('train', *args(**change), '--out_dir', run, '--resume', 'true'), *words)
    assert hashes(run) == before

def test_unreadable_checkpoints_refused_and_kept(finished, tmp_path):
    run = unfinished(finished, tmp_path)
    for n in ('last.pth', 'last.prev.pth'): (run/'checkpoints'/n).write_bytes(b'cut short')
    before = hashes(run)
    one_line_error(cli('train', *BASE, '--out_dir', run, '--resume', 'true'), 'corrupt or truncated')
    assert hashes(run) == before

def test_finished_run_resumed_is_a_no_op(finished, tmp_path):
    run = tmp_path/'done'; shutil.copytree(finished, run); before = hashes(run)
    r = cli('train', *BASE, '--out_dir', run, '--resume', 'true')
    assert r.returncode == 0 and 'nothing to resume' in r.stdout, r.stderr[-1000:]
    assert hashes(run) == before

def test_second_start_in_a_run_directory_refused(finished):
    before = hashes(finished)
    one_line_error(cli('train', *BASE, '--out_dir', finished), 'already holds a run', 'resume')
    assert hashes(finished) == before

BAD = [  # refused before anything is written: the run directory never appears
    (['--threads', '-1'], ['threads']),
    (['--seed', '-1'], ['seed', 'non-negative']),
    (['--dataset', 'breastmnist,breastmnist'], ['more than once']),
    (['--dataset', 'nosuch'], ['dataset']),
    (['--objective', 'nope'], ['--objective', 'invalid choice']),
    (['--precision', 'fp8'], ['--precision', 'invalid choice']),
    (['--pretrained', 'true', '--image_encoder', 'resnet50'], ['resnet50']),  # offline hub name: the offline choices named
]

@pytest.mark.parametrize('extra,words', BAD, ids=[' '.join(b[0]) for b in BAD])
def test_bad_parameter_writes_nothing(tmp_path, extra, words):
    run = tmp_path/'never'
    one_line_error(cli('train', *BASE, *extra, '--out_dir', run), *words)
    assert not run.exists()

KILL_IN_WRITE = '''
import os, signal, sys
import medstudy.core as core
from medstudy.train import TrainConfig, train
real = os.replace
def replace(src, dst):
    if str(dst).endswith('last.pth') and os.path.exists(dst): os.kill(os.getpid(), signal.SIGKILL)  # the 2nd epoch's checkpoint
    return real(src, dst)
core.os.replace = replace
train(TrainConfig(**{cfg}))
'''

def test_sigkill_during_checkpoint_write_keeps_the_previous_one(tmp_path):
    run = tmp_path/'killed'
    cfg = dict(dataset='breastmnist', image_encoder='smallcnn', bs=64, epochs=2, threads=1, progress=False, out_dir=str(run))
    p = subprocess.run([sys.executable, '-c', KILL_IN_WRITE.format(cfg=repr(cfg))], capture_output=True, text=True, timeout=600)
    assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]
    assert load_checkpoint(run/'checkpoints/last.pth')['epoch'] == 1  # the first epoch's checkpoint, whole
    r = cli('train', *BASE, '--out_dir', run, '--resume', 'true')  # and the run goes on from it
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads((run/'metrics.json').read_text())['resumed_from_epoch'] == 1

DISK_FULL = '''
import errno, os
import medstudy.core as core, medstudy.learner as learner
from medstudy.train import train_cli
real_save, real_fsync, state = learner.save_checkpoint, os.fsync, dict(n=0, full=False)
def save_checkpoint(path, st):  # the disk fills up while the second epoch's last.pth is written
    if path.name == 'last.pth': state['n'] += 1; state['full'] = state['n'] == 2
    try: return real_save(path, st)
    finally: state['full'] = False
def fsync(fd):
    if state['full']: raise OSError(errno.ENOSPC, 'No space left on device')
    return real_fsync(fd)
learner.save_checkpoint, core.os.fsync = save_checkpoint, fsync
raise SystemExit(train_cli({argv}))
'''

def test_full_disk_is_one_clear_error_and_the_last_checkpoint_survives(tmp_path):
    run = tmp_path/'full'
    p = subprocess.run([sys.executable, '-c', DISK_FULL.format(argv=repr(BASE + ['--out_dir', str(run)]))],
                       capture_output=True, text=True, timeout=600)
    one_line_error(p, 'No space left on device')
    assert load_checkpoint(run/'checkpoints/last.pth')['epoch'] == 1
    assert not list(run.rglob('*.tmp')), 'a temporary file was left behind'
    assert json.loads((run/'provenance.json').read_text())['status'] == 'failed'

def test_study_errors_are_one_line(tmp_path):
    m = tmp_path/'study'/'manifest.yaml'; m.parent.mkdir()
    (tmp_path/'nbs').mkdir(); shutil.copy(ROOT/'nbs'/'05_train.ipynb', tmp_path/'nbs')  # notebook paths are relative to tmp_path
    for text, words in [('experiments: [', ['while parsing']), ('experiments:\n  - {name: a, steps: [{notebook: nbs/05_train.ipynb}]}\n'
                                                               '  - {name: a, steps: [{notebook: nbs/05_train.ipynb}]}', ['unique']),
                        ('experiments:\n  - {name: a, bogus: 1, steps: [{notebook: nbs/05_train.ipynb}]}', ['unknown keys'])]:
        m.write_text(text)
        one_line_error(cli('study', 'run', '--manifest', m, '--out', tmp_path/'runs'), *words)
    one_line_error(cli('study', 'run', '--only', 'nosuch', '--out', tmp_path/'runs'), "unknown experiments ['nosuch']")
    assert not (tmp_path/'runs').exists()
