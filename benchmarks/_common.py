"Shared by the benchmark scripts: machine and version stamp, and saving results as JSON."
import os, sys, platform, json, resource
from pathlib import Path
from medstudy.core import package_versions, git_state, now_iso, atomic_write_json

def machine() -> dict:
    "What the numbers were measured on."
    import torch
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor()) \
        if os.path.exists('/proc/cpuinfo') else platform.processor()
    return {'platform': platform.platform(), 'cpu': cpu, 'cpus': os.cpu_count(), 'torch_threads': torch.get_num_threads(),
            'cuda': torch.cuda.get_device_name(0) if torch.cuda.is_available() else None, 'python': sys.version.split()[0]}

def peak_rss_mb() -> float:
    "Peak resident set size of this process so far, in MiB (Linux reports KiB)."
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def save(name:str, results:dict) -> Path:
    "Write `benchmarks/results/<name>.json` with the machine, versions and git state, and print it."
    out = {'benchmark': name, 'when': now_iso(), 'machine': machine(), 'versions': package_versions(),
           'git': git_state(), **results}
    p = atomic_write_json(Path(__file__).parent/'results'/f'{name}.json', out)
    print(json.dumps(results, indent=2)); print(f'saved {p}')
    return p
