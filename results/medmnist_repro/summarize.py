"""Table of the MedMNIST ResNet-18 (28) reproduction: test AUC / ACC, mean ± sd over seeds, beside the paper.

Finished runs are read from their `metrics.json` (model chosen by validation AUC, as MedMNIST v2 does).
A run still in progress is scored from its current `checkpoints/best.pth` and marked with the number of
epochs done, so the table says exactly how far each run got. The paper's numbers come from
`study/paper_numbers.yaml`. A second table compares the BreastMNIST runs under precision='auto'
(`parity_auto/`) with the fp32 ones. Writes `summary.json` and `summary.md` here.
Usage: `python results/medmnist_repro/summarize.py`
"""
import json, statistics, tempfile
from pathlib import Path
import torch

HERE = Path(__file__).resolve().parent
FLAGS = ('pneumoniamnist', 'breastmnist', 'retinamnist')
PARITY = HERE/'parity_auto'  # the same recipe under precision='auto' (bf16 autocast on a CPU with native bf16)

def paper_numbers() -> dict:
    "flag -> (AUC, ACC) of the MedMNIST v2 paper's ResNet-18 (28) row, from study/paper_numbers.yaml (the one place they are typed)."
    from medstudy.ledger import load_paper_numbers
    out = {}
    for e in load_paper_numbers():
        flag = next((f for f in FLAGS if f'medmnist_repro/{f}/' in e.get('ours', {}).get('glob', '')), None)
        if flag and e['id'].startswith('medmnist_resnet18_'): out[flag] = (e['metrics']['auc'], e['metrics']['acc'])
    return out

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
                               history=False, monitor=None, precision='fp32')
    learn.model.load_state_dict(ck['model'])
    rows = (run/'history.csv').read_text().splitlines()[1:] if (run/'history.csv').exists() else []
    return {'epochs_done': len(rows), 'best_epoch': ck['epoch'] - 1, 'best': {'val': evaluate(learn, dls.valid), 'test': evaluate(learn, dls[2])}}

def precision_of(run:Path) -> str:
    "The precision a run trained in, from its provenance (runs from before the policy were fp32)."
    p = run/'provenance.json'
    prec = json.loads(p.read_text()).get('precision') if p.exists() else None
    return prec['dtype'] if prec else 'fp32'

def runs_of(root:Path) -> list:
    "Every seed run under `root`: finished ones from metrics.json, unfinished ones scored from their best checkpoint."
    runs = []
    for run in sorted(root.glob('seed*')):
        m = run/'metrics.json'
        if m.exists(): r = json.loads(m.read_text()); r['epochs_done'] = r['epochs']; r['final'] = True
        else:
            r = interim(run, root.name)
            if r is None: continue
            r['final'] = False
        r['seed'], r['precision'] = run.name, precision_of(run); runs.append(r)
    return runs

def ms(v:list) -> str: return (f'{statistics.mean(v):.3f} ± {statistics.stdev(v):.3f}' if len(v) > 1 else f'{v[0]:.3f}') if v else 'n/a'

def main():
    torch.set_num_threads(1)
    out, md = {}, ['| data set | seeds (epochs done) | precision | test AUC (ours) | test ACC (ours) | paper AUC / ACC |', '|---|---|---|---|---|---|']
    for ds, (pa, pc) in paper_numbers().items():
        runs = runs_of(HERE/ds)
        aucs = [r['best']['test']['auc'] for r in runs]; accs = [r['best']['test']['acc'] for r in runs]
        done = ', '.join(f"{r['seed']} ({r['epochs_done']}/100{'' if r['final'] else ', interim'})" for r in runs) or 'not run'
        md.append(f"| {ds} | {done} | {', '.join(sorted({r['precision'] for r in runs})) or '-'} | {ms(aucs)} | {ms(accs)} | {pa:.3f} / {pc:.3f} |")
        out[ds] = {'paper': {'auc': pa, 'acc': pc}, 'runs': runs, 'test_auc': aucs, 'test_acc': accs}
    # accuracy parity: the same recipe and seeds under precision='auto' against the fp32 runs
    md += ['', '**Precision parity, BreastMNIST** (finished runs only; same recipe and seeds, `auto` = bf16 autocast + channels-last on this CPU):', '',
           '| precision | seeds | test AUC | test ACC | train seconds, per seed |', '|---|---|---|---|---|']
    parity = {}
    for name, root in (('fp32', HERE/'breastmnist'), ('auto', PARITY/'breastmnist')):
        runs = [r for r in runs_of(root) if r['final']]
        parity[name] = {'seeds': [r['seed'] for r in runs], 'test_auc': [r['best']['test']['auc'] for r in runs],
                        'test_acc': [r['best']['test']['acc'] for r in runs], 'train_seconds': [r['train_seconds'] for r in runs],
                        'precision': sorted({r['precision'] for r in runs})}
        p = parity[name]
        md.append(f"| {name} ({', '.join(p['precision'])}) | {', '.join(p['seeds']) or 'none yet'} | {ms(p['test_auc'])} | {ms(p['test_acc'])} | {' / '.join(f'{t:.0f}' for t in p['train_seconds']) or '-'} |")
    f, a = parity['fp32'], parity['auto']
    if len(f['test_auc']) > 1 and len(a['test_auc']) > 1:
        for m in ('test_auc', 'test_acc'):
            d, sd = statistics.mean(a[m]) - statistics.mean(f[m]), max(statistics.stdev(f[m]), statistics.stdev(a[m]))
            parity[f'{m}_diff'] = {'auto_minus_fp32': d, 'larger_sd': sd, 'within_seed_spread': abs(d) <= sd}
        md += ['', 'Difference of means, auto − fp32: ' + '; '.join(
            f"test {m[5:].upper()} {parity[f'{m}_diff']['auto_minus_fp32']:+.3f} "
            f"({'within' if parity[f'{m}_diff']['within_seed_spread'] else 'outside'} the larger seed sd, {parity[f'{m}_diff']['larger_sd']:.3f})"
            for m in ('test_auc', 'test_acc')) + '.']
    md += ['', 'Train seconds depend on what else ran on the machine (the fp32 runs shared the two cores with two other runs in an '
           'earlier session): `benchmarks/results/train_throughput.json` is the speed comparison, measured in one process.']
    out['parity_breastmnist'] = parity
    from medstudy.core import atomic_write_json, atomic_write
    atomic_write_json(HERE/'summary.json', out); atomic_write(HERE/'summary.md', '\n'.join(md) + '\n')
    print('\n'.join(md))

if __name__ == '__main__': main()
