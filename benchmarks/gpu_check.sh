#!/usr/bin/env bash
# The GPU check, ready for the first time a CUDA machine is at hand (about 5 minutes on one GPU):
#   1. the training throughput benchmark on CUDA (precision auto = bf16 autocast where the GPU has it, else fp16
#      with a gradient scaler; channels_last for convolutional encoders), against a plain fp32 loop;
#   2. the study's smoke profile on CUDA, timed.
# Results: benchmarks/results/train_throughput_cuda.json and benchmarks/results/gpu_check.json.
#   bash benchmarks/gpu_check.sh            (in the checkout, after the README's set-up command)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d .venv ] && . .venv/bin/activate
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 MEDSTUDY_OFFLINE=1 MPLBACKEND=Agg
python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'no CUDA device here: this script is for a GPU machine')"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
t0=$(date +%s)
python benchmarks/train_throughput.py --device cuda --threads 4 --reps 3 --steps 10 --warmup 3 --name train_throughput_cuda
t1=$(date +%s)
python -m medstudy.cli study run --profile smoke --out runs/gpu_check --force
t2=$(date +%s)
python - "$t0" "$t1" "$t2" <<'PY'
import sys, torch
sys.path.insert(0, 'benchmarks')
from _common import save
t0, t1, t2 = map(int, sys.argv[1:])
save('gpu_check', {'gpu': torch.cuda.get_device_name(0), 'throughput_seconds': t1 - t0, 'smoke_profile_seconds': t2 - t1,
                   'throughput_json': 'benchmarks/results/train_throughput_cuda.json'})
PY
