"""Image-report pretraining end to end: the papermill notebook on covid-cxr's real X-rays and notes (where
../shared/data is on the data search path), a local MIMIC-layout table built from the committed IU pairs, and
every bad input refused in one line before anything is written."""
import json, os, shutil, subprocess, sys
from pathlib import Path
import pandas as pd, pytest
from PIL import Image
from medstudy.core import find_data

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent/'shared'/'data'
ENV = {**os.environ, 'HF_HUB_OFFLINE': '1', 'TRANSFORMERS_OFFLINE': '1', 'MEDSTUDY_OFFLINE': '1', 'MPLBACKEND': 'Agg'}
RUN_FILES = ['checkpoints', 'history.csv', 'loss_curve.png', 'metrics.json', 'params.json', 'provenance.json', 'train_split.json']

def covid_env():
    "The environment with covid-cxr on the data search path, or a skip that says why."
    if find_data('covid_cxr/metadata.csv'): return ENV
    if (SHARED/'covid_cxr'/'metadata.csv').exists(): return {**ENV, 'MEDSTUDY_DATA': str(SHARED)}
    pytest.skip('covid-cxr is not on the data search path (it stays in ../shared/data, which this checkout does not have)')

def medstudy(*args, env=ENV, cwd=ROOT):
    exe = shutil.which('medstudy') or sys.exit('the medstudy console script is not installed')
    return subprocess.run([exe, *args], capture_output=True, text=True, env=env, cwd=cwd)

def error_lines(r): return [l for l in r.stderr.splitlines() if l.startswith('medstudy')]  # not the libraries' warnings

def test_papermill_mgca_on_covid_cxr(tmp_path):
    "The issue's command: MGCA on real reports, one epoch, with attention-derived word weights, writes its run directory."
    pm = pytest.importorskip('papermill')
    env, out = covid_env(), tmp_path/'run'
    r = subprocess.run([sys.executable, '-m', 'papermill', str(ROOT/'nbs/05_train.ipynb'), str(tmp_path/'out.ipynb'),
                        '-p', 'dataset', 'covid-cxr', '-p', 'objective', 'mgca', '-p', 'epochs', '1', '-p', 'progress', 'False',
                        '-p', 'out_dir', str(out), '--cwd', str(ROOT/'nbs')], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert sorted(p.name for p in out.iterdir()) == RUN_FILES
    params, m = json.loads((out/'params.json').read_text()), json.loads((out/'metrics.json').read_text())
    assert (params['image_encoder'], params['pretrained'], params['img_size']) == ('tf_efficientnet_lite0', True, 128)
    split = json.loads((out/'train_split.json').read_text())
    assert split['by'] == 'patient' and sum(split[s]['n'] for s in ('train', 'val', 'test')) == 214
    assert not set(split['train']['records']) & set(split['test']['records'])
    t = m['retrieval']['test']['image_to_text']
    assert t['n_queries'] == split['test']['n'] and 0 <= t['metrics']['R@5'] <= 1
    prov = json.loads((out/'provenance.json').read_text())
    assert prov['pairs']['n'] == 214 and prov['status'] == 'ok'

@pytest.fixture(scope='module')
def iu_table(tmp_path_factory):
    "A MIMIC-CXR-layout parquet of the committed IU image-report pairs (5 images of 3 studies)."
    from medstudy.cxr import read_iu_reports, join_iu_images, iu_to_mimic_layout
    d = tmp_path_factory.mktemp('iu')
    rows = join_iu_images(read_iu_reports(), image_dir=ROOT/'data/iu_xray/images', skip_bad=True)
    return iu_to_mimic_layout(rows, d/'iu.parquet')

def test_infonce_on_a_local_table(iu_table, tmp_path):
    "Any local table in S0's layout trains through the same harness (InfoNCE on the committed IU pairs, each image its own patient)."
    from medstudy.train import train
    r = train(dataset=str(iu_table), columns='patient=image_id', objective='infonce', img_size=32, epochs=1, out_dir=str(tmp_path/'run'),
              progress=False)
    assert r['retrieval']['test']['image_to_text']['n_queries'] >= 1
    assert json.loads((tmp_path/'run/train_split.json').read_text())['dataset'] == 'iu.parquet'
    with pytest.raises(ValueError, match='training split holds 1 image'):  # by study, the 5 images leave 1 in training
        train(dataset=str(iu_table), columns='patient=uid', objective='infonce', img_size=32, epochs=1, out_dir=str(tmp_path/'r2'), progress=False)
    assert not (tmp_path/'r2').exists()

def test_memory_mapped_pairs_train_the_same(iu_table, tmp_path, monkeypatch):
    "Forced onto the memory-mapped path (a budget of 0 bytes), the same table trains to the same numbers, from a cache file."
    import medstudy.sources as src
    from medstudy.train import train
    kw = dict(dataset=str(iu_table), columns='patient=image_id', objective='infonce', img_size=32, epochs=1, progress=False, seed=0)
    a = train(out_dir=str(tmp_path/'ram'), **kw)
    monkeypatch.setenv('MEDSTUDY_CACHE', str(tmp_path/'cache')); monkeypatch.setattr(src, 'MEMMAP_BYTES', 0)
    b = train(out_dir=str(tmp_path/'mapped'), **kw)
    assert len(list((tmp_path/'cache'/'decoded').glob('*.npy'))) == 1
    assert a['best'] == b['best'] and a['retrieval'] == b['retrieval']
    assert json.loads((tmp_path/'ram/train_split.json').read_text()) == json.loads((tmp_path/'mapped/train_split.json').read_text())

def _table(tmp_path, rows, name='t.csv'):
    for f in ('ok.png', 'ok2.png'): Image.new('L', (16, 16), 128).save(tmp_path/f)
    (tmp_path/'bad.png').write_bytes(b'not an image')
    pd.DataFrame(rows).to_csv(tmp_path/name, index=False)
    return tmp_path/name

@pytest.mark.parametrize('case,rows,columns,message', [
    ('no text column', {'img': ['ok.png'] * 3}, 'image=img,text=report', "no column 'report'"),
    ('all texts empty', {'img': ['ok.png'] * 3, 'report': [''] * 3}, 'image=img,text=report', 'every report text is empty'),
    ('unreadable image', {'img': ['ok.png', 'bad.png', 'ok2.png'], 'report': ['a', 'b', 'c']}, 'image=img,text=report', 'bad.png'),
    ('one patient', {'img': ['ok.png', 'ok2.png'] * 2, 'report': list('abcd'), 'pid': ['p'] * 4}, 'image=img,text=report,patient=pid',
     'needs at least 3'),
    ('bad columns', {'img': ['ok.png']}, 'picture=img', 'is not image=<col>'),
])
def test_bad_table_is_refused_before_any_write(tmp_path, case, rows, columns, message):
    t, out = _table(tmp_path, rows), tmp_path/'run'
    r = medstudy('train', '--dataset', str(t), '--columns', columns, '--objective', 'infonce', '--epochs', '1', '--out_dir', str(out))
    assert r.returncode == 2, (case, r.stdout, r.stderr)
    lines = error_lines(r)
    assert len(lines) == 1 and message in lines[0] and 'Traceback' not in r.stderr, (case, r.stderr)
    assert not out.exists(), f'{case}: the run directory was written before the refusal'

def test_unknown_dataset_lists_the_sources():
    r = medstudy('train', '--dataset', 'chexpert', '--objective', 'infonce')
    assert r.returncode == 2 and len(error_lines(r)) == 1 and 'covid-cxr, iu-xray, mimic-cxr' in error_lines(r)[0]

def test_gpu_dry_run_offline_with_a_local_mimic_table(iu_table, tmp_path):
    "The gpu profile resolves offline: with a MIMIC-layout table in <data folder>/mimic_cxr the data is found, the models are listed to fetch."
    (tmp_path/'data'/'mimic_cxr').mkdir(parents=True)
    shutil.copy(iu_table, tmp_path/'data'/'mimic_cxr'/'train.parquet')
    r = medstudy('study', 'run', '--profile', 'gpu', '--dry-run', '--only', 's0_clip_cxr', 's4_mgca_cxr',
                 env={**ENV, 'MEDSTUDY_DATA': str(tmp_path/'data')})
    assert r.returncode == 0, r.stdout + r.stderr
    assert 'to fetch: data mimic-cxr' not in r.stdout and 'mimic-cxr / mgca' in r.stdout and 'emilyalsentzer/Bio_ClinicalBERT' in r.stdout
    assert '0 error(s)' in r.stdout

def test_dry_run_fails_on_a_bad_parameter(tmp_path):
    m = tmp_path/'study'/'manifest.yaml'; m.parent.mkdir()
    m.write_text(f"""experiments:
  - name: bad
    steps:
      - notebook: {ROOT/'nbs/05_train.ipynb'}
        params: {{dataset: covid-cxr, objective: mgca, img_sise: 64}}
""")
    r = medstudy('study', 'run', '--profile', 'gpu', '--dry-run', '--manifest', str(m))
    assert r.returncode == 2 and "unknown parameter(s) ['img_sise']" in r.stdout, r.stdout + r.stderr

def test_nan_loss_mid_run_on_the_image_report_path(iu_table, tmp_path):
    "A NaN loss in epoch 2 stops before the optimiser step; the epoch-1 checkpoint is untouched and the run resumes from it."
    from fastai.callback.core import Callback
    from medstudy.core import md5sum
    from medstudy.learner import NonFiniteLossError
    from medstudy.train import train
    class NaNAt(Callback):
        order = -10  # before the guard
        def after_loss(self):
            if self.training and self.epoch == 1: self.learn.loss = self.learn.loss * float('nan')
    kw = dict(dataset=str(iu_table), columns='patient=image_id', objective='infonce', img_size=32, epochs=2,
              out_dir=str(tmp_path/'run'), progress=False)
    with pytest.raises(NonFiniteLossError, match='at epoch 1'): train(cbs=[NaNAt()], **kw)
    run = tmp_path/'run'
    assert json.loads((run/'provenance.json').read_text())['status'] == 'failed' and not (run/'metrics.json').exists()
    before = md5sum(run/'checkpoints/last.pth')
    assert torch_load_epoch(run/'checkpoints/last.pth') == 1
    r = train(resume=True, **kw)  # the same run without the fault, from the untouched checkpoint
    assert r['resumed_from_epoch'] == 1 and before != md5sum(run/'checkpoints/last.pth')

def torch_load_epoch(p):
    from medstudy.learner import load_checkpoint
    return load_checkpoint(p)['epoch']
