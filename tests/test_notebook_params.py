"""The papermill notebooks take exactly the parameters they declare: 05_train's parameters cell is `TrainConfig`
(same names, order and defaults), 06b/06c check every injected name against the names their parameters cell
declares, and a misspelt parameter stops the notebook at once with a message naming it."""
import ast, json, re
from dataclasses import fields
from pathlib import Path
import pytest
pm = pytest.importorskip('papermill')
from medstudy.train import TrainConfig

NBS = Path(__file__).resolve().parents[1]/'nbs'

def test_train_notebook_parameters_are_trainconfig():
    params = pm.inspect_notebook(str(NBS/'05_train.ipynb'))
    assert list(params) == [f.name for f in fields(TrainConfig)]
    for f in fields(TrainConfig): assert ast.literal_eval(params[f.name]['default']) == f.default, f.name

@pytest.mark.parametrize('name', ['06b_eval_run', '06c_compare'])
def test_checked_names_are_the_declared_ones(name):
    nb = NBS/f'{name}.ipynb'
    declared = list(pm.inspect_notebook(str(nb)))
    src = '\n'.join(''.join(c['source']) for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'code')
    checked = ast.literal_eval(re.search(r"check_parameters\(_new, (\[.*?\]), '" + name, src).group(1))
    assert checked == declared

def test_misspelt_parameter_fails_at_once(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match=r"Unknown parameter\(s\) \['fractoins'\]"):
        pm.execute_notebook(str(NBS/'06b_eval_run.ipynb'), str(tmp_path/'out.ipynb'), parameters={'fractoins': [0.1]},
                            kernel_name='python3', progress_bar=False, cwd=str(NBS))
