"""The whole study's smoke profile, end to end, as CI runs it: `medstudy study run --profile smoke` trains and
evaluates every experiment through papermill, then a second run skips them all as unchanged."""
import os, json, shutil, subprocess
from pathlib import Path
import pytest
from medstudy.study import load_manifest, default_manifest
from medstudy.core import find_data

def run(*args):
    return subprocess.run([shutil.which('medstudy'), *args], capture_output=True, text=True, timeout=1800)

@pytest.fixture(scope='module')
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp('study')
    r = run('study', 'run', '--profile', 'smoke', '--out', str(out))
    return out, r

def test_smoke_profile_runs_every_experiment(smoke):
    out, r = smoke
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    summary = json.loads((out/'smoke'/'study_summary.json').read_text())
    exps = {e.name: e for e in load_manifest(default_manifest())}
    names = {n for n, e in exps.items() if e.profiles.get('smoke') != 'skip'}
    ran = [e for e in summary['experiments'] if e['status'] != 'excluded']
    assert {e['name'] for e in ran} == names  # every smoke experiment, and the excluded ones are the manifest's smoke: skip
    assert {e['name'] for e in summary['experiments'] if e['status'] == 'excluded'} == set(exps) - names
    for e in ran:
        if e['status'] == 'no-data':  # covid-cxr stays in ../shared/data: its experiments say so instead of failing
            assert any(find_data(rel) is None for rel in exps[e['name']].data), e
            print(f"{e['name']}: not run, {e['error']}"); continue
        assert e['status'] == 'ok', e
        d = Path(e['run_dir'])
        stamp = json.loads((d/'study.json').read_text())
        assert stamp['fingerprint']['code'] and stamp['git']['commit'] is not None
        assert all(Path(s['output']).exists() for s in stamp['steps'])  # executed notebooks kept
        evals = list(d.rglob('eval.json')) + list(d.rglob('report_generators.json'))
        assert evals, f'{e["name"]}: no eval.json (or report_generators.json)'
        ev = json.loads(evals[0].read_text())
        assert 'provenance' in ev

def test_second_run_skips_unchanged(smoke):
    out, _ = smoke
    r = run('study', 'run', '--profile', 'smoke', '--out', str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.count('skipped') + r.stdout.count('not run:') >= len(load_manifest(default_manifest()))
