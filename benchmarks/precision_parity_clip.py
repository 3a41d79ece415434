"""Accuracy parity of bf16 autocast for a contrastive objective on the CPU (issue #14).

The precision policy keeps EfficientNet-Lite0 (and ViTs) in fp32 on a CPU, because bf16 did not make their step faster
on the Intel Xeon it was first measured on. On an AMD EPYC with native bfloat16 (no AMX) bf16 makes the Lite0 + MiniLM
CLIP step about 1.3x faster, so before `CPU_BF16_GAINS` may be widened for such CPUs, bf16 has to be shown to train
to the same accuracy: the similarity logits of InfoNCE are computed under autocast.

This script retrains the study's S1 CLIP runs (`s1_clip_multidataset`, cpu profile: PneumoniaMNIST + BreastMNIST +
RetinaMNIST, Lite0 + MiniLM at 64 px, S1's recipe, 2 epochs, seeds 0-2) with `precision='bf16'` and everything else
read from the committed fp32 runs' `params.json`, evaluates them with `evaluate_run` (same bootstrap, probe strengths and
S1 head), and compares joined test AUC / ACC of the zero-shot ensemble, the logistic-regression probe and S1's head:
the bf16 - fp32 difference of the seed means against the larger of the two seed standard deviations.
Runs go to `runs/parity_clip/bf16/seed<N>` (resumable: an interrupted run continues from its checkpoint).

    OMP_NUM_THREADS=1 MEDSTUDY_DATA=../shared/data python benchmarks/precision_parity_clip.py [--seeds 0 1 2]
"""
import argparse, json, os, statistics, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault('HF_HUB_OFFLINE', '1'); os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
from medstudy.train import TrainConfig, train
from medstudy.evaluate import evaluate_run
from _common import save

ROOT = Path(__file__).resolve().parents[1]
FP32 = ROOT/'results/study/cpu/s1_clip_multidataset/clip'
HEADS = {'zero_shot': ('zero_shot', 'ensemble'), 'linear_probe': ('linear_probe', 'all'), 's1_head': ('s1_head', 'all')}

def joined(ev:dict, head:str) -> dict:
    a, b = HEADS[head]; m = ev[a][b]['metrics']
    return {'auc': m['auc'], 'acc': m['acc']}

def bf16_run(seed:int, out:Path) -> dict:
    "Train (or finish) and evaluate the bf16 twin of the fp32 run of `seed`; its `eval.json`."
    p = json.loads((FP32/f'seed{seed}'/'params.json').read_text())
    assert p['precision'] == 'auto' and p['seed'] == seed, p
    run = out/f'seed{seed}'
    if not (run/'eval.json').exists():
        p.update(precision='bf16', out_dir=str(run), resume='auto', progress=False)
        t0 = time.time(); train(TrainConfig(**p)); print(f'seed {seed}: trained in {time.time() - t0:.0f} s', flush=True)
        evaluate_run(run)
    return json.loads((run/'eval.json').read_text())

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--out', default=str(ROOT/'runs/parity_clip/bf16'))
    a = ap.parse_args()
    rows, evs = [], {}
    for s in a.seeds:
        evs[s] = {'bf16': bf16_run(s, Path(a.out)), 'fp32': json.loads((FP32/f'seed{s}'/'eval.json').read_text())}
    table = {}
    for head in HEADS:
        for m in ('auc', 'acc'):
            v = {arm: [joined(evs[s][arm], head)[m] for s in a.seeds] for arm in ('fp32', 'bf16')}
            sd = max(statistics.stdev(x) if len(x) > 1 else 0. for x in v.values())
            d = statistics.mean(v['bf16']) - statistics.mean(v['fp32'])
            table[f'{head}_{m}'] = {'fp32': v['fp32'], 'bf16': v['bf16'], 'bf16_minus_fp32': d, 'larger_seed_sd': sd,
                                    'within_seed_spread': abs(d) <= sd}
            print(f'{head:13s} {m}: fp32 {statistics.mean(v["fp32"]):.4f}  bf16 {statistics.mean(v["bf16"]):.4f}  '
                  f'diff {d:+.4f}  larger sd {sd:.4f}', flush=True)
    prov = {s: evs[s]['bf16']['provenance'] for s in a.seeds}
    save('precision_parity_clip', {'what': 's1_clip_multidataset cpu runs (fp32, committed) vs the same runs in bf16; joined test split',
                                   'seeds': a.seeds, 'fp32_runs': str(FP32.relative_to(ROOT)), 'bf16_runs': a.out,
                                   'table': table, 'bf16_provenance': {str(k): {'commit': v['git']['commit'], 'start': v['start'], 'end': v['end']} for k, v in prov.items()}})

if __name__ == '__main__': main()
