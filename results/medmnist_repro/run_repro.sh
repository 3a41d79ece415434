#!/usr/bin/env bash
# MedMNIST v2 ResNet-18 (28) recipe: Adam 1e-3, batch 128, 100 epochs, lr x0.1 at 50% and 75%, model by val AUC.
# Usage: bash results/medmnist_repro/run_repro.sh "breastmnist:0 breastmnist:2 retinamnist:1"   (one queue)
# THREADS=2 bash ... gives each run two torch threads (default 1: one run per core is the faster use of the cores).
# PRECISION=fp32 bash ... trains in float32 (default auto: the precision policy, bf16 autocast on a CPU with native bf16).
# OUT=dir bash ... puts the runs under dir/<flag>/seed<k> (default results/medmnist_repro).
# Each run resumes from its last checkpoint if one exists, so a killed queue can simply be restarted.
cd "$(dirname "$0")/../.."
. .venv/bin/activate
T=${THREADS:-1}; P=${PRECISION:-auto}; O=${OUT:-results/medmnist_repro}; export OMP_NUM_THREADS=$T MKL_NUM_THREADS=$T
for job in $1; do
  ds=${job%%:*}; s=${job##*:}; out=$O/$ds/seed$s
  [ -f $out/metrics.json ] && { echo "done: $out"; continue; }
  resume=false; [ -f $out/checkpoints/last.pth ] && resume=true
  python -m medstudy.train --dataset $ds --epochs 100 --bs 128 --recipe medmnist --image_encoder resnet18 \
    --seed $s --threads $T --progress false --monitor auc --precision $P --out_dir $out --resume $resume
done
