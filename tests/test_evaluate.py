"Metric and probe tests for `medstudy.metrics`, `medstudy.embeddings` and `medstudy.probes`: equality with `medmnist.Evaluator`, absent classes, bad input, bootstrap."
import warnings
import numpy as np, pytest, medmnist
from medmnist.evaluator import getAUC, getACC
from medstudy.data import locate_npz, load_medmnist, task_info
from medstudy.metrics import medmnist_auc, medmnist_acc, evaluate_predictions, bootstrap_ci, as_label_scores
from medstudy.embeddings import retrieval_ranks
from medstudy.probes import linear_probe, fit_probe

FLAGS = ('pneumoniamnist', 'breastmnist', 'retinamnist')
ML = 'multi-label, binary-class'

def _scores(rng, n, k, ties=False):
    s = rng.dirichlet(np.ones(k), size=n)
    return np.round(s, 1) if ties else s

@pytest.mark.parametrize('flag', FLAGS)
@pytest.mark.parametrize('split', ('val', 'test'))
@pytest.mark.parametrize('ties', (False, True))
def test_equals_medmnist_evaluator(flag, split, ties):
    "Our vectorised ACC and AUC equal medmnist.Evaluator's on the official labels, for many random score sets."
    info = task_info(flag); ev = medmnist.Evaluator(flag, split, root=str(locate_npz(flag).parent))
    rng = np.random.default_rng(0)
    for _ in range(5):
        s = _scores(rng, len(ev.labels), info.n_classes, ties)
        auc, acc = ev.evaluate(s)
        assert abs(medmnist_auc(ev.labels, s, info.kind) - auc) < 1e-12
        assert abs(medmnist_acc(ev.labels, s, info.kind) - acc) < 1e-12

def test_equals_medmnist_multilabel():
    "ChestMNIST is not in the data folder: multi-label is checked against medmnist's getAUC/getACC directly."
    rng = np.random.default_rng(1)
    for k, ties in [(3, False), (14, False), (5, True)]:
        y = (rng.random((300, k)) < rng.uniform(0.1, 0.6, k)).astype(int)
        s = np.clip(y * 0.3 + rng.random((300, k)) * 0.7, 0, 1)
        if ties: s = np.round(s, 1)
        assert abs(medmnist_auc(y, s, 'multilabel') - getAUC(y, s, ML)) < 1e-12
        assert abs(medmnist_acc(y, s, 'multilabel') - getACC(y, s, ML)) < 1e-12

def test_binary_threshold_not_argmax():
    "MedMNIST's binary ACC thresholds the positive column at 0.5; unnormalised scores show the difference."
    y = np.array([0, 1, 1, 0]); s = np.array([[0.9, 0.6], [0.1, 0.7], [0.8, 0.4], [0.2, 0.3]])
    assert medmnist_acc(y, s, 'binary') == getACC(y, s, 'binary-class') == 0.5

def test_absent_class_is_missing_not_zero():
    d = load_medmnist('pneumoniamnist')['test']
    y = d.labels.numpy(); keep = y[:, 0] == 0
    s = _scores(np.random.default_rng(0), keep.sum(), 2)
    assert np.isnan(medmnist_auc(y[keep], s, 'binary'))
    with pytest.warns(UserWarning, match='AUC is undefined'):
        r = evaluate_predictions(y[keep], s, 'binary', ['normal', 'pneumonia'], n_boot=20)
    assert r['metrics']['auc'] is None and r['ci']['auc'] == {'lo': None, 'hi': None, 'n_valid': 0}
    assert "class(es) ['pneumonia'] absent" in r['missing']['auc'] and r['per_class']['auc'] == [None, None]
    assert r['metrics']['acc'] is not None

def test_rare_class_bootstrap_drops_undefined_resamples():
    y = np.array([0] * 98 + [1] * 2); s = _scores(np.random.default_rng(0), 100, 2)
    ci = bootstrap_ci(y, s, 'binary', n_boot=500, seed=0)
    assert 0 < ci['auc']['n_valid'] < 500 and ci['acc']['n_valid'] == 500

@pytest.mark.parametrize('y,s,kind,msg', [
    (np.zeros(10, int), np.full((9, 2), .5), 'binary', 'shape mismatch: y_score has 9 rows but y_true has 10'),
    (np.zeros((10, 3), int), np.full((10, 4), .5), 'multilabel', 'multi-label y_true is (10, 3)'),
    (np.zeros((10, 2), int), np.full((10, 2), .5), 'multiclass', 'must be [N] or [N, 1]'),
    (np.arange(10) % 5, np.full((10, 3), .3), 'ordinal', 'labels run 0..4 but y_score has 3 columns'),
    (np.zeros(10, int), np.full((10, 3), .3), 'binary', 'binary y_score must be [N] or [N, 2]'),
    (np.zeros(10, int), np.full((10, 2), np.nan), 'binary', 'NaN or infinite'),
    (np.zeros(0, int), np.zeros((0, 2)), 'binary', 'empty'),
])
def test_bad_input(y, s, kind, msg):
    with pytest.raises(ValueError, match=None) as e: as_label_scores(y, s, kind)
    assert msg in str(e.value)

def test_bootstrap_seeded_and_sized():
    rng = np.random.default_rng(0); y = rng.integers(0, 3, 200); s = _scores(rng, 200, 3)
    a = bootstrap_ci(y, s, 'multiclass', n_boot=1000, seed=7)
    assert a == bootstrap_ci(y, s, 'multiclass', n_boot=1000, seed=7, max_elems=5000)
    assert a != bootstrap_ci(y, s, 'multiclass', n_boot=1000, seed=8)
    assert all(v['n_valid'] == 1000 for v in a.values())

def test_retrieval_ties_count_against_query():
    assert retrieval_ranks(np.ones((3, 3)), np.eye(3, dtype=bool)).tolist() == [3, 3, 3]

def test_probe_bad_subsets():
    rng = np.random.default_rng(0); X = rng.normal(size=(60, 4)); y = np.arange(60) % 2
    f = {'train': X, 'val': X, 'test': X}; l = {'train': y, 'val': y, 'test': y}
    with pytest.raises(ValueError, match='empty'): linear_probe({**f, 'train': X[:0]}, {**l, 'train': y[:0]}, 'binary')
    with pytest.raises(ValueError, match='label fraction must be in'): linear_probe(f, l, 'binary', fractions=(0,))
    with pytest.raises(ValueError, match='only class'): fit_probe(X[y == 0], y[y == 0], X, y, 'binary')
