"Hold the report labeller's agreement with IU X-ray MeSH tags above its floors, on the held-out half of the 3,955 reports."
import os, pytest
from medstudy.core import find_data
from medstudy.cxr import IU_REPORTS, read_iu_reports
from medstudy.report_labels import (label_reports, mesh_labels, mesh_agreement, held_out_half, AGREEMENT_FLOOR,
                                    AGREEMENT_FLOOR_U0, MESH_MAP)

pytestmark = pytest.mark.skipif(find_data(IU_REPORTS) is None,
                                reason=f'{IU_REPORTS} not on the data search path (set MEDSTUDY_DATA)')

@pytest.fixture(scope='module')
def agreement():
    reports = read_iu_reports()
    assert len(reports) == 3955
    held = held_out_half(len(reports))
    return mesh_agreement(label_reports(reports.text, index=reports.uid)[held], mesh_labels(reports)[held])

def test_every_mapped_observation_has_a_floor(): assert set(AGREEMENT_FLOOR) == set(AGREEMENT_FLOOR_U0) == set(MESH_MAP)

@pytest.mark.parametrize('obs', sorted(AGREEMENT_FLOOR))
def test_kappa_above_floor(agreement, obs):
    for key, floor in (('kappa', AGREEMENT_FLOOR), ('kappa_u0', AGREEMENT_FLOOR_U0)):
        k = agreement.loc[obs, key]
        assert k >= floor[obs], f'{obs}: held-out {key} vs MeSH {k:.3f} fell below the floor {floor[obs]}'
