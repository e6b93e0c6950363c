"""What several of this plugin's tests build: a CRF with random (not zero) transitions."""
import pytest
import torch

from zoo_bidirectional.crf import CRF


@pytest.fixture
def random_crf():
    """``random_crf(tags)``: a seeded CRF whose parameters are all drawn from N(0, 1)."""

    def make(tags: int) -> CRF:
        torch.manual_seed(0)
        crf = CRF(tags)
        with torch.no_grad():
            for parameter in crf.parameters():
                parameter.normal_()
        return crf

    return make
