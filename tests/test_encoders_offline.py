"""Encoders and losses with the network cut off, in fresh processes: the offline defaults build and train
one step without opening a single socket; hub names fail fast with a clear error, also when no offline
variable is set but the hub is unreachable; LLM targets computed in one process are read by the next
without loading any LLM."""
import os, subprocess, sys, textwrap, time
import pytest

# Run before the snippet: any attempt to open a network connection raises at once.
NO_NET = textwrap.dedent('''
    import socket
    def _blocked(*a, **k): raise OSError('network blocked by test')
    socket.socket.connect = _blocked; socket.create_connection = _blocked; socket.getaddrinfo = _blocked
''')

def run_py(code:str, env:dict|None=None, timeout:int=300, no_net:bool=True):
    "Run `code` in a fresh interpreter (network blocked), with `env` overriding the environment."
    e = {k: v for k, v in os.environ.items() if k not in ('HF_HUB_OFFLINE', 'TRANSFORMERS_OFFLINE', 'MEDSTUDY_OFFLINE')}
    e.update(env or {})
    src = (NO_NET if no_net else '') + textwrap.dedent(code)
    return subprocess.run([sys.executable, '-c', src], capture_output=True, text=True, timeout=timeout, env=e)

OFFLINE = {'HF_HUB_OFFLINE': '1', 'TRANSFORMERS_OFFLINE': '1'}

def test_offline_defaults_train_one_step_without_network():
    r = run_py('''
        import torch
        from medstudy.data import load_medmnist, label_prompts
        from medstudy.encoders import image_encoder, text_encoder, ImageTextModel
        from medstudy.losses import InfoNCELoss
        torch.set_num_threads(1)
        d = load_medmnist('pneumoniamnist', download=False)
        x = (d['train'].images[:4].float() / 255 - 0.5) / 0.5
        y = d['train'].targets[:4]
        m = ImageTextModel(image_encoder(in_chans=1, img_size=28), text_encoder(), proj_dim=64)
        tok = m.text_encoder.tokenize([label_prompts('pneumoniamnist', int(t))[0] for t in y])
        loss = InfoNCELoss('label')(m(x, **tok), y)
        loss.backward()
        assert torch.isfinite(loss) and m.image_encoder.body.conv_stem.weight.grad.abs().sum() > 0
        print('OK', round(loss.item(), 4))
    ''', env=OFFLINE)
    assert r.returncode == 0 and 'OK' in r.stdout, r.stderr[-3000:]

@pytest.mark.parametrize('env', [OFFLINE, {'MEDSTUDY_OFFLINE': '1'}, {}], ids=['hf-offline', 'medstudy-offline', 'unreachable-hub'])
def test_hub_names_fail_fast(env):
    "Offline variables set, or none set and the hub unreachable: every hub name fails fast, naming model and defaults."
    r = run_py('''
        import time
        from medstudy.encoders import image_encoder, text_encoder, clip_model, mae_model, llm_targets, OfflineModelError
        import tempfile
        cases = {'emilyalsentzer/Bio_ClinicalBERT': lambda: text_encoder('emilyalsentzer/Bio_ClinicalBERT'),
                 'openai/clip-vit-base-patch32': lambda: clip_model('openai/clip-vit-base-patch32'),
                 'resnet50': lambda: image_encoder('resnet50', pretrained=True),
                 'vit_base_patch16_224': lambda: image_encoder('vit_base_patch16_224', pretrained=True),
                 'facebook/vit-mae-base': lambda: mae_model('facebook/vit-mae-base'),
                 'meta-llama/Llama-2-7b-hf': lambda: llm_targets(['x'], 'meta-llama/Llama-2-7b-hf', cache=tempfile.mkdtemp())}
        for name, f in cases.items():
            t = time.time()
            try: f(); raise SystemExit(f'{name} did not fail')
            except OfflineModelError as e:
                msg = str(e)
                assert name in msg and 'all-MiniLM-L6-v2' in msg and 'tf_efficientnet_lite0' in msg, msg
            assert time.time() - t < 15, (name, time.time() - t)
        print('OK')
    ''', env=env)
    assert r.returncode == 0 and 'OK' in r.stdout, r.stderr[-3000:]

def test_llm_targets_second_process_loads_no_llm(tmp_path):
    first = run_py(f'''
        import torch
        from transformers import LlamaModel
        from medstudy.encoders import llm_targets, text_encoder
        from medstudy.testing import tiny_llama_config
        from medstudy.data import class_prompts
        tok = text_encoder().tokenizer
        def loader(): torch.manual_seed(0); return LlamaModel(tiny_llama_config()), tok
        t = llm_targets(sum(class_prompts('pneumoniamnist'), []), 'tiny-llama', cache={str(tmp_path)!r}, loader=loader)
        torch.save(t, {str(tmp_path/'t.pt')!r}); print('OK', tuple(t.shape))
    ''', env=OFFLINE)
    assert first.returncode == 0 and 'OK (10, 32)' in first.stdout, first.stderr[-3000:]
    second = run_py(f'''
        import sys, torch
        import transformers
        def no_llm(*a, **k): raise SystemExit('an LLM was loaded')
        transformers.AutoModel.from_pretrained = no_llm; transformers.AutoTokenizer.from_pretrained = no_llm
        from medstudy.encoders import llm_targets
        from medstudy.data import class_prompts
        t = llm_targets(sum(class_prompts('pneumoniamnist'), []), 'tiny-llama', cache={str(tmp_path)!r}, loader=no_llm)
        assert torch.equal(t, torch.load({str(tmp_path/'t.pt')!r})); print('OK')
    ''', env=OFFLINE)
    assert second.returncode == 0 and 'OK' in second.stdout, second.stderr[-3000:]
