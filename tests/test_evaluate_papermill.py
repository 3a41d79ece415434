"End to end: a small training run, then the papermill evaluation notebook on its run directory."
import json, os
from pathlib import Path
import pytest, papermill as pm
from medstudy.evaluate import full_probe

ROOT = Path(__file__).parent.parent

@pytest.fixture(scope='module')
def run_dir(tmp_path_factory):
    from medstudy.train import train
    out = tmp_path_factory.mktemp('run')/'pneu-smallcnn'
    train(dataset='pneumoniamnist', image_encoder='smallcnn', epochs=1, label_fraction=0.1, out_dir=str(out), device='cpu', progress=False)
    return out

def test_eval_notebook_writes_eval_json_and_figures(run_dir, tmp_path):
    os.environ.setdefault('MEDSTUDY_CACHE', str(tmp_path/'cache'))
    pm.execute_notebook(str(ROOT/'nbs'/'06b_eval_run.ipynb'), str(tmp_path/'out.ipynb'), cwd=str(ROOT/'nbs'), kernel_name='python3',
                        parameters={'run_dir': str(run_dir), 'fractions': [0.01, 1.0], 'seeds': [0, 1, 2], 'n_boot': 100},
                        progress_bar=False)
    rep = json.loads((run_dir/'eval.json').read_text())
    assert rep['run_dir'] == str(run_dir)                      # the injected parameter was used, not the demo default
    assert rep['checkpoint']['which'] == 'best' and len(rep['checkpoint']['sha256']) == 64
    summ = {r['fraction']: r for r in rep['linear_probe']['summary']}
    assert set(summ) == {0.01, 1.0} and summ[0.01]['test_auc_n'] == 3
    for name in ('classifier', 'linear_probe'):
        r = rep[name] if name == 'classifier' else full_probe(rep[name])[2]
        assert r['bootstrap']['n_boot'] == 100
        for m in ('acc', 'auc', 'macro_f1'): assert r['ci'][m]['lo'] <= r['metrics'][m] <= r['ci'][m]['hi']
    assert rep['zero_shot'] == {'skipped': 'the model has no text encoder (an image-only run)'}
    for n in ('classifier_confusion', 'classifier_roc', 'probe_confusion', 'probe_roc', 'metric_bars', 'label_efficiency'):
        for ext in ('png', 'svg'): assert (run_dir/'figures'/f'{n}.{ext}').stat().st_size > 1000
    assert rep['provenance']['git']['commit'] and rep['provenance']['end']

def test_eval_notebook_fails_clearly_on_wrong_architecture(run_dir, tmp_path):
    bad = tmp_path/'bad'; (bad/'checkpoints').mkdir(parents=True)
    p = json.loads((run_dir/'params.json').read_text()); p['image_encoder'] = 'resnet18'
    (bad/'params.json').write_text(json.dumps(p))
    (bad/'checkpoints'/'best.pth').write_bytes((run_dir/'checkpoints'/'best.pth').read_bytes())
    with pytest.raises(pm.PapermillExecutionError, match='another architecture'):
        pm.execute_notebook(str(ROOT/'nbs'/'06b_eval_run.ipynb'), str(tmp_path/'out.ipynb'), cwd=str(ROOT/'nbs'),
                            kernel_name='python3', parameters={'run_dir': str(bad)}, progress_bar=False)
