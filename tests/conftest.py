import os
# Tests never touch the network: no hub look-ups, no MedMNIST downloads.
os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
os.environ.setdefault('MEDSTUDY_OFFLINE', '1')
os.environ.setdefault('MPLBACKEND', 'Agg')
