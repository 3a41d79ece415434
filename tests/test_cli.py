"The `medstudy` console script as a person runs it, in a subprocess."
import os, subprocess, sys, shutil
from pathlib import Path
import pytest

def run(*args, env=None, cwd=None):
    exe = shutil.which('medstudy')
    assert exe, 'the medstudy console script is not installed (pip install -e ".[dev]")'
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})}, cwd=cwd)

def test_help_lists_commands():
    r = run('--help')
    assert r.returncode == 0
    for cmd in ('data', 'train', 'study'): assert cmd in r.stdout

def test_data_list_shows_state(tmp_path):
    bad = tmp_path/'medmnist'; bad.mkdir()
    good = Path(__file__).parent.parent/'data'/'medmnist'/'breastmnist.npz'
    b = bytearray(good.read_bytes()); b[-100] ^= 1; (bad/'breastmnist.npz').write_bytes(bytes(b))
    r = run('data', 'list', env={'MEDSTUDY_DATA': str(tmp_path), 'MEDSTUDY_CACHE': str(tmp_path/'cache')})
    assert r.returncode == 1 and 'do not match their published MD5 (medmnist/breastmnist.npz)' in r.stderr, r.stderr  # a mismatch fails
    lines = {l.split()[0]: l for l in r.stdout.splitlines() if l and not l.startswith(' ')}
    assert 'ok' in lines['pneumoniamnist']
    assert 'MD5 MISMATCH' in lines['breastmnist'] and str(tmp_path) in lines['breastmnist']
    assert 'missing' in lines['dermamnist']
    assert str(tmp_path) in r.stdout.splitlines()[1]  # MEDSTUDY_DATA is searched first
    rel = run('data', 'list', '--no-check', env={'MEDSTUDY_DATA': tmp_path.name, 'MEDSTUDY_CACHE': str(tmp_path/'cache')}, cwd=tmp_path.parent)
    assert str(tmp_path) in rel.stdout.splitlines()[1], rel.stdout  # a relative entry: the folder the command started in

def test_unknown_command_fails_clearly():
    r = run('frobnicate')
    assert r.returncode == 2 and 'invalid choice' in r.stderr

def test_missing_dataset_error_names_fix(tmp_path):
    code = "from medstudy.data import load_medmnist; load_medmnist('dermamnist')"
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300,
                       env={**os.environ, 'MEDSTUDY_OFFLINE': '1', 'MEDSTUDY_CACHE': str(tmp_path)})
    assert r.returncode != 0
    assert 'dermamnist.npz not found' in r.stderr and 'MEDSTUDY_DATA' in r.stderr
