"""Seconds per training step (forward + backward + optimiser step) of the offline default CLIP pair
(EfficientNet-Lite0 + all-MiniLM-L6-v2, heads to 512, symmetric InfoNCE, AdamW) on real PneumoniaMNIST
batches with their label prompts, at 224 px and 64 px, and the peak RSS of each configuration.

Wall time depends on what else runs on the machine, so each step's CPU time (all threads) and the load
average are recorded too. Each size runs in its own process, so each peak RSS belongs to that configuration alone. Batches are
prepared (loaded, resized, tokenised) before the clock starts: the numbers are the model's step only.

    python benchmarks/train_step.py [--sizes 224 64] [--bs 32] [--steps 5] [--warmup 2] [--threads N]
"""
import argparse, json, os, sys, platform, resource, statistics, subprocess, time
from pathlib import Path

def machine() -> dict:
    "What the numbers were measured on (load average included: the CPU may be shared)."
    import torch
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor()) \
        if os.path.exists('/proc/cpuinfo') else platform.processor()
    return {'platform': platform.platform(), 'cpu': cpu, 'cpus': os.cpu_count(), 'torch_threads': torch.get_num_threads(),
            'cuda': torch.cuda.get_device_name(0) if torch.cuda.is_available() else None, 'python': sys.version.split()[0],
            'loadavg_1m': os.getloadavg()[0] if hasattr(os, 'getloadavg') else None}

def peak_rss_mb() -> float:
    "Peak resident set size of this process, in MiB (Linux reports KiB)."
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def one(size:int, bs:int, steps:int, warmup:int, threads:int|None) -> dict:
    "Time `steps` training steps at `size` px in this process."
    os.environ.setdefault('HF_HUB_OFFLINE', '1'); os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
    import torch
    if threads: torch.set_num_threads(threads)
    from medstudy.core import seed_everything, get_device
    from medstudy.data import medmnist_dls, label_prompts
    from medstudy.encoders import image_encoder, text_encoder, ImageTextModel
    from medstudy.losses import InfoNCELoss
    seed_everything(0, deterministic=False)
    dev = get_device()
    img = image_encoder(in_chans=1, img_size=size)
    model = ImageTextModel(img, text_encoder(), proj_dim=512).to(dev).train()
    loss_fn = InfoNCELoss()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5, weight_decay=0.1)
    dls = medmnist_dls('pneumoniamnist', bs=bs, augment=False, device=dev, **img.data_kwargs)
    batches = []
    for i, (xb, yb) in zip(range(steps + warmup), dls.train):
        texts = [label_prompts('pneumoniamnist', int(y))[(i + j) % 5] for j, y in enumerate(yb)]
        tok = {k: v.to(dev) for k, v in model.text_encoder.tokenize(texts).items()}
        batches.append((xb.as_subclass(torch.Tensor), tok, yb.as_subclass(torch.Tensor)))
    sync = (lambda: torch.cuda.synchronize()) if dev.type == 'cuda' else (lambda: None)
    times, cpu, losses = [], [], []
    for i, (xb, tok, yb) in enumerate(batches):
        sync(); t, c = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb, **tok), yb)
        loss.backward(); opt.step()
        sync(); dt, dc = time.perf_counter() - t, time.process_time() - c
        if i >= warmup: times.append(dt); cpu.append(dc); losses.append(loss.item())
    return {'img_size': size, 'batch_size': bs, 'input_shape': list(batches[0][0].shape), 'text_tokens': list(batches[0][1]['input_ids'].shape),
            'steps_timed': len(times), 'warmup_steps': warmup, 'device': str(dev),
            'sec_per_step_median': round(statistics.median(times), 3), 'sec_per_step_mean': round(statistics.mean(times), 3),
            'sec_per_step_min': round(min(times), 3), 'images_per_s': round(bs / statistics.median(times), 1),
            # CPU seconds the process used per step (all threads): robust to other processes sharing the CPU
            'cpu_sec_per_step_median': round(statistics.median(cpu), 3),
            'loss_first_last': [round(losses[0], 4), round(losses[-1], 4)],
            'params_trainable': sum(p.numel() for p in model.parameters() if p.requires_grad),
            'peak_rss_mb': round(peak_rss_mb(), 1), 'machine': machine()}

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--sizes', type=int, nargs='+', default=[224, 64]); p.add_argument('--bs', type=int, default=32)
    p.add_argument('--steps', type=int, default=5); p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--threads', type=int, default=None, help='torch intra-op threads (default: torch\'s choice)')
    p.add_argument('--one', type=int, default=None, help=argparse.SUPPRESS)  # internal: run one size, print JSON
    a = p.parse_args()
    if a.one is not None:
        print('RESULT ' + json.dumps(one(a.one, a.bs, a.steps, a.warmup, a.threads))); return
    runs = []
    for s in a.sizes:
        cmd = [sys.executable, __file__, '--one', str(s), '--bs', str(a.bs), '--steps', str(a.steps), '--warmup', str(a.warmup)] \
              + (['--threads', str(a.threads)] if a.threads else [])
        r = subprocess.run(cmd, capture_output=True, text=True)
        line = next((l for l in r.stdout.splitlines() if l.startswith('RESULT ')), None)
        if r.returncode or line is None: sys.exit(f'the {s}-px run failed:\n{r.stderr[-3000:]}')
        runs.append(json.loads(line[7:]))
        print(f"{s:>4} px, batch {a.bs}: {runs[-1]['sec_per_step_median']:.3f} s/step (median of {a.steps}; "
              f"{runs[-1]['cpu_sec_per_step_median']:.3f} CPU s/step, load average {runs[-1]['machine']['loadavg_1m']:.1f}), "
              f"peak RSS {runs[-1]['peak_rss_mb']:.0f} MiB", flush=True)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from medstudy.core import package_versions, git_state, now_iso, atomic_write_json
    out = {'benchmark': 'train_step', 'when': now_iso(), 'machine': runs[0]['machine'],
           'versions': package_versions(('medstudy', 'torch', 'timm', 'transformers', 'fastai', 'numpy')), 'git': git_state(),
           'model': 'ImageTextModel(image_encoder("tf_efficientnet_lite0", in_chans=1), text_encoder("all-MiniLM-L6-v2"), proj_dim=512)',
           'objective': 'InfoNCELoss (symmetric, learnable temperature), AdamW',
           'data': 'pneumoniamnist train (28 px, resized on the batch), one label prompt per image',
           'runs': [{k: v for k, v in r.items() if k != 'machine'} | {'loadavg_1m': r['machine']['loadavg_1m']} for r in runs]}
    path = atomic_write_json(Path(__file__).resolve().parent/'results'/'train_step.json', out)
    print(json.dumps(out['runs'], indent=2)); print(f'saved {path}')

if __name__ == '__main__': main()
