"Hold the report labeller's agreement with IU X-ray MeSH tags above its floor, on all 3,955 reports."
import os, pytest
from medstudy.core import find_data
from medstudy.cxr import IU_REPORTS, read_iu_reports
from medstudy.report_labels import label_reports, mesh_labels, mesh_agreement, AGREEMENT_FLOOR, MESH_MAP

pytestmark = pytest.mark.skipif(find_data(IU_REPORTS) is None,
                                reason=f'{IU_REPORTS} not on the data search path (set MEDSTUDY_DATA)')

@pytest.fixture(scope='module')
def agreement():
    reports = read_iu_reports()
    assert len(reports) == 3955
    return mesh_agreement(label_reports(reports.text, index=reports.uid), mesh_labels(reports))

def test_every_mapped_observation_has_a_floor(): assert set(AGREEMENT_FLOOR) == set(MESH_MAP)

@pytest.mark.parametrize('obs', sorted(AGREEMENT_FLOOR))
def test_kappa_above_floor(agreement, obs):
    k = agreement.loc[obs, 'kappa']
    assert k >= AGREEMENT_FLOOR[obs], f'{obs}: kappa vs MeSH {k:.3f} fell below the floor {AGREEMENT_FLOOR[obs]}'
