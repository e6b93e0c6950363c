"""The trainer's AdamW is fused on the CPU (one kernel, not a Python loop over parameters) and updates the
weights as torch's plain AdamW does."""
import torch

import zoo_core
from zoo_core.training.loop import adamw, fit
from zoo_core.training.transfer import parameter_groups


def test_fused_adamw_matches_the_plain_loop():
    torch.manual_seed(0)
    model = zoo_core.create_model("lstm-classifier", vocab=50, num_classes=2, encoder__hidden_size=8,
                                  embedding__dim=4, training={"weight_decay": 0.01})
    settings = model.config.training
    copy = [p.detach().clone().requires_grad_() for p in model.parameters()]
    fused = adamw(parameter_groups(model, settings.lr, {}), settings, "cpu")
    plain = torch.optim.AdamW(copy, lr=settings.lr, weight_decay=settings.weight_decay, foreach=False)
    assert fused.defaults["fused"] is True
    for step in range(5):
        grads = [torch.randn_like(p) for p in copy]
        for p, q, g in zip(model.parameters(), copy, grads):
            p.grad, q.grad = g.clone(), g.clone()
        fused.step()
        plain.step()
    for p, q in zip(model.parameters(), copy):
        assert torch.allclose(p, q, atol=1e-6)


def test_the_trainer_steps_with_the_fused_optimizer(monkeypatch):
    made = []
    original = torch.optim.AdamW

    def recording(*args, **kwargs):
        made.append(kwargs.get("fused"))
        return original(*args, **kwargs)

    monkeypatch.setattr(torch.optim, "AdamW", recording)
    model = zoo_core.create_model("lstm-classifier", vocab=50, num_classes=2, encoder__hidden_size=8,
                                  embedding__dim=4, training={"epochs": 1, "batch_size": 4})
    fit(model, [([2, 3, 4], 0), ([5, 6], 1)] * 4, [], progress=False)
    assert made == [True]
