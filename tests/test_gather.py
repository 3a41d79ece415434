"""Negatives across processes: with two gloo processes each holding half of a batch, the gathered InfoNCE (and ConVIRT)
equals the single-process loss on the joined batch, and so do the gradients after data parallelism averages them."""
import os, socket
import pytest, torch, torch.multiprocessing as mp, torch.nn.functional as F
from medstudy.losses import InfoNCELoss, ConVIRTLoss

B, D, W = 8, 16, 2

def batch():
    g = torch.Generator().manual_seed(0)
    img, txt = F.normalize(torch.randn(B, D, generator=g), dim=-1), F.normalize(torch.randn(B, D, generator=g), dim=-1)
    labels = torch.tensor([0, 1, 0, 1, 1, 0, 0, 1])
    return img, txt, labels

def loss_of(name, img, txt, labels):
    pred = {'img': img, 'txt': txt, 'logit_scale': torch.tensor(1 / 0.07)}
    return InfoNCELoss(soft_targets='label')(pred, labels) if name == 'infonce' else ConVIRTLoss()(pred)

def _worker(rank, port, name, q):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch.distributed.init_process_group('gloo', rank=rank, world_size=W)
    img, txt, labels = batch()
    sl = slice(rank * B // W, (rank + 1) * B // W)
    i, t = img[sl].clone().requires_grad_(), txt[sl].clone().requires_grad_()
    loss = loss_of(name, i, t, labels[sl])
    loss.backward()
    # data parallelism averages the gradients of the parameters over processes: divide by W as DDP does
    q.put((rank, float(loss), (i.grad / W).tolist(), (t.grad / W).tolist()))
    torch.distributed.barrier(); torch.distributed.destroy_process_group()

def _free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

@pytest.mark.parametrize('name', ['infonce', 'convirt'])
def test_gathered_loss_equals_joined_batch(name):
    img, txt, labels = batch()
    i, t = img.clone().requires_grad_(), txt.clone().requires_grad_()
    ref = loss_of(name, i, t, labels); ref.backward()
    ctx = mp.get_context('spawn'); q = ctx.Queue()
    port = _free_port()
    ps = [ctx.Process(target=_worker, args=(r, port, name, q)) for r in range(W)]
    for p in ps: p.start()
    out = sorted(q.get(timeout=120) for _ in range(W))
    for p in ps: p.join(60); assert p.exitcode == 0
    for rank, loss, gi, gt in out:
        assert abs(loss - ref.item()) < 1e-5, (rank, loss, ref.item())
        sl = slice(rank * B // W, (rank + 1) * B // W)
        torch.testing.assert_close(torch.tensor(gi), i.grad[sl], atol=1e-6, rtol=1e-4)
        torch.testing.assert_close(torch.tensor(gt), t.grad[sl], atol=1e-6, rtol=1e-4)
