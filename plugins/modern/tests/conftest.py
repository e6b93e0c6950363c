"""One torch thread for this plugin's tests: their tensors are tiny, and on a shared CPU a second thread
waiting for a busy core made the conformance kit up to 100x slower (rwkv: 3.9 s against 0.035 s)."""
import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
