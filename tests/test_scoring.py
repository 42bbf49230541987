"""Pruning criteria (lottery_keras.scoring): SNIP, GraSP and SynFlow checked against hand
computations on a tiny network, and driving Ticket.prune on real data."""

import numpy as np
import pytest

import lottery_keras as lk
from lottery_keras.scoring.grasp import GraSP
from lottery_keras.scoring.snip import Snip
from lottery_keras.scoring.synflow import SynFlow, synflow_prune


def test_snip_is_abs_gradient_times_weight(tiny):
    scores = Snip(tiny.x.astype(np.float32), tiny.y)(tiny.ticket())
    g1, g2 = tiny.grads(tiny.w1, tiny.w2)
    np.testing.assert_allclose(scores["hidden"], np.abs(g1 * tiny.w1), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(scores["out"], np.abs(g2 * tiny.w2), rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("temperature", [1.0, 200.0])
def test_grasp_is_weight_times_hessian_gradient_product(tiny, temperature):
    """GraSP softens the outputs to softmax(logits / T) before the loss, as the reference
    implementation does (T = 200 by default); T = 1 is the plain equation. The hand
    computation differentiates the cross-entropy of softmax(logits / T)."""
    scores = GraSP(tiny.x.astype(np.float32), tiny.y, temperature=temperature)(tiny.ticket())
    g1, g2 = tiny.grads(tiny.w1, tiny.w2, temperature)
    eps = 1e-5 * temperature  # H g by central differences of the hand gradient along g
    p1, p2 = tiny.grads(tiny.w1 + eps * g1, tiny.w2 + eps * g2, temperature)
    m1, m2 = tiny.grads(tiny.w1 - eps * g1, tiny.w2 - eps * g2, temperature)
    hg1, hg2 = (p1 - m1) / (2 * eps), (p2 - m2) / (2 * eps)
    for got, want in [(scores["hidden"], tiny.w1 * hg1), (scores["out"], tiny.w2 * hg2)]:
        np.testing.assert_allclose(got, want, rtol=2e-3, atol=1e-3 * np.abs(want).max())


def test_grasp_default_temperature_is_the_published_200(tiny):
    t = tiny.ticket()
    x = tiny.x.astype(np.float32)
    default = GraSP(x, tiny.y)(t)
    for name, score in GraSP(x, tiny.y, temperature=200.0)(t).items():
        np.testing.assert_allclose(default[name], score, rtol=1e-6)
    assert not np.allclose(default["out"], GraSP(x, tiny.y, temperature=1.0)(t)["out"])
    with pytest.raises(ValueError, match="temperature"):
        GraSP(x, tiny.y, temperature=0.0)(t)


def test_synflow_is_weight_times_flow_through_it(tiny):
    scores = SynFlow()(tiny.ticket())
    a1, a2, b1 = np.abs(tiny.w1), np.abs(tiny.w2), np.abs(tiny.b1)
    # R = ((1^T |W1| + |b1|) |W2| + |b2|) 1
    np.testing.assert_allclose(scores["hidden"], a1 * a2.sum(1)[None, :], rtol=1e-6)
    np.testing.assert_allclose(scores["out"], a2 * (a1.sum(0) + b1)[:, None], rtol=1e-6)


def test_synflow_prune_reaches_the_sparsity_without_emptying_a_layer():
    t = lk.Ticket(lk.models.lenet_300_100(seed=0))
    synflow_prune(t, 0.9, iterations=20)
    r = t.remaining()
    assert r.overall == pytest.approx(0.1, abs=1e-3)
    assert min(r.per_layer.values()) > 0.01


def test_data_scorers_drive_ticket_prune_on_real_data():
    x, y = lk.data.load("mnist-mini").train
    t = lk.Ticket(lk.models.lenet_300_100(seed=0))
    t.prune(0.5, criterion=Snip(x[:256], y[:256]))
    assert all(abs(v - 0.5) < 1e-3 for v in t.remaining().per_layer.values())
    with pytest.raises(ValueError, match="non-empty batch"):
        t.prune(0.5, criterion=Snip(x[:0], y[:0]))
