# %% [markdown]
# # Core
#
# > Paths, seeding, devices and run directories: the plumbing every stage of the study shares.

# %%
#| default_exp core

# %% [markdown]
# Every later chapter needs the same four things: to *find* data without hard-coded paths, to make a
# run *repeatable* (seeds, deterministic kernels), to pick a *device* without caring which machine it
# is, and to leave behind a *run directory* that says exactly what code, data and parameters produced
# its numbers. This chapter holds those, and nothing else.

# %%
#| export
from __future__ import annotations
import os, sys, json, hashlib, random, socket, platform, subprocess, tempfile, datetime, importlib.metadata
from pathlib import Path
from dataclasses import dataclass, field, asdict, is_dataclass
import numpy as np, torch

# %%
#| hide
from fastcore.test import *
from nbdev.showdoc import show_doc

# %% [markdown]
# ## Where data lives
#
# Data is looked for along a *search path*, first match wins:
#
# 1. the folders in the `MEDSTUDY_DATA` environment variable (separated by `os.pathsep`, like `PATH`);
# 2. `data/` in the source checkout (it ships the three official MedMNIST v2 files the study needs
#    offline);
# 3. the user's cache folder (`MEDSTUDY_CACHE`, else `$XDG_CACHE_HOME/medstudy`, else
#    `~/.cache/medstudy`), which is also where downloads go.

# %%
#| export
def repo_root() -> Path|None:
    "The source checkout holding this package (the folder with `settings.ini` and `nbs/`), or `None` for a plain install."
    try: cands = [Path(__file__).resolve().parent.parent]  # medstudy/core.py -> checkout
    except NameError: cands = [Path.cwd(), *Path.cwd().parents]  # running inside a notebook in nbs/
    return next((p for p in cands if (p/'settings.ini').exists() and (p/'nbs').is_dir()), None)

def cache_dir(create:bool=False, # Make the folder if it does not exist
             ) -> Path:
    "Folder where downloads and caches go: `MEDSTUDY_CACHE`, else `$XDG_CACHE_HOME/medstudy`, else `~/.cache/medstudy`."
    env = os.environ.get('MEDSTUDY_CACHE')
    p = Path(env) if env else Path(os.environ.get('XDG_CACHE_HOME', Path.home()/'.cache'))/'medstudy'
    if create: p.mkdir(parents=True, exist_ok=True)
    return p

def data_search_path() -> list[Path]:
    "Folders searched for data, in order: `MEDSTUDY_DATA` entries, the checkout's `data/`, then `cache_dir()`."
    env = [Path(o).expanduser() for o in os.environ.get('MEDSTUDY_DATA', '').split(os.pathsep) if o.strip()]
    root = repo_root()
    return env + ([root/'data'] if root else []) + [cache_dir()]

# %%
show_doc(data_search_path)

# %%
data_search_path()

# %% [markdown]
# `find_data` returns the first folder's copy of a relative path. Data sets are laid out by family
# (`medmnist/pneumoniamnist.npz`, `iu_xray/images/...`), but a file dropped loose into a search folder is
# found too, so `MEDSTUDY_DATA=~/Downloads` works for a user who downloaded one npz by hand.

# %%
#| export
def find_data(relpath:str|Path, # Path relative to a data folder, e.g. `medmnist/pneumoniamnist.npz`
              loose:bool=True, # Also accept the bare file name directly inside a search folder
             ) -> Path|None:
    "First existing copy of `relpath` along `data_search_path()`, or `None`."
    relpath = Path(relpath)
    for d in data_search_path():
        for cand in [d/relpath] + ([d/relpath.name] if loose and len(relpath.parts) > 1 else []):
            if cand.exists(): return cand
    return None

# %%
p = find_data('medmnist/pneumoniamnist.npz')
test_eq(p.name, 'pneumoniamnist.npz')
test_is(find_data('medmnist/no-such-file.npz'), None)
p

# %% [markdown]
# Results of runs go under a *runs root*: `MEDSTUDY_RUNS` if set, else `runs/` in the current folder.

# %%
#| export
def runs_root() -> Path:
    "Folder under which run directories are made: `MEDSTUDY_RUNS`, else `./runs`."
    return Path(os.environ.get('MEDSTUDY_RUNS', 'runs')).expanduser()

# %% [markdown]
# ## Checksums and atomic writes
#
# Every data file a run reads is fingerprinted by MD5 (the hash MedMNIST publishes), and every file a
# run writes is written to a temporary file in the same folder and then renamed over the target, so a
# crash never leaves a half-written `params.json` or checkpoint behind.

# %%
#| export
def md5sum(path:str|Path, # File to hash
           chunk:int=1<<20, # Bytes read at a time
          ) -> str:
    "Hex MD5 of a file, read in chunks."
    h = hashlib.md5()
    with open(path, 'rb') as f:
        for b in iter(lambda: f.read(chunk), b''): h.update(b)
    return h.hexdigest()

def sha256_of(obj) -> str:
    "Hex SHA-256 of bytes, a string, or anything `np.asarray` accepts (its bytes, dtype and shape)."
    if isinstance(obj, str): obj = obj.encode()
    if not isinstance(obj, (bytes, bytearray)):
        a = np.ascontiguousarray(np.asarray(obj))
        obj = f'{a.dtype.str}{a.shape}'.encode() + a.tobytes()
    return hashlib.sha256(obj).hexdigest()

# %%
test_eq(md5sum(find_data('medmnist/breastmnist.npz')), '750601b1f35ba3300ea97c75c52ff8f6')
test_eq(sha256_of(np.arange(3)), sha256_of([0,1,2]))
test_ne(sha256_of(np.arange(3)), sha256_of(np.arange(3).astype('int32')))

# %%
#| export
def atomic_write(path:str|Path, # Target file
                 data:str|bytes, # Content
                ) -> Path:
    "Write `data` to `path` through a temporary file in the same folder and an atomic rename."
    path = Path(path); path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f'.{path.name}.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data.encode() if isinstance(data, str) else data)
            f.flush(); os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp): os.unlink(tmp)
        raise
    return path

def _jsonable(o):
    if is_dataclass(o): return asdict(o)
    if isinstance(o, Path): return str(o)
    if isinstance(o, (np.integer,)): return int(o)
    if isinstance(o, (np.floating,)): return float(o)
    if isinstance(o, (np.ndarray, torch.Tensor)): return o.tolist()
    if isinstance(o, (set, tuple)): return list(o)
    raise TypeError(f'{type(o).__name__} is not JSON serialisable')

def atomic_write_json(path:str|Path, # Target `.json` file
                      obj, # Anything JSON-able; dataclasses, paths, numpy and torch values are converted
                     ) -> Path:
    "Write `obj` as indented JSON, atomically."
    return atomic_write(path, json.dumps(obj, indent=2, default=_jsonable, allow_nan=True) + '\n')

# %%
with tempfile.TemporaryDirectory() as d:
    f = atomic_write_json(Path(d)/'a.json', {'x': np.float32(1.5), 'p': Path('q')})
    test_eq(json.loads(f.read_text()), {'x': 1.5, 'p': 'q'})
    test_eq([o.name for o in Path(d).iterdir()], ['a.json'])  # no temporary file left behind
    test_fail(lambda: atomic_write_json(f, {'bad': object()}), contains='not JSON serialisable')
    test_eq(json.loads(f.read_text()), {'x': 1.5, 'p': 'q'})  # the old file survives a failed write

# %% [markdown]
# ## Seeds and determinism
#
# `seed_everything` seeds Python, NumPy and PyTorch (CPU and every GPU) from one integer. With
# `deterministic=True` it also asks PyTorch for deterministic kernels, which on the CPU makes two runs
# with one seed give identical numbers, and on CUDA trades some speed for the same. Data-loader workers
# get their own derived seeds through `worker_seed`.

# %%
#| export
def seed_everything(seed:int=42, # The one seed that every generator is derived from
                    deterministic:bool=True, # Also ask PyTorch for deterministic algorithms
                   ) -> int:
    "Seed `random`, NumPy and PyTorch; optionally switch PyTorch to deterministic kernels."
    random.seed(seed); np.random.seed(seed % 2**32); torch.manual_seed(seed)
    os.environ['PYTHONHASHSEED'] = str(seed)
    if deterministic:
        os.environ.setdefault('CUBLAS_WORKSPACE_CONFIG', ':4096:8')
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    return seed

def worker_seed(worker_id:int): # Passed by `DataLoader(worker_init_fn=...)`
    "Seed NumPy and `random` in a data-loader worker from PyTorch's per-worker seed."
    s = torch.initial_seed() % 2**32
    np.random.seed(s); random.seed(s)

# %%
seed_everything(0); a = torch.randn(3), np.random.rand(), random.random()
seed_everything(0); b = torch.randn(3), np.random.rand(), random.random()
test_eq(a[0], b[0]); test_eq(a[1:], b[1:])

# %% [markdown]
# ## Devices
#
# Code in this study never names a device: it asks `get_device`, which prefers CUDA, then Apple's MPS,
# then the CPU, and `use_amp` says whether mixed precision is worth switching on (CUDA only).

# %%
#| export
def get_device(pref:str|None='auto', # 'auto', or a torch device string such as 'cpu', 'cuda', 'cuda:1', 'mps'
              ) -> torch.device:
    "The device to run on: `pref` if given and available, else CUDA, then MPS, then CPU."
    if pref in (None, '', 'auto'):
        if torch.cuda.is_available(): return torch.device('cuda')
        if getattr(torch.backends, 'mps', None) and torch.backends.mps.is_available(): return torch.device('mps')
        return torch.device('cpu')
    dev = torch.device(pref)
    if dev.type == 'cuda' and not torch.cuda.is_available():
        raise RuntimeError(f"device={pref!r} was asked for but CUDA is not available here; pass device='cpu' or 'auto'.")
    if dev.type == 'mps' and not (getattr(torch.backends, 'mps', None) and torch.backends.mps.is_available()):
        raise RuntimeError(f"device={pref!r} was asked for but MPS is not available here; pass device='cpu' or 'auto'.")
    return dev

def use_amp(device:torch.device) -> bool:
    "Whether mixed precision should be used on `device` (CUDA only)."
    return torch.device(device).type == 'cuda'

# %%
get_device()

# %%
test_eq(get_device('cpu'), torch.device('cpu'))
if not torch.cuda.is_available(): test_fail(lambda: get_device('cuda'), contains="pass device='cpu'")

# %% [markdown]
# ## Provenance and run directories
#
# A number is only worth reporting if one can say what made it. `provenance` collects the git commit
# (and whether the tree had uncommitted changes), the versions of the packages that shape results, the
# host, the device, and the MD5 of every data file the run read. `RunDir` wraps a run's folder: it
# writes `params.json` and `provenance.json` atomically when the run starts and stamps the end time when
# it finishes.

# %%
#| export
KEY_PACKAGES = ('medstudy', 'torch', 'torchvision', 'fastai', 'fastcore', 'timm', 'transformers', 'numpy',
                'scikit-learn', 'medmnist', 'nbdev', 'papermill')

def package_versions(names=KEY_PACKAGES) -> dict:
    "Installed versions of `names` (missing packages map to `None`)."
    def v(n):
        try: return importlib.metadata.version(n)
        except importlib.metadata.PackageNotFoundError: return None
    return {n: v(n) for n in names}

def git_state(path:str|Path|None=None) -> dict:
    "Commit hash and dirty flag of the git checkout holding `path` (default: this package's checkout)."
    path = Path(path or repo_root() or '.')
    def git(*args):
        r = subprocess.run(['git', '-C', str(path), *args], capture_output=True, text=True, timeout=30)
        return r.stdout.strip() if r.returncode == 0 else None
    try: commit = git('rev-parse', 'HEAD')
    except (OSError, subprocess.SubprocessError): commit = None
    if commit is None: return {'commit': None, 'dirty': None}
    return {'commit': commit, 'dirty': bool(git('status', '--porcelain', '--untracked-files=no'))}

def now_iso() -> str: return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')

def provenance(data_files=(), # Data files the run reads; each is recorded with its MD5
               device=None, # The device the run uses
              ) -> dict:
    "Everything needed to say what produced a result: code version, packages, host, device, data MD5s, time."
    return {'git': git_state(), 'packages': package_versions(), 'python': sys.version.split()[0],
            'host': {'name': socket.gethostname(), 'platform': platform.platform(), 'cpus': os.cpu_count()},
            'device': str(device) if device is not None else str(get_device()),
            'cuda': torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            'data': {str(p): md5sum(p) for p in map(Path, data_files)},
            'start': now_iso(), 'end': None}

# %%
prov = provenance([find_data('medmnist/breastmnist.npz')])
test_eq(list(prov['data'].values()), ['750601b1f35ba3300ea97c75c52ff8f6'])
{k: prov[k] for k in ('git', 'device', 'python')}

# %%
#| export
class RunDir:
    "A run's folder: `params.json` and `provenance.json` written atomically at start, end time stamped at `finish`."
    def __init__(self, path:str|Path, # The run's folder (created if missing)
                 params=None, # The run's parameters (a dataclass or dict); written to `params.json`
                 data_files=(), # Data files the run reads, fingerprinted in `provenance.json`
                 device=None, # Device the run uses
                ):
        self.path = Path(path); self.path.mkdir(parents=True, exist_ok=True)
        if params is not None: atomic_write_json(self.path/'params.json', params)
        self.provenance = provenance(data_files, device)
        atomic_write_json(self.path/'provenance.json', self.provenance)

    def __truediv__(self, name): return self.path/name
    def __repr__(self): return f'RunDir({str(self.path)!r})'

    def write_json(self, name:str, obj) -> Path:
        "Write `obj` to `name` in the run folder, atomically."
        return atomic_write_json(self.path/name, obj)

    def finish(self, status:str='ok') -> Path:
        "Stamp the end time and final status into `provenance.json`."
        self.provenance.update(end=now_iso(), status=status)
        return self.write_json('provenance.json', self.provenance)

# %%
with tempfile.TemporaryDirectory() as d:
    rd = RunDir(Path(d)/'run1', params={'epochs': 1}, data_files=[find_data('medmnist/breastmnist.npz')])
    test_eq(json.loads((rd/'params.json').read_text()), {'epochs': 1})
    test_is(json.loads((rd/'provenance.json').read_text())['end'], None)
    rd.finish()
    p = json.loads((rd/'provenance.json').read_text())
    test_eq(p['status'], 'ok'); assert p['end'] >= p['start']
    test_eq(sorted(o.name for o in rd.path.iterdir()), ['params.json', 'provenance.json'])

# %%
#| hide
import nbdev; nbdev.nbdev_export()
