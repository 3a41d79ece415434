# %% [markdown]
# # Data: MedMNIST
#
# > Official MedMNIST v2 files, checked against their published MD5s, held in memory as uint8 tensors and
# > served by fastai `DataLoaders` that transform whole batches at once.

# %%
#| default_exp data

# %% [markdown]
# MedMNIST v2 gives every data set as one `.npz` with `{train,val,test}_{images,labels}` arrays, and the
# `medmnist` package's `INFO` table records each file's URL, MD5, task type and label names. We read
# that table instead of copying it: the task type of every later stage (binary, multi-class, ordinal,
# multi-label) comes from here, not from a constant in a training script.
#
# Why not `medmnist`'s own `Dataset`? It turns every image into a PIL image and back, one at a time. The
# 28-px data sets fit in memory many times over, so we keep them as one uint8 tensor per split and gather
# a whole batch with a single indexing operation; augmentation and normalisation then run on the batch
# (on the GPU when there is one). `benchmarks/data_pipeline.py` measures what that buys.

# %%
#| export
from __future__ import annotations
import os, json, shutil, warnings
from pathlib import Path
from dataclasses import dataclass, field
import numpy as np, torch, torch.nn.functional as F
import medmnist
from medmnist import INFO
from fastai.data.load import DataLoader
from fastai.data.core import DataLoaders
from fastai.torch_core import TensorImage, TensorCategory, TensorMultiCategory
from fastai.data.transforms import IntToFloatTensor, Normalize
from fastai.vision.augment import aug_transforms
from fasttransform import Transform, Pipeline
from medstudy.core import find_data, data_search_path, cache_dir, md5sum, sha256_of, atomic_write_json

# %%
#| hide
from fastcore.test import *
from nbdev.showdoc import show_doc
import matplotlib.pyplot as plt, tempfile

# %% [markdown]
# ## Data sets and their tasks
#
# `task_info` turns a flag into what every stage needs to know about the task. An unknown flag is an
# error that lists the valid ones. MedMNIST's label names are terse (`'0'`…`'4'` for RetinaMNIST's
# diabetic-retinopathy grades), so `LABEL_TEXT` gives readable names where the raw ones would make poor
# text prompts, and `MODALITY` names each data set's imaging modality for the same reason.

# %%
#| export
TASK_KINDS = {'binary-class': 'binary', 'multi-class': 'multiclass', 'ordinal-regression': 'ordinal',
              'multi-label, binary-class': 'multilabel'}
SIZES = (28, 64, 128, 224)

MODALITY = {'pathmnist': 'colon pathology slide', 'chestmnist': 'chest X-ray', 'dermamnist': 'dermatoscopic image',
            'octmnist': 'retinal OCT scan', 'pneumoniamnist': 'chest X-ray', 'retinamnist': 'retinal fundus photograph',
            'breastmnist': 'breast ultrasound image', 'bloodmnist': 'blood cell microscopy image',
            'tissuemnist': 'kidney cortex microscopy image', 'organamnist': 'abdominal CT slice',
            'organcmnist': 'abdominal CT slice', 'organsmnist': 'abdominal CT slice'}

LABEL_TEXT = {
    'pneumoniamnist': ['normal lungs', 'pneumonia'],
    'breastmnist': ['a malignant tumour', 'normal or benign tissue'],
    'retinamnist': ['no diabetic retinopathy', 'mild diabetic retinopathy', 'moderate diabetic retinopathy',
                    'severe diabetic retinopathy', 'proliferative diabetic retinopathy'],
}

def medmnist_flags(dim:int=2) -> list[str]:
    "Flags of the MedMNIST v2 data sets with `dim` dimensions, from medmnist's INFO."
    return [k for k in INFO if k.endswith('3d') == (dim == 3)]

def check_flag(flag:str) -> str:
    "`flag` normalised to lower case; a clear error listing the valid flags if it is unknown or 3D."
    f = str(flag).lower().strip()
    if f not in medmnist_flags(2):
        raise ValueError(f'Unknown MedMNIST 2D data set {flag!r}. Valid flags: {", ".join(medmnist_flags(2))}.')
    return f

# %%
#| export
@dataclass
class TaskInfo:
    "What a stage needs to know about one MedMNIST data set's task."
    flag:str # MedMNIST flag, e.g. 'pneumoniamnist'
    task:str # medmnist's task string, e.g. 'binary-class'
    label_names:list # medmnist's names of the labels, in label order
    n_channels:int # 1 (grey) or 3 (RGB)
    n_samples:dict # split -> number of images
    modality:str # Imaging modality, used in text prompts

    @property
    def kind(self) -> str: return TASK_KINDS[self.task] # 'binary', 'multiclass', 'ordinal' or 'multilabel'
    @property
    def n_classes(self) -> int: return len(self.label_names)
    @property
    def label_text(self) -> list: return LABEL_TEXT.get(self.flag, self.label_names)

def task_info(flag:str) -> TaskInfo:
    "Task metadata of a MedMNIST 2D data set, read from medmnist's INFO."
    f = check_flag(flag); i = INFO[f]
    return TaskInfo(f, i['task'], [i['label'][str(k)] for k in range(len(i['label']))], i['n_channels'],
                    dict(i['n_samples']), MODALITY.get(f, 'medical image'))

# %%
show_doc(task_info)

# %%
ti = task_info('PneumoniaMNIST')
test_eq((ti.kind, ti.n_classes, ti.n_channels), ('binary', 2, 1))
test_eq(task_info('retinamnist').kind, 'ordinal')
test_eq(task_info('chestmnist').kind, 'multilabel')
test_fail(lambda: task_info('pneumonia'), contains='Valid flags: pathmnist')
test_fail(lambda: task_info('organmnist3d'), contains='Unknown MedMNIST 2D')
ti

# %% [markdown]
# ## Finding and verifying the file
#
# `locate_npz` looks for `medmnist/<flag>[_size].npz` along the data search path (see `core`). The file
# it finds is always checked against the MD5 in medmnist's INFO: a mismatch raises `ChecksumError` with
# both digests and is never used silently. When no copy exists it downloads one with medmnist into the
# cache folder, unless downloads are off (`download=False`, or the `MEDSTUDY_OFFLINE` environment
# variable) or the network is unreachable; then the error names the file, every folder searched, and how
# to supply it.

# %%
#| export
class ChecksumError(ValueError):
    "A data file's checksum differs from the published one."

def npz_name(flag:str, size:int=28) -> str:
    "File name medmnist gives a data set at `size` pixels: `flag.npz` (28) or `flag_<size>.npz`."
    if size not in SIZES: raise ValueError(f'MedMNIST size must be one of {SIZES}, got {size!r}.')
    return f'{check_flag(flag)}.npz' if size == 28 else f'{check_flag(flag)}_{size}.npz'

def expected_md5(flag:str, size:int=28) -> str:
    "The MD5 that medmnist's INFO publishes for the file."
    return INFO[check_flag(flag)]['MD5' if size == 28 else f'MD5_{size}']

def verify_md5(path:Path, expected:str) -> str:
    "Raise `ChecksumError` unless the MD5 of `path` is `expected`; return it."
    actual = md5sum(path)
    if actual != expected:
        raise ChecksumError(f'{path}: MD5 is {actual}, expected {expected} (medmnist INFO). The file is corrupt, '
                            f'truncated or another version: delete it and download it again, or put the official file '
                            f'in a data folder.')
    return actual

def _offline() -> bool: return os.environ.get('MEDSTUDY_OFFLINE', '').lower() not in ('', '0', 'false', 'no')

def _download(flag:str, size:int) -> Path:
    dest = cache_dir(create=True)/'medmnist'; dest.mkdir(exist_ok=True)
    cls = getattr(medmnist, INFO[flag]['python_class'])
    cls(split='train', root=str(dest), download=True, size=size)
    return dest/npz_name(flag, size)

def locate_npz(flag:str, # MedMNIST flag
               size:int=28, # Image size: 28, 64, 128 or 224
               download:bool|None=None, # Download with medmnist if missing; default: yes unless `MEDSTUDY_OFFLINE` is set
              ) -> Path:
    "Path of the verified official npz for `flag` at `size`, downloading it if allowed."
    name = npz_name(flag, size); flag = check_flag(flag)
    p = find_data(Path('medmnist')/name)
    if p is None:
        if download is None: download = not _offline()
        err = None
        if download:
            try: p = _download(flag, size)
            except Exception as e: err = e
        if p is None or not p.exists():
            why = f'the download failed ({type(err).__name__}: {err})' if err else 'downloads are off'
            folders = '\n  '.join(str(d) for d in data_search_path())
            raise FileNotFoundError(
                f'MedMNIST file {name} not found, and {why}. Folders searched (as <folder>/medmnist/{name} or '
                f'<folder>/{name}):\n  {folders}\nDownload it from {INFO[flag]["url" if size == 28 else f"url_{size}"]} '
                f'and put it in one of those folders, or add its folder to MEDSTUDY_DATA.')
    verify_md5(p, expected_md5(flag, size))
    return p

# %%
p = locate_npz('pneumoniamnist'); p

# %%
with tempfile.TemporaryDirectory() as d:
    bad = Path(d)/'pneumoniamnist.npz'; b = bytearray(p.read_bytes()); b[1000] ^= 0xFF; bad.write_bytes(bytes(b))
    old = os.environ.get('MEDSTUDY_DATA'); os.environ['MEDSTUDY_DATA'] = d
    try:
        test_fail(lambda: locate_npz('pneumoniamnist'), contains='expected 28209eda62fecd6e6a2d98b1501bb15f')
        test_fail(lambda: locate_npz('dermamnist', download=False), contains='dermamnist.npz not found, and downloads are off')
        test_fail(lambda: locate_npz('pneumoniamnist', size=32), contains='size must be one of')
    finally:
        if old is None: del os.environ['MEDSTUDY_DATA']
        else: os.environ['MEDSTUDY_DATA'] = old

# %% [markdown]
# ## Reading it into memory
#
# `read_npz` checks the file's structure (every split's image and label arrays present, matching
# lengths, the image size and channel count INFO promises) and returns one `MedMNISTSplit` per split:
# images as a uint8 tensor `[N, C, H, W]` and labels as an int64 tensor `[N, L]` exactly as stored
# (`L` = 1, or the number of labels for multi-label ChestMNIST). `targets` gives the training target:
# class indices `[N]` for single-label tasks, float multi-hot `[N, K]` for multi-label ones.

# %%
#| export
SPLITS = ('train', 'val', 'test')

@dataclass
class MedMNISTSplit:
    "One split of a data set in memory."
    images:torch.Tensor # uint8 [N, C, H, W]
    labels:torch.Tensor # int64 [N, L], as stored in the npz
    kind:str # task kind, see `TaskInfo.kind`
    def __len__(self): return len(self.images)
    @property
    def targets(self) -> torch.Tensor:
        "Class indices `[N]` (single-label) or float multi-hot `[N, K]` (multi-label)."
        return self.labels.float() if self.kind == 'multilabel' else self.labels[:, 0].long()

def read_npz(path:Path, # An official MedMNIST npz
             flag:str, # Its flag
             size:int=28, # Its image size
            ) -> dict:
    "Split name -> `MedMNISTSplit`, after checking keys, lengths and shapes against `task_info(flag)`."
    info = task_info(flag)
    with np.load(path) as z:
        missing = [f'{s}_{k}' for s in SPLITS for k in ('images', 'labels') if f'{s}_{k}' not in z.files]
        if missing: raise ValueError(f'{path}: not a MedMNIST npz, missing arrays {missing} (has {z.files}).')
        out = {}
        for s in SPLITS:
            x, y = z[f'{s}_images'], z[f'{s}_labels']
            want = (size, size) if info.n_channels == 1 else (size, size, 3)
            if x.shape[1:] != want or x.dtype != np.uint8:
                raise ValueError(f'{path}: {s}_images has shape {x.shape} and dtype {x.dtype}; expected '
                                 f'(N, {", ".join(map(str, want))}) uint8 for {flag} at size {size}.')
            if len(x) != len(y):
                raise ValueError(f'{path}: {s} has {len(x)} images but {len(y)} labels.')
            x = torch.from_numpy(np.ascontiguousarray(x))
            x = x[:, None] if x.ndim == 3 else x.permute(0, 3, 1, 2).contiguous()
            out[s] = MedMNISTSplit(x, torch.from_numpy(y.astype(np.int64).reshape(len(y), -1)), info.kind)
    return out

# %%
#| export
@dataclass
class MedMNISTData:
    "A MedMNIST data set in memory, with its task and the file it came from."
    info:TaskInfo
    size:int
    path:Path
    splits:dict
    def __getitem__(self, split:str) -> MedMNISTSplit: return self.splits[split]
    def __repr__(self): return (f'MedMNISTData({self.info.flag}, {self.size}px, {self.info.kind}, '
                                + ', '.join(f'{k}={len(v)}' for k, v in self.splits.items()) + ')')

def load_medmnist(flag:str, # MedMNIST 2D flag, e.g. 'pneumoniamnist'
                  size:int=28, # Image size: 28, 64, 128 or 224
                  download:bool|None=None, # Allow a download when no local copy exists
                 ) -> MedMNISTData:
    "Load a verified MedMNIST data set into memory."
    p = locate_npz(flag, size, download)
    return MedMNISTData(task_info(flag), size, p, read_npz(p, flag, size))

# %%
pneu = load_medmnist('pneumoniamnist'); pneu

# %%
test_eq(pneu['train'].images.shape, (4708, 1, 28, 28))
test_eq(pneu['train'].images.dtype, torch.uint8)
test_eq(pneu['test'].targets.unique().tolist(), [0, 1])
test_eq({k: len(v) for k, v in pneu.splits.items()}, pneu.info.n_samples)

# %%
with tempfile.TemporaryDirectory() as d:
    f = Path(d)/'x.npz'
    np.savez(f, train_images=np.zeros((2, 28, 28), np.uint8))
    test_fail(lambda: read_npz(f, 'pneumoniamnist'), contains="missing arrays ['train_labels'")
    np.savez(f, **{f'{s}_{k}': np.zeros((2, 32, 32) if k == 'images' else (2, 1), np.uint8) for s in SPLITS for k in ('images', 'labels')})
    test_fail(lambda: read_npz(f, 'pneumoniamnist'), contains='expected (N, 28, 28) uint8')

# %% [markdown]
# ## Text for every label
#
# Image–text objectives (S0, S1) need text, and MedMNIST has only labels. `label_prompts` turns a label
# into several descriptions from a handful of templates; training can sample one per image, and zero-shot
# evaluation can average the embeddings of all of them (a prompt ensemble).

# %%
#| export
PROMPT_TEMPLATES = ('a {modality} showing {label}.', 'a {modality} with {label}.', '{label} seen on a {modality}.',
                    'this {modality} shows {label}.', 'a medical image of {label}.')

def label_prompts(flag:str, # MedMNIST flag
                  label:int, # Label index
                  templates=PROMPT_TEMPLATES, # Templates with `{modality}` and `{label}` slots
                 ) -> list[str]:
    "Every template filled with one label's text and the data set's modality."
    info = task_info(flag)
    if not 0 <= label < info.n_classes: raise ValueError(f'{flag} has labels 0..{info.n_classes-1}, got {label}.')
    return [t.format(modality=info.modality, label=info.label_text[label]) for t in templates]

def class_prompts(flag:str, templates=PROMPT_TEMPLATES) -> list[list[str]]:
    "`label_prompts` for every class of `flag`, in label order."
    return [label_prompts(flag, i, templates) for i in range(task_info(flag).n_classes)]

# %%
label_prompts('pneumoniamnist', 1)

# %%
test_eq(label_prompts('retinamnist', 4)[0], 'a retinal fundus photograph showing proliferative diabetic retinopathy.')
test_eq(len(class_prompts('breastmnist')), 2)
test_fail(lambda: label_prompts('pneumoniamnist', 2), contains='labels 0..1')

# %% [markdown]
# Here are real PneumoniaMNIST training images with their labels and the first prompt of each:

# %%
fig, axs = plt.subplots(2, 6, figsize=(12, 4.6))
for ax, i in zip(axs.flat, range(0, 1200, 100)):
    y = int(pneu['train'].targets[i])
    ax.imshow(pneu['train'].images[i, 0], cmap='gray'); ax.axis('off')
    ax.set_title(f'{pneu.info.label_names[y]}\n"{label_prompts("pneumoniamnist", y)[0][:34]}…"', fontsize=7)
plt.tight_layout()

# %% [markdown]
# ## Several data sets in one label space
#
# S1 trains one classifier over several MedMNIST data sets by concatenating them and offsetting each
# data set's labels past the previous ones' (pneumonia 0–1, breast 2–3, retina 4–8). `concat_medmnist`
# does that for single-label data sets, brings grey images to three channels when any member is RGB, and
# keeps each image's `source` so metrics can be reported per data set; `to_local` maps a global label
# back to `(flag, label)`.

# %%
#| export
@dataclass
class MultiMedMNIST:
    "Several single-label MedMNIST data sets in one label space."
    flags:list # Member flags, in order
    offsets:list # Global label of each member's label 0
    label_names:list # '<flag>: <name>' for every global label
    splits:dict # split -> MedMNISTSplit with global labels
    sources:dict # split -> int64 [N] index of the member each image came from
    size:int = 28
    paths:list = field(default_factory=list)
    @property
    def n_classes(self) -> int: return len(self.label_names)
    def __getitem__(self, split): return self.splits[split]
    def to_local(self, label:int) -> tuple:
        "(flag, local label) of a global label."
        i = int(np.searchsorted(self.offsets, label, side='right') - 1)
        if not 0 <= label < self.n_classes: raise ValueError(f'label {label} outside 0..{self.n_classes-1}')
        return self.flags[i], int(label - self.offsets[i])

def concat_medmnist(flags:list, # MedMNIST flags to join, each single-label
                    size:int=28, download:bool|None=None) -> MultiMedMNIST:
    "Concatenate data sets with label offsets into one multi-class problem."
    ds = [load_medmnist(f, size, download) for f in flags]
    if bad := [d.info.flag for d in ds if d.info.kind == 'multilabel']:
        raise ValueError(f'{bad} are multi-label; label offsets only make sense for single-label data sets.')
    c = max(d.info.n_channels for d in ds)
    offsets = np.cumsum([0] + [d.info.n_classes for d in ds[:-1]]).tolist()
    splits, sources = {}, {}
    for s in SPLITS:
        splits[s] = MedMNISTSplit(torch.cat([d[s].images.expand(-1, c, -1, -1) for d in ds]),
                                  torch.cat([d[s].labels + o for d, o in zip(ds, offsets)]), 'multiclass')
        sources[s] = torch.cat([torch.full((len(d[s]),), i) for i, d in enumerate(ds)])
    names = [f'{d.info.flag}: {n}' for d in ds for n in d.info.label_names]
    return MultiMedMNIST([d.info.flag for d in ds], offsets, names, splits, sources, size, [d.path for d in ds])

# %%
multi = concat_medmnist(['pneumoniamnist', 'breastmnist', 'retinamnist'])
test_eq(multi.offsets, [0, 2, 4]); test_eq(multi.n_classes, 9)
test_eq(multi['train'].images.shape[1], 3)
test_eq(multi.to_local(5), ('retinamnist', 1))
test_eq(multi['test'].targets.max().item(), 8)
test_eq(int((multi.sources['train'] == 1).sum()), 546)
test_fail(lambda: concat_medmnist(['chestmnist'], download=False))
multi.label_names

# %% [markdown]
# ## Label fractions and split manifests
#
# Label-efficiency experiments (S4) train on 1%, 10% or 100% of the training labels. `label_fraction`
# draws a stratified, seeded subset (every class keeps at least one example), and `split_manifest`
# records exactly which indices a run saw, with their SHA-256, so two runs can be checked to have used the
# same examples.

# %%
#| export
def label_fraction(labels:torch.Tensor|np.ndarray, # Labels `[N]` or `[N, L]` of the full training split
                   fraction:float, # Share of examples to keep, in (0, 1]
                   seed:int=0, # Seed of the draw
                  ) -> np.ndarray:
    "Sorted indices of a stratified, seeded subset holding `fraction` of the examples (at least one per class)."
    if not (isinstance(fraction, (int, float)) and 0 < fraction <= 1):
        raise ValueError(f'label fraction must be in (0, 1], got {fraction!r} (use 0.01 for 1%).')
    y = np.asarray(labels)
    n = len(y)
    if n == 0: raise ValueError('cannot take a label fraction of an empty split.')
    if fraction == 1: return np.arange(n)
    strata = y if y.ndim == 1 else np.array([''.join(map(str, r)) for r in y.reshape(n, -1)])
    rng = np.random.default_rng(seed)
    keep = []
    for c in np.unique(strata):
        idx = np.flatnonzero(strata == c)
        keep.append(rng.choice(idx, size=max(1, round(fraction * len(idx))), replace=False))
    return np.sort(np.concatenate(keep))

def split_manifest(flag:str, split:str, fraction:float, seed:int, indices) -> dict:
    "A record of exactly which examples a run used, with the SHA-256 of the indices."
    idx = np.asarray(indices, dtype=np.int64)
    return {'dataset': flag, 'split': split, 'fraction': fraction, 'seed': seed, 'n': len(idx),
            'sha256': sha256_of(idx), 'indices': idx.tolist()}

def write_split_manifest(path, **kw) -> Path:
    "Write `split_manifest(**kw)` to `path` atomically."
    return atomic_write_json(path, split_manifest(**kw))

# %%
y = pneu['train'].targets
i1 = label_fraction(y, 0.01, seed=0)
test_eq(len(i1), round(0.01*(y==0).sum().item()) + round(0.01*(y==1).sum().item()))
test_eq(i1, label_fraction(y, 0.01, seed=0))
test_ne(list(i1), list(label_fraction(y, 0.01, seed=1)))
test_close(y[i1].float().mean(), y.float().mean(), eps=0.03)  # stratified: the class balance is kept
test_eq(len(label_fraction(y, 1.0)), len(y))
for bad in (0, 1.5, -0.1, '10%'): test_fail(lambda: label_fraction(y, bad), contains='must be in (0, 1]')
test_fail(lambda: label_fraction(y[:0], 0.5), contains='empty')
m = split_manifest('pneumoniamnist', 'train', 0.01, 0, i1)
test_eq(m['sha256'], sha256_of(np.asarray(i1, dtype=np.int64)))
{k: v for k, v in m.items() if k != 'indices'}

# %% [markdown]
# ## fastai DataLoaders that work on whole batches
#
# `BatchDL` is a fastai `DataLoader` whose items are just indices: `create_batch` gathers the whole batch
# from the in-memory tensors with one indexing operation, so no per-image Python runs. Images are typed
# `TensorImage` and labels `TensorCategory`/`TensorMultiCategory`, so fastai's batch transforms apply:
# `IntToFloatTensor`, light affine and lighting augmentation from `aug_transforms`, `BatchResize` for
# encoders that want 224 px, `ToChannels` for pretrained stems that want three channels, and
# `Normalize`.

# %%
#| export
class TensorSet:
    "Images and targets held as tensors, indexable by a single index or a whole batch of them."
    def __init__(self, images:torch.Tensor, targets:torch.Tensor, multilabel:bool=False):
        if len(images) != len(targets): raise ValueError(f'{len(images)} images but {len(targets)} targets.')
        self.images, self.targets, self.multilabel = images, targets, multilabel
    def __len__(self): return len(self.images)
    def __getitem__(self, i):
        y = self.targets[i]
        return TensorImage(self.images[i]), (TensorMultiCategory(y) if self.multilabel else TensorCategory(y))

class BatchDL(DataLoader):
    "A fastai `DataLoader` over a `TensorSet` that gathers each batch with one indexing operation."
    def create_item(self, s): return s
    def create_batch(self, b): return self.dataset[torch.as_tensor(b, dtype=torch.long)]

class BatchResize(Transform):
    "Resize a batch of images to `size` pixels (bilinear) on whatever device it is on."
    order = 5
    def __init__(self, size:int): self.size = size
    def encodes(self, x:TensorImage):
        return x if x.shape[-1] == self.size else TensorImage(F.interpolate(x, size=(self.size, self.size), mode='bilinear', align_corners=False))

class ToChannels(Transform):
    "Repeat grey images to `n` channels (pretrained stems expect RGB)."
    order = 6
    def __init__(self, n:int=3): self.n = n
    def encodes(self, x:TensorImage): return x if x.shape[1] == self.n else TensorImage(x.expand(-1, self.n, -1, -1))

# %%
#| export
def batch_tfms(img_size:int|None=None, # Resize to this many pixels (None: keep)
               n_channels:int|None=None, # Repeat grey images to this many channels (None: keep)
               augment:bool=False, # Light affine + lighting augmentation (training only)
               mean=0.5, std=0.5, # Normalisation statistics, scalars or one per channel
              ) -> Pipeline:
    "Batch transforms as a fastai `Pipeline`: to float in [0, 1], optional augmentation, resize, channel repeat, normalise."
    tfms = [IntToFloatTensor()]
    if augment: tfms += aug_transforms(do_flip=False, max_rotate=10., max_zoom=1.1, max_lighting=0.1, max_warp=0., p_affine=0.5)
    if img_size: tfms.append(BatchResize(img_size))
    if n_channels: tfms.append(ToChannels(n_channels))
    m, s = (torch.tensor(o, dtype=torch.float).reshape(1, -1, 1, 1) for o in (mean, std))
    return Pipeline(tfms + [Normalize(m, s)], split_idx=0 if augment else 1)

def split_dls(splits:dict, # split name -> `MedMNISTSplit`
              bs:int=128, img_size:int|None=None, n_channels:int|None=None, augment:bool=True,
              mean=0.5, std=0.5, train_idx=None, # Indices of the training subset (label fractions)
              device=None, seed:int|None=None, # Seed of the shuffling order
             ) -> DataLoaders:
    "fastai `DataLoaders` (train, valid[, test]) over in-memory splits, transformed batch by batch."
    tr = splits['train']
    if train_idx is not None: tr = MedMNISTSplit(tr.images[train_idx], tr.labels[train_idx], tr.kind)
    if len(tr) == 0: raise ValueError('the training subset is empty.')
    mk = lambda s: TensorSet(s.images, s.targets, s.kind == 'multilabel')
    ev = batch_tfms(img_size, n_channels, False, mean, std)
    train = BatchDL(mk(tr), bs=bs, shuffle=True, drop_last=len(tr) > bs, device=device,
                    after_batch=batch_tfms(img_size, n_channels, augment, mean, std))
    if seed is not None: train.rng.seed(seed)
    loaders = [train] + [BatchDL(mk(splits[s]), bs=bs, shuffle=False, device=device, after_batch=ev)
                         for s in ('val', 'test') if s in splits]
    return DataLoaders(*loaders, device=device)

def medmnist_dls(flag:str, # MedMNIST flag
                 size:int=28, # Stored image size to load (28, 64, 128, 224)
                 fraction:float=1.0, # Share of training labels to use
                 seed:int=0, # Seed of the label fraction and the shuffling
                 **kwargs, # Passed to `split_dls`: bs, img_size, n_channels, augment, mean, std, device
                ) -> DataLoaders:
    "fastai `DataLoaders` for one MedMNIST data set; `dls.data` keeps the `MedMNISTData`, `dls.train_idx` the subset."
    data = load_medmnist(flag, size)
    idx = label_fraction(data['train'].labels, fraction, seed) if fraction != 1 else None
    dls = split_dls(data.splits, train_idx=idx, seed=seed, **kwargs)
    dls.data, dls.train_idx = data, (idx if idx is not None else np.arange(len(data['train'])))
    return dls

# %%
dls = medmnist_dls('pneumoniamnist', bs=64, img_size=64, n_channels=3)
xb, yb = dls.train.one_batch()
test_eq(xb.shape, (64, 3, 64, 64)); test_eq(yb.shape, (64,))
test_eq(type(xb), TensorImage); test_eq(xb.dtype, torch.float32)
test_eq(len(dls.loaders), 3)  # train, valid, test
xv, yv = dls.valid.one_batch()
test_close(xv.mean().item(), (pneu['val'].images[:64].float()/255*2-1).mean().item(), eps=0.02)  # val: no augmentation
test_eq(yv, pneu['val'].targets[:64])

# %%
d1 = medmnist_dls('pneumoniamnist', fraction=0.1, seed=3, bs=32)
test_eq(len(d1.train_idx), len(label_fraction(pneu['train'].targets, 0.1, 3)))
test_eq(sum(len(b[1]) for b in d1.train), len(d1.train_idx) // 32 * 32)  # drop_last on the training set

# %% [markdown]
# The same batch after the training transforms (augmentation on, labels shown):

# %%
xb, yb = dls.train.one_batch()
fig, axs = plt.subplots(1, 8, figsize=(12, 2))
for ax, x, y in zip(axs, xb, yb):
    ax.imshow(((x[0] + 1) / 2).clamp(0, 1), cmap='gray'); ax.set_title(pneu.info.label_names[y], fontsize=8); ax.axis('off')

# %%
#| hide
import nbdev; nbdev.nbdev_export()
