"""Training throughput of our fastai Learner under the precision policy against a plain fp32 PyTorch loop.

Four training steps of the study, each on real batches:
  (a) MedMNIST's ResNet-18 (28), batch 128, cross-entropy, Adam 1e-3. The peer is a plain loop written as
      MedMNIST's own `train_and_eval_pytorch.py` trains (forward, loss, backward, optimiser step, fp32).
  (b) The offline CLIP pair, EfficientNet-Lite0 + all-MiniLM-L6-v2 at 64 px, batch 32, InfoNCE on label prompts.
  (c) The ViT-Tiny MAE of S2 at 28 px (4-px patches, 75% masked), batch 128.
  (d) One report-pretraining step of the chest X-ray track: the offline CLIP pair at 128 px, batch 32, InfoNCE on each
      covid-cxr X-ray's own clinical note (needs ../shared/data on the data search path: MEDSTUDY_DATA; skipped otherwise).
Variants, interleaved in one process (rep 1: every variant, rep 2: every variant, ...): `plain_fp32` (the peer),
`learner_fp32`, `learner_bf16` (forced, to show what the policy weighs), `learner_auto` (`precision='auto'`,
what `train` does) and, for the cases given to `--compile` (default a, b, c), `learner_auto_compiled` (the same with the
model compiled in place by `torch.compile`, inductor; its compilation falls in the first rep's warm-up steps and is
reported apart as `first_warmup_seconds`). Case (d) is left out of `--compile` by default: on a 2-core AMD EPYC
(one thread) inductor had not finished compiling its Lite0 + MiniLM step after 30 minutes. The JSON is written after
every case, so a stopped run keeps the cases it finished. Each variant times `--steps` training steps after `--warmup` steps; the figure is the median
step over the repeats. Each step's wall and CPU time (the process's, all threads) are recorded: on a machine shared with other jobs
the CPU-time ratio is the fairer one. Achieved GFLOP/s = FLOPs of one fp32 training step (torch.utils.flop_counter, forward +
backward) / seconds per step. The machine (CPU model, flags, threads, load) and versions go into the JSON.

    python benchmarks/train_throughput.py [--cases a b c] [--reps 3] [--steps 4] [--warmup 2] [--threads 1]
"""
import argparse, copy, os, statistics, sys, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault('HF_HUB_OFFLINE', '1'); os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
from fastai.callback.core import Callback, CancelEpochException
from medstudy.core import seed_everything, cpu_info
from medstudy.train import TrainConfig, run_data, run_source_data, objective_model, model_data_kwargs, text_length
from medstudy.data import class_prompts
from medstudy.learner import (classifier_learner, contrastive_learner, pretrain_learner, classifier_model, task_loss,
                              precision_policy, LabelPrompts, get_recipe)
from _common import save

CASES = {
    'a': dict(name='resnet18_28_ce', cfg=dict(dataset='pneumoniamnist', objective='ce', image_encoder='resnet18', bs=128)),
    'b': dict(name='lite0_minilm_infonce_64', cfg=dict(dataset='pneumoniamnist', objective='infonce', image_encoder='tf_efficientnet_lite0',
                                                     pretrained=True, img_size=64, bs=32, recipe='s0')),
    'c': dict(name='vit_tiny_mae_28', cfg=dict(dataset='pneumoniamnist', objective='mae', image_encoder='vit_tiny_mae', bs=128, recipe='mgca')),
    'd': dict(name='lite0_minilm_infonce_covid_cxr_128', cfg=dict(dataset='covid-cxr', objective='infonce', bs=32)),
}

class StepTimer(Callback):
    "Times training steps `warmup`..`warmup+steps-1` of one epoch, then cancels the epoch (no validation)."
    order = 99
    def __init__(self, warmup, steps, dev='cpu'): self.warmup, self.steps, self.times, self.dev = warmup, steps, [], dev
    def before_batch(self):
        if self.training: _sync(self.dev); self.t = (time.perf_counter(), time.process_time())
    def after_batch(self):
        if not self.training: return
        _sync(self.dev)
        if self.iter >= self.warmup: self.times.append((time.perf_counter() - self.t[0], time.process_time() - self.t[1]))
        if len(self.times) >= self.steps: raise CancelEpochException()

def build(case:dict, dev):
    "The case's config, data on `dev`, a factory of identical fresh models on `dev`, the loss and the texts (contrastive cases)."
    cfg = TrainConfig(**case['cfg'], progress=False).validated()
    seed_everything(0)
    data = run_source_data(cfg)
    if cfg.objective == 'ce':
        dls, kind, n_out, ch, _ = run_data(cfg, dev, data=data)
        base, loss = classifier_model('resnet18', n_out, ch, False, True), task_loss(kind)
    else:
        base, loss = objective_model(cfg, data)
        dk = model_data_kwargs(base)
        dls, kind, n_out, ch, _ = run_data(cfg, dev, mean=dk['mean'], std=dk['std'], data=data)
    base = base.to(dev); loss.to(dev)  # in place: fastai's BaseLoss.to returns None
    texts = None if cfg.family != 'contrastive' else [[t] for t in data.texts] if cfg.reports else class_prompts(cfg.flags[0])
    return cfg, dls, kind, n_out, (lambda: copy.deepcopy(base)), loss, texts

def plain_step_fn(cfg, model, loss, prompts_cb):
    "One fp32 training step as a plain PyTorch loop writes it."
    r = get_recipe(cfg.recipe)
    opt = torch.optim.Adam(model.parameters(), lr=r.lr) if cfg.objective == 'ce' else torch.optim.AdamW(model.parameters(), lr=r.lr)
    def step(xb, yb):
        opt.zero_grad(set_to_none=True)
        if prompts_cb is not None:
            t = torch.randint(prompts_cb.ids.shape[1], (len(yb),)); y = yb.long().cpu()
            out = model(xb, prompts_cb.ids[y, t].to(xb.device), prompts_cb.mask[y, t].to(xb.device))
        else: out = model(xb)
        l = loss(out, yb); l.backward(); opt.step()
        return l
    return step

def _sync(dev):
    if torch.device(dev).type == 'cuda': torch.cuda.synchronize()

def time_plain(cfg, dls, model, loss, prompts_cb, warmup, steps, dev):
    model.train(); step = plain_step_fn(cfg, model, loss, prompts_cb); times = []
    for i, (xb, yb) in enumerate(dls.train):
        xb, yb = xb.as_subclass(torch.Tensor), yb.as_subclass(torch.Tensor)
        _sync(dev); t, c = time.perf_counter(), time.process_time(); step(xb, yb); _sync(dev)
        if i >= warmup: times.append((time.perf_counter() - t, time.process_time() - c))
        if len(times) >= steps: break
    return times

def learner_for(cfg, dls, kind, n_out, model, loss, precision, timer, dev, texts=None):
    kw = dict(path=Path(os.environ.get('TMPDIR', '/tmp'))/'medstudy_bench', checkpoint=False, history=False, monitor=None,
              precision=precision_policy(precision, dev, cfg.image_encoder), cbs=[timer], recipe=cfg.recipe, device=dev)
    if cfg.objective == 'ce': return classifier_learner(dls, kind, n_out, model=model, **kw)
    if cfg.objective == 'mae': return pretrain_learner(dls, model, loss, **kw)
    return contrastive_learner(dls, model, loss, texts, max_length=text_length(model.text_encoder.tokenizer, texts, cfg.max_length), **kw)

def time_learner(learn, timer):
    timer.times = []
    with learn.no_bar(), learn.no_logging(): learn.fit(1, reset_opt=False)
    return list(timer.times)

def flops_per_step(cfg, dls, model, loss, prompts_cb) -> float:
    from torch.utils.flop_counter import FlopCounterMode
    xb, yb = next(iter(dls.train)); xb, yb = xb.as_subclass(torch.Tensor), yb.as_subclass(torch.Tensor)
    step = plain_step_fn(cfg, model, loss, prompts_cb)
    with FlopCounterMode(display=False) as fc: step(xb, yb)
    return fc.get_total_flops()

def run_case(key, reps, warmup, steps, dev, compile_=False):
    case = CASES[key]
    cfg, dls, kind, n_out, fresh, loss, texts = build(case, dev)
    prompts_cb = None
    if texts is not None:  # the same tokenised texts as the learner's `LabelPrompts`
        tok = fresh().text_encoder.tokenizer
        prompts_cb = LabelPrompts(tok, texts, text_length(tok, texts, cfg.max_length))
    flops = flops_per_step(cfg, dls, fresh(), loss, prompts_cb)
    variants = ['plain_fp32', 'learner_fp32', 'learner_bf16', 'learner_auto'] + (['learner_auto_compiled'] if compile_ else [])
    if dev.type == 'cpu' and not cpu_info()['bf16']: variants.remove('learner_bf16')  # emulated bf16: no reason to time it
    if dev.type == 'cuda' and not torch.cuda.is_bf16_supported(): variants.remove('learner_bf16')
    models = {v: fresh() for v in variants}
    learners, timers, first = {}, {}, {}
    for v in variants[1:]:
        timers[v] = StepTimer(warmup, steps, dev)
        learners[v] = learner_for(cfg, dls, kind, n_out, models[v], loss, v.split('_')[1], timers[v], dev, texts)
        if v.endswith('_compiled'): learners[v].model.compile()  # in place: the state dict (checkpoints) keeps its keys
    times = {v: [] for v in variants}
    for r in range(reps):
        for v in variants:
            t0 = time.perf_counter()
            t = time_plain(cfg, dls, models[v], loss, prompts_cb, warmup, steps, dev) if v == 'plain_fp32' else time_learner(learners[v], timers[v])
            if r == 0: first[v] = round(time.perf_counter() - t0 - sum(w for w, _ in t), 1)
            times[v] += t
            print(f'  {case["name"]} rep {r + 1}/{reps} {v}: {statistics.median(w for w, _ in t):.3f} s/step', flush=True)
    bs = cfg.bs
    out = {'case': key, 'name': case['name'], 'config': case['cfg'], 'batch_size': bs, 'fp32_gflop_per_step': round(flops / 1e9, 2),
           'device': str(dev), 'policy_auto': precision_policy('auto', dev, cfg.image_encoder), 'variants': {}}
    for v, t in times.items():
        s, c = statistics.median(w for w, _ in t), statistics.median(c for _, c in t)
        out['variants'][v] = {'sec_per_step_median': round(s, 4), 'cpu_sec_per_step_median': round(c, 4), 'images_per_s': round(bs / s, 1),
                              'achieved_gflop_s': round(flops / 1e9 / s, 1), 'steps_timed': len(t), 'first_warmup_seconds': first[v]}
    base, cbase = (out['variants']['plain_fp32'][k] for k in ('sec_per_step_median', 'cpu_sec_per_step_median'))
    for v, d in out['variants'].items():  # wall-time ratio, and the CPU-time ratio (robust to other processes on a shared machine)
        d['speedup_vs_plain_fp32'] = round(base / d['sec_per_step_median'], 2)
        d['cpu_speedup_vs_plain_fp32'] = round(cbase / d['cpu_sec_per_step_median'], 2)
    return out

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--cases', nargs='+', default=list(CASES), choices=list(CASES))
    p.add_argument('--reps', type=int, default=3); p.add_argument('--steps', type=int, default=4); p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--threads', type=int, default=1, help='torch threads (default 1: one run per core, as the study runs)')
    p.add_argument('--device', default='cpu', help="'cpu' (default), 'cuda', 'auto'")
    p.add_argument('--name', default='train_throughput', help='results file: benchmarks/results/<name>.json')
    p.add_argument('--compile', nargs='*', default=['a', 'b', 'c'], choices=list(CASES), help='cases that also time torch.compile')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    from medstudy.core import get_device, device_name
    dev = get_device(a.device)
    t0 = time.time(); load0 = os.getloadavg()[0]
    results = []
    def _save():  # after every case: a stopped run keeps what it finished
        save(a.name, {'device': str(dev), 'device_name': device_name(dev), 'cpu': cpu_info(), 'threads': a.threads, 'reps': a.reps,
                      'steps': a.steps, 'warmup': a.warmup, 'loadavg_1m_start_end': [round(load0, 2), round(os.getloadavg()[0], 2)],
                      'wall_seconds': round(time.time() - t0, 1), 'compiled_cases': a.compile, 'cases': results})
    for k in a.cases:
        try: results.append(run_case(k, a.reps, a.warmup, a.steps, dev, k in a.compile))
        except FileNotFoundError as e:  # (d) without ../shared/data
            print(f'case {k} skipped: {e}', flush=True); results.append({'case': k, 'name': CASES[k]['name'], 'skipped': str(e)}); _save(); continue
        _save()
        v = results[-1]['variants']
        print(f"{results[-1]['name']}: " + ', '.join(f"{n} {d['images_per_s']} img/s (x{d['speedup_vs_plain_fp32']} wall, "
                                                   f"x{d['cpu_speedup_vs_plain_fp32']} CPU)" for n, d in v.items()), flush=True)


if __name__ == '__main__': main()
