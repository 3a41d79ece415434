"""Images per second of the image-report input pipeline against a plain `datasets` + torchvision DataLoader.

Both read the same covid-cxr images (PNG, up to 384 px a side) and give normalised float batches of 32 grey
images at `--size` px, in the same process, interleaved per repeat:
  ours:  `medstudy.sources.covid_cxr_pairs` decodes every image once (central square, resized, uint8 in memory);
         each epoch is then `split_dls` batches (one gather and one fused normalise per batch).
  peer:  a `datasets.Dataset` of the image files with a torchvision transform per item (Grayscale, Resize,
         CenterCrop, ToTensor, Normalize) in a `torch.utils.data.DataLoader` (num_workers=0, as on this 2-core CPU).
Reported: images/s of one epoch for each (ours without and with its one-off decode spread over `--epochs` epochs),
and the ratio. The machine (CPU model, flags, threads, load) and versions go into the JSON.

    python benchmarks/cxr_pipeline.py [--size 128] [--epochs 10] [--reps 3]
"""
import argparse, os, statistics, sys, time
from pathlib import Path
import numpy as np, torch
sys.path.insert(0, str(Path(__file__).resolve().parent))
from medstudy.core import find_data
from medstudy.sources import covid_cxr_pairs, patient_split, pairs_splits, COVID_CXR
from medstudy.data import split_dls
from _common import save

def ours_decode(size):
    t = time.perf_counter(); pairs = covid_cxr_pairs(img_size=size); return pairs, time.perf_counter() - t

def ours_epoch(pairs, size, bs):
    dls = split_dls({'train': pairs_splits(pairs, {'train': np.arange(len(pairs))})['train']}, bs=bs, n_channels=1, augment=False)
    t, n = time.perf_counter(), 0
    for xb, yb in dls.train: n += len(xb)
    return n, time.perf_counter() - t

def peer_loader(size, bs):
    import datasets, pandas as pd
    from torchvision import transforms as T
    p = find_data(COVID_CXR); df = pd.read_csv(p); df = df[df.clinical_notes.fillna('').str.strip() != '']
    ds = datasets.Dataset.from_dict({'image': [str(p.parent/f) for f in df.image], 'text': list(df.clinical_notes)}).cast_column('image', datasets.Image())
    tf = T.Compose([T.Grayscale(), T.Resize(size), T.CenterCrop(size), T.ToTensor(), T.Normalize([0.5], [0.5])])
    ds.set_transform(lambda b: {'image': [tf(im) for im in b['image']], 'text': b['text']})
    return torch.utils.data.DataLoader(ds, batch_size=bs, shuffle=True, num_workers=0,
                                       collate_fn=lambda b: (torch.stack([o['image'] for o in b]), [o['text'] for o in b]))

def peer_epoch(dl):
    t, n = time.perf_counter(), 0
    for xb, _ in dl: n += len(xb)
    return n, time.perf_counter() - t

def main():
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument('--size', type=int, default=128); a.add_argument('--bs', type=int, default=32)
    a.add_argument('--epochs', type=int, default=10, help='epochs the one-off decode is spread over in the amortised figure')
    a.add_argument('--reps', type=int, default=3); a.add_argument('--threads', type=int, default=1)
    a = a.parse_args()
    if find_data(COVID_CXR) is None: sys.exit(f'covid-cxr not found (<data folder>/{COVID_CXR}); set MEDSTUDY_DATA to ../shared/data')
    torch.set_num_threads(a.threads)
    t0, load0 = time.time(), os.getloadavg()[0]
    peer = peer_loader(a.size, a.bs)
    rows = {'ours_epoch': [], 'ours_decode': [], 'peer_epoch': []}
    for r in range(a.reps):  # interleaved: each repeat times both
        pairs, dec = ours_decode(a.size); n, s = ours_epoch(pairs, a.size, a.bs)
        rows['ours_decode'].append(dec); rows['ours_epoch'].append(n / s)
        n2, s2 = peer_epoch(peer); rows['peer_epoch'].append(n2 / s2)
        print(f'rep {r + 1}/{a.reps}: ours {n / s:,.0f} img/s per epoch (decode once: {dec:.2f} s for {n} images), '
              f'peer {n2 / s2:,.0f} img/s', flush=True)
    n = len(pairs); med = {k: statistics.median(v) for k, v in rows.items()}
    amortised = n * a.epochs / (med['ours_decode'] + a.epochs * n / med['ours_epoch'])
    res = {'images': n, 'size': a.size, 'batch_size': a.bs, 'epochs_amortised': a.epochs, 'reps': a.reps,
           'ours_images_per_s_epoch': round(med['ours_epoch'], 1), 'ours_decode_seconds': round(med['ours_decode'], 3),
           'ours_images_per_s_amortised': round(amortised, 1), 'peer_images_per_s_epoch': round(med['peer_epoch'], 1),
           'ratio_epoch': round(med['ours_epoch'] / med['peer_epoch'], 1), 'ratio_amortised': round(amortised / med['peer_epoch'], 1),
           'raw': rows, 'loadavg_1m_start_end': [load0, os.getloadavg()[0]], 'wall_seconds': round(time.time() - t0, 1), 'threads': a.threads}
    print(f"ours {res['ours_images_per_s_epoch']:,} img/s per epoch ({res['ours_images_per_s_amortised']:,} with the decode spread over "
          f"{a.epochs} epochs) vs peer {res['peer_images_per_s_epoch']:,}: {res['ratio_epoch']}x ({res['ratio_amortised']}x amortised)")
    save('cxr_pipeline', res)

if __name__ == '__main__': main()
