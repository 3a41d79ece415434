"""Samples per second for one epoch of training batches (bs 128): medstudy's in-memory batch loader vs
`medmnist.<Dataset>(transform=ToTensor())` in a torch DataLoader, same machine, same run.

    python benchmarks/data_pipeline.py [--flag pneumoniamnist] [--repeats 3]
"""
import argparse, time
import torch, torchvision.transforms as T, medmnist
from medmnist import INFO
from medstudy.data import medmnist_dls, locate_npz
from _common import save

def epoch_rate(loader) -> float:
    "Images per second for one full pass over `loader`."
    n, t = 0, time.perf_counter()
    for xb, yb in loader: n += len(xb)
    return n / (time.perf_counter() - t)

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--flag', default='pneumoniamnist'); p.add_argument('--bs', type=int, default=128)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--threads', type=int, default=1, help='torch intra-op threads for both loaders (default 1: '
                   'batches this small gain nothing from more, and a shared machine makes threaded timings noisy)')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    root = str(locate_npz(a.flag).parent)
    ref_ds = getattr(medmnist, INFO[a.flag]['python_class'])(split='train', root=root, transform=T.ToTensor())
    ref = torch.utils.data.DataLoader(ref_ds, batch_size=a.bs, shuffle=True, num_workers=0)
    # Same work per batch as the reference: uint8 -> float in [0, 1], no augmentation or normalisation
    # beyond what ToTensor does; our loader also normalises, which only adds work to our side.
    ours = medmnist_dls(a.flag, bs=a.bs, augment=False).train
    best = lambda l: max(epoch_rate(l) for _ in range(a.repeats))
    r_ref, r_ours = best(ref), best(ours)
    save('data_pipeline', {'dataset': a.flag, 'threads': a.threads, 'batch_size': a.bs, 'repeats': a.repeats, 'images': len(ref_ds),
                           'reference': 'medmnist Dataset(transform=ToTensor()) + torch DataLoader(num_workers=0)',
                           'reference_samples_per_s': round(r_ref), 'medstudy_samples_per_s': round(r_ours),
                           'speedup': round(r_ours / r_ref, 1),
                           'medstudy_with_augmentation_samples_per_s': round(best(medmnist_dls(a.flag, bs=a.bs, augment=True).train))})

if __name__ == '__main__': main()
