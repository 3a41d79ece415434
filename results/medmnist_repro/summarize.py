"""Table of the MedMNIST ResNet-18 (28) reproduction: test AUC / ACC, mean ± sd over seeds, beside the paper.

Finished runs are read from their `metrics.json` (model chosen by validation AUC, as MedMNIST v2 does).
A run still in progress is scored from its current `checkpoints/best.pth` and marked with the number of
epochs done, so the table says exactly how far each run got. Writes `summary.json` and `summary.md` here.
Usage: `python results/medmnist_repro/summarize.py`
"""
import json, statistics, tempfile
from pathlib import Path
import torch

HERE = Path(__file__).resolve().parent
PAPER = {'pneumoniamnist': (0.944, 0.854), 'breastmnist': (0.901, 0.863), 'retinamnist': (0.717, 0.524)}  # MedMNIST v2, ResNet-18 (28)

def interim(run:Path, ds:str) -> dict|None:
    "Score the current best checkpoint of an unfinished run on val and test."
    from medstudy.train import TrainConfig, run_data, evaluate
    from medstudy.learner import classifier_learner, load_checkpoint, CheckpointError
    p = run/'checkpoints/best.pth'
    if not p.exists(): return None
    try: ck = load_checkpoint(p)
    except CheckpointError: return None
    cfg = TrainConfig(**json.loads((run/'params.json').read_text()))
    dls, kind, n_out, ch, _ = run_data(cfg, 'cpu')
    learn = classifier_learner(dls, kind, n_out, cfg.image_encoder, in_chans=ch, path=tempfile.mkdtemp(), checkpoint=False,
                               history=False, monitor=None)
    learn.model.load_state_dict(ck['model'])
    rows = (run/'history.csv').read_text().splitlines()[1:] if (run/'history.csv').exists() else []
    return {'epochs_done': len(rows), 'best_epoch': ck['epoch'] - 1, 'best': {'val': evaluate(learn, dls.valid), 'test': evaluate(learn, dls[2])}}

def main():
    torch.set_num_threads(1)
    out, md = {}, ['| data set | seeds (epochs done) | test AUC (ours) | test ACC (ours) | paper AUC / ACC |', '|---|---|---|---|---|']
    for ds, (pa, pc) in PAPER.items():
        runs = []
        for run in sorted((HERE/ds).glob('seed*')):
            m = run/'metrics.json'
            if m.exists():
                r = json.loads(m.read_text()); r['epochs_done'] = r['epochs']; r['final'] = True
            else:
                r = interim(run, ds)
                if r is None: continue
                r['final'] = False
            r['seed'] = run.name; runs.append(r)
        aucs = [r['best']['test']['auc'] for r in runs]; accs = [r['best']['test']['acc'] for r in runs]
        ms = lambda v: (f'{statistics.mean(v):.3f} ± {statistics.stdev(v):.3f}' if len(v) > 1 else f'{v[0]:.3f}') if v else 'n/a'
        done = ', '.join(f"{r['seed']} ({r['epochs_done']}/100{'' if r['final'] else ', interim'})" for r in runs) or 'not run'
        md.append(f'| {ds} | {done} | {ms(aucs)} | {ms(accs)} | {pa:.3f} / {pc:.3f} |')
        out[ds] = {'paper': {'auc': pa, 'acc': pc}, 'runs': runs, 'test_auc': aucs, 'test_acc': accs}
    from medstudy.core import atomic_write_json, atomic_write
    atomic_write_json(HERE/'summary.json', out); atomic_write(HERE/'summary.md', '\n'.join(md) + '\n')
    print('\n'.join(md))

if __name__ == '__main__': main()
