"""Overhead of our fastai `Learner` over a plain PyTorch loop.

The same model (MedMNIST's ResNet-18 (28)), the same data (BreastMNIST train/val through the same
fastai `DataLoader`s), the same optimiser (torch.optim.Adam, lr 1e-3) and the same work per epoch (one
training pass, one validation pass with loss, AUC and ACC by medmnist's evaluator) are timed as:

- `plain`: a hand-written PyTorch loop;
- `learner`: `classifier_learner(...)` with the NaN guard, metrics and progress callbacks, no files written;
- `learner+files`: the same plus the run callbacks (best model, history.csv, a full checkpoint every epoch).

Repetitions alternate the variants so that load from other processes hits all of them alike; the median
per variant is reported, of wall time and of the process's CPU time. On a machine shared with other jobs
the CPU time is the fair measure (with one torch thread it counts this process's work, not the waiting);
on a quiet machine the two agree. Usage: `python benchmarks/loop_overhead.py [--dataset breastmnist] [--reps 3]`.
Writes `benchmarks/results/loop_overhead.json` with machine, load and versions.
"""
import os, sys, time, json, argparse, platform, socket, statistics, tempfile
from pathlib import Path
import numpy as np, torch, torch.nn.functional as F

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--dataset', default='breastmnist'); ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--bs', type=int, default=128); ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--arch', default='resnet18')
    ap.add_argument('--out', default=str(Path(__file__).parent/'results'/'loop_overhead.json'))
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    from medstudy.core import seed_everything, package_versions, git_state, now_iso
    from medstudy.data import medmnist_dls, task_info
    from medstudy.learner import classifier_learner, classifier_model, scores, Recipe
    from medstudy.metrics import medmnist_auc as auc, medmnist_acc as acc
    info = task_info(a.dataset)

    def fresh(seed=0):
        seed_everything(seed)
        dls = medmnist_dls(a.dataset, seed=seed, bs=a.bs, augment=False, device='cpu')
        return dls, classifier_model(a.arch, info.n_classes, info.n_channels)

    def plain():
        dls, model = fresh()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        t, c = time.perf_counter(), time.process_time()
        model.train()
        for x, y in dls.train:
            x, y = x.as_subclass(torch.Tensor), y.as_subclass(torch.Tensor)  # plain tensors, as a plain loop has
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(); loss.backward(); opt.step()
        model.eval(); outs, ys, losses = [], [], []
        with torch.no_grad():
            for x, y in dls.valid:
                x, y = x.as_subclass(torch.Tensor), y.as_subclass(torch.Tensor)
                o = model(x); outs.append(o); ys.append(y); losses.append(F.cross_entropy(o, y, reduction='sum'))
        o, y = torch.cat(outs), torch.cat(ys)
        res = [float(sum(losses) / len(y)), auc(y.numpy(), scores(o, info.kind).numpy(), info.kind),
               acc(y.numpy(), scores(o, info.kind).numpy(), info.kind)]
        return time.perf_counter() - t, time.process_time() - c, res

    def learner(files):
        dls, model = fresh()
        with tempfile.TemporaryDirectory() as d:
            # constant 1e-3: the plain loop's lr (the medmnist recipe would decay it within a 1-epoch fit)
            r = Recipe('adam', 1e-3, 0., 'const')
            learn = classifier_learner(dls, info.kind, info.n_classes, model=model, path=d, checkpoint=files,
                                       history=files, monitor='auc' if files else None, recipe=r)
            t, c = time.perf_counter(), time.process_time()
            with learn.no_logging(): learn.fit_recipe(1, r)  # ParamScheduler sets the (constant) lr every batch
            return time.perf_counter() - t, time.process_time() - c, [float(v) for v in learn.recorder.values[-1][1:]]

    variants = {'plain': plain, 'learner': lambda: learner(False), 'learner+files': lambda: learner(True)}
    times, cpu, results = {k: [] for k in variants}, {k: [] for k in variants}, {}
    load_before = os.getloadavg()
    for r in range(a.reps):
        order = list(variants) if r % 2 == 0 else list(variants)[::-1]
        for k in order:
            s, cs, res = variants[k](); times[k].append(s); cpu[k].append(cs); results[k] = res
            print(f'rep {r} {k:14s} {s:7.2f} s wall {cs:7.2f} s CPU  val loss/auc/acc {np.round(res, 4).tolist()}', flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    medc = {k: statistics.median(v) for k, v in cpu.items()}
    out = {'what': 'one epoch (train + validation with AUC/ACC), median over repetitions', 'dataset': a.dataset,
           'arch': a.arch, 'bs': a.bs, 'threads': a.threads, 'reps': a.reps, 'seconds': times, 'median_s': med,
           'overhead_pct': {k: round(100 * (med[k] / med['plain'] - 1), 2) for k in ('learner', 'learner+files')},
           'cpu_seconds': cpu, 'median_cpu_s': medc,
           'overhead_pct_cpu': {k: round(100 * (medc[k] / medc['plain'] - 1), 2) for k in ('learner', 'learner+files')},
           'same_validation_results': {k: results[k] for k in results},
           'machine': {'host': socket.gethostname(), 'platform': platform.platform(), 'cpus': os.cpu_count(),
                       'processor': platform.processor(), 'loadavg_before': load_before, 'loadavg_after': os.getloadavg()},
           'versions': package_versions(), 'python': sys.version.split()[0], 'git': git_state(), 'time': now_iso()}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    from medstudy.core import atomic_write_json; atomic_write_json(a.out, out)
    print(json.dumps({k: out[k] for k in ('median_s', 'overhead_pct', 'median_cpu_s', 'overhead_pct_cpu')}, indent=1))
    return out

if __name__ == '__main__': main()
