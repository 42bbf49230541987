"""The variants registry: how each variant prepares a unit's ticket (no training)."""

import numpy as np
import pytest

import lottery_keras as lk
from lottery_keras.experiment import variants
from lottery_keras.experiment.config import derive_seed


@pytest.fixture
def ticket():
    """A LeNet-300-100 ticket after one IMP round (LTH rates), weights at W0: what the runner hands a variant."""
    t = lk.Ticket(lk.models.lenet_300_100(seed=0))
    t.compile(optimizer=lk.keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    t.prune()
    t.rewind("init")
    return t


def _kernels(t):
    return {name: k.copy() for name, k in t.kernels().items()}


def test_registry_names_tags_and_styles_are_unique():
    assert variants.NAMES[:3] == variants.DEFAULT == ("lottery", "reinit", "random_mask")
    assert {"sign_reinit", "random_mask_global"} <= set(variants.NAMES)
    tags = [v.tag for v in variants.REGISTRY.values()]
    assert tags[:3] == [0, 1, 2], "the tags seed old runs: they must never change"
    assert len(set(tags)) == len(tags)
    assert len({v.color for v in variants.REGISTRY.values()}) == len(tags)
    assert len({v.label("init") for v in variants.REGISTRY.values()}) == len(tags)
    seeds = {derive_seed(0, 1, name, 0, 2) for name in variants.NAMES}
    assert len(seeds) == len(tags)
    with pytest.raises(ValueError, match="unknown variant 'shuffled'; choose from lottery, reinit"):
        variants.get("shuffled")


def test_sign_reinit_keeps_the_mask_and_w0s_signs_with_fresh_magnitudes(ticket):
    w0, mask = _kernels(ticket), ticket.masks
    variants.get("sign_reinit").prepare(ticket, 7, "init")
    new = _kernels(ticket)
    assert ticket.iteration == 0
    for name, m in mask.items():
        assert np.array_equal(ticket.masks[name], m)
        alive = m == 1
        assert np.array_equal(np.sign(new[name][alive]), np.sign(w0[name][alive]))
        assert not np.allclose(np.abs(new[name][alive]), np.abs(w0[name][alive]))
        assert np.all(new[name][~alive] == 0)
    ticket.rewind("init")
    variants.get("reinit").prepare(ticket, 7, "init")
    plain = _kernels(ticket)["dense_300"][mask["dense_300"] == 1]
    flipped = np.mean(np.sign(plain) != np.sign(w0["dense_300"][mask["dense_300"] == 1]))
    assert 0.4 < flipped < 0.6, "plain re-init draws signs afresh; sign_reinit is what keeps them"
    assert np.array_equal(np.abs(plain), np.abs(new["dense_300"][mask["dense_300"] == 1]))


def test_random_mask_global_keeps_the_total_not_each_layers_count(ticket):
    mask = ticket.masks
    variants.get("random_mask_global").prepare(ticket, 3, "init")
    new = ticket.masks
    assert sum(int(m.sum()) for m in new.values()) == sum(int(m.sum()) for m in mask.values())
    assert any(int(new[n].sum()) != int(mask[n].sum()) for n in mask), "global scatter moves weights across layers"
    kernels, w0 = _kernels(ticket), ticket.snapshots["init"].weights
    for name, m in new.items():
        assert np.array_equal(kernels[name], w0[name][0] * m), "rewound to W0 under the new mask"
    ticket.set_masks(mask)
    ticket.rewind("init")
    variants.get("random_mask").prepare(ticket, 3, "init")
    assert all(int(ticket.masks[n].sum()) == int(mask[n].sum()) for n in mask)
