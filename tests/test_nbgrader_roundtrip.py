"""A round trip through real nbgrader, graded in the sandbox as the README tells instructors.

In a fresh course folder: `nbgrader db assignment add`, `nbgrader generate_assignment` (whose
release must equal the committed exercises/), submissions under submitted/<student>/<assignment>/,
`lottery-keras course grade` (nbgrader's autograde, each submission executed in a bubblewrap
sandbox), `nbgrader export`, `nbgrader generate_feedback`, then the scores read back from the
gradebook. Per assignment, all students graded in one run:

* the solution scores full marks, the untouched exercise 0;
* `wrong`: for each graded function a plausible wrong answer that passes the visible tests but
  fails the hidden ones: full on every visible-test cell, 0 on every hidden one;
* `caught`: the solution with every conceptual mistake of VISIBLE_CATCHES put in: the visible
  tests of those functions fail with a hint that names the mistake (0 on them and on their hidden
  tests), full marks on everything else;
* the written answers (manually graded markdown cells, 2-3 per assignment) count in the maximum
  score; nbgrader leaves an answered one for manual grading (no points yet) and gives 0 to one
  left as released;
* `tampered_globals` (tests/hostile.py: rebound helpers, lying answers, then patched feedback/
  numpy/numpy.testing) and `tampered_builtins` (patched builtins and sys.modules) score 0;
* `chaos` (megabytes of output, a deleted and an edited test cell, an infinite loop, a kernel
  crash) keeps only the visible tests of the part it solved.

The default run does assignment 01 (numpy only) and adds `escape`: a submission that tries to
overwrite the gradebook, another submission and source/, reach the network, fork without end and
allocate 64 GB; the sandbox stops all of it, those files are byte-identical afterwards, and the
other students' grades are right. Its honest first answer writes a C-level log line to stderr
(as TensorFlow does on a machine with CUDA libraries and no GPU) while its graded cell runs; it
still gets full marks.

The default run also executes, for every assignment, the released notebook with the answers and
the VISIBLE_CATCHES mistakes filled in (no nbgrader, just the cells up to the last visible test
concerned) and checks that each mistake fails its visible test with its hint.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import hostile
import nbformat
import pytest

pytest.importorskip("nbgrader")
if shutil.which("bwrap") is None:
    pytest.fail("bubblewrap is needed to grade: apt-get install -y bubblewrap", pytrace=False)

REPO = Path(__file__).resolve().parents[1]
COURSE_ID = "lottery-keras"

# assignment 07: a filter-pruning answer with one piece (scores, count, next kernel) a mistake
FILTERS = '''
def filter_scores(kernel):
    return {scores}


def prune_filters(kernel, bias, next_kernel, fraction):
    """{doc}"""
    kernel, bias, next_kernel = (np.asarray(a) for a in (kernel, bias, next_kernel))
    c_out = kernel.shape[3]
    remove = min({remove}, c_out - 1)
    kept = np.sort(np.argsort(filter_scores(kernel), kind="stable")[remove:])
    return kernel[..., kept], bias[kept], {next}, kept
'''

# assignment -> solution grade_id -> (visible-test grade_id, hidden-test grade_id, wrong answer)
WRONG_ANSWERS = {
    "01_pruning_in_1989": {
        "magnitude_scores": ("magnitude_visible_tests", "magnitude_hidden_tests", '''
def magnitude_scores(weights):
    """Flips the signs in place: the right values, but the caller's weights are damaged."""
    weights[weights < 0] *= -1
    return weights
'''),
        "obd_saliency": ("obd_visible_tests", "obd_hidden_tests", '''
def obd_saliency(weights, hessian_diag):
    """No shape check: a (3,) curvature broadcasts silently against (2, 3) weights."""
    return 0.5 * hessian_diag * weights ** 2
'''),
        "prune_by_scores": ("prune_visible_tests", "prune_hidden_tests", '''
def prune_by_scores(scores, masks, fraction, scope="layer"):
    """Truncates the count with int() instead of rounding it: 3.5 weights become 3, not 4."""
    groups = [[name] for name in masks] if scope == "layer" else [list(masks)]
    new = {}
    for names in groups:
        flat_scores = np.concatenate([np.asarray(scores[n], dtype=float).ravel() for n in names])
        flat_mask = np.concatenate([np.asarray(masks[n]).ravel() for n in names]).copy()
        alive = np.flatnonzero(flat_mask)
        order = np.argsort(flat_scores[alive], kind="stable")
        flat_mask[alive[order[:int(fraction * alive.size)]]] = 0
        start = 0
        for n in names:
            new[n] = flat_mask[start:start + np.size(masks[n])].reshape(np.shape(masks[n]))
            start += np.size(masks[n])
    return new
'''),
    },
    "02_magnitude_pruning": {
        "sensitivity_scan": ("scan_visible_tests", "scan_hidden_tests", '''
def sensitivity_scan(evaluate, kernels, sparsities):
    """Truncates the count with int(): 70% of 4 weights prunes 2 of them, not 3."""
    results = {}
    for name, kernel in kernels.items():
        kernel = np.asarray(kernel)
        order = np.argsort(np.abs(kernel).ravel(), kind="stable")
        values = []
        for s in sparsities:
            flat = kernel.ravel().copy()
            flat[order[:int(s * flat.size)]] = 0
            values.append(evaluate({**kernels, name: flat.reshape(kernel.shape)}))
        results[name] = np.array(values, dtype=float)
    return results
'''),
        "choose_sparsities": ("choose_visible_tests", "choose_hidden_tests", '''
def choose_sparsities(scan, sparsities, layer_sizes, min_accuracy, target_remaining):
    """Never checks the size target: returns sparsities that may leave too many weights."""
    chosen = {}
    for name, accs in scan.items():
        ok = [s for s, a in zip(sparsities, accs) if a >= min_accuracy]
        chosen[name] = float(max(ok)) if ok else 0.0
    return chosen
'''),
        "compressed_size": ("size_visible_tests", "size_hidden_tests", '''
def compressed_size(weights):
    """Serialises each array in its own dtype: float64 weights count 8 bytes each."""
    data = b"".join(np.asarray(w).tobytes() for w in weights)
    return {"raw": len(data), "gzip": len(gzip.compress(data, compresslevel=9, mtime=0))}
'''),
    },
    "03_winning_tickets": {
        "magnitude_masks": ("masks_visible_tests", "masks_hidden_tests", '''
def magnitude_masks(kernels, masks, rates):
    """Keeps every alive weight with |w| >= a threshold: tied magnitudes go or stay together."""
    new = {}
    for name, mask in masks.items():
        mask = np.asarray(mask, dtype=np.float32)
        scores = np.abs(np.asarray(kernels[name], dtype=np.float64))
        alive = scores[mask == 1]
        threshold = np.sort(alive)[round(rates[name] * alive.size)]
        new[name] = ((mask == 1) & (scores >= threshold)).astype(np.float32)
    return new
'''),
        "imp_round": ("round_visible_tests", "round_hidden_tests", '''
def imp_round(ticket, x, y, rates, epochs, batch_size=60, seed=0, callbacks=None):
    """Prunes from all-ones masks: right in the first round, but the second one forgets the
    masks it starts from (the zeros of round 1 are pruned again, counted in the rate)."""
    history = ticket.fit(x, y, epochs=epochs, batch_size=batch_size, seed=seed, verbose=0,
                         callbacks=callbacks)
    ones = {name: np.ones_like(mask) for name, mask in ticket.masks.items()}
    ticket.set_masks(magnitude_masks(ticket.kernels(), ones, rates))
    ticket.rewind("init")
    return history
'''),
        "early_stopping_iteration": ("es_visible_tests", "es_hidden_tests", '''
def early_stopping_iteration(iterations, val_losses):
    """np.argmin: a NaN loss wins, and mismatched lengths go unnoticed."""
    return iterations[int(np.argmin(val_losses))]
'''),
    },
    "04_ablations": {
        "reinitialize_under_mask": ("reinit_visible_tests", "reinit_hidden_tests", '''
def reinitialize_under_mask(masks, seed):
    """A new generator per layer: every layer restarts the same random stream."""
    new = {}
    for name, mask in masks.items():
        rng = np.random.default_rng(seed)
        mask = np.asarray(mask)
        receptive = int(np.prod(mask.shape[:-2])) if mask.ndim > 2 else 1
        std = np.sqrt(2.0 / ((mask.shape[-2] + mask.shape[-1]) * receptive))
        new[name] = rng.normal(0.0, std, size=mask.shape) * mask
    return new
'''),
        "random_mask_like": ("random_visible_tests", "random_hidden_tests", '''
def random_mask_like(masks, seed):
    """A new generator per layer: two layers of the same shape get the same random mask."""
    new = {}
    for name, mask in masks.items():
        rng = np.random.default_rng(seed)
        mask = np.asarray(mask)
        flat = np.zeros(mask.size, dtype=np.float32)
        flat[rng.permutation(mask.size)[:np.count_nonzero(mask)]] = 1.0
        new[name] = flat.reshape(mask.shape)
    return new
'''),
        "sign_preserving_reinit": ("sign_visible_tests", "sign_hidden_tests", '''
def sign_preserving_reinit(initial, masks, seed):
    """Writes the result into the caller's `initial` dict: W0 is lost."""
    fresh = reinitialize_under_mask(masks, seed)
    for name in masks:
        initial[name] = np.abs(fresh[name]) * np.sign(initial[name])
    return initial
'''),
    },
    "06_finding_tickets_early": {
        "snip_scores": ("snip_visible_tests", "snip_hidden_tests", '''
def snip_scores(weights, grads):
    """Normalised over the whole network, but lets shapes broadcast: (2, 3) * (3,) passes."""
    raw = {n: np.abs(np.asarray(grads[n]) * np.asarray(weights[n])) for n in weights}
    total = sum(float(s.sum()) for s in raw.values())
    return {n: s / total for n, s in raw.items()}
'''),
        "synflow_iteration": ("synflow_visible_tests", "synflow_hidden_tests", '''
def synflow_iteration(kernels, masks, fraction):
    """Flow from the neighbouring layers only: right for two layers, wrong for deeper ones."""
    names = list(kernels)
    absw = [np.abs(np.asarray(kernels[n], dtype=float)) * np.asarray(masks[n], dtype=float)
            for n in names]
    scores = {}
    for l, n in enumerate(names):
        a = np.ones(absw[l].shape[0]) if l == 0 else np.ones(absw[l - 1].shape[0]) @ absw[l - 1]
        b = (np.ones(absw[l].shape[1]) if l == len(names) - 1
             else absw[l + 1] @ np.ones(absw[l + 1].shape[1]))
        scores[n] = np.outer(a, b) * absw[l]
    return prune_lowest(scores, masks, fraction)
'''),
        "mask_distance": ("distance_visible_tests", "distance_hidden_tests", '''
def mask_distance(a, b):
    """The mean of the per-layer shares: a 2-weight layer counts as much as a big one."""
    return float(np.mean([np.mean((np.asarray(a[n]) != 0) != (np.asarray(b[n]) != 0))
                          for n in a]))
'''),
    },
    "05_rewinding_and_stability": {
        "interpolate": ("interp_visible_tests", "interp_hidden_tests", '''
def interpolate(a, b, alpha):
    """Scales a's arrays in place and adds b's (a is lost); no checks of keys, shapes, alpha."""
    for name in a:
        for wa, wb in zip(a[name], b[name]):
            wa *= 1 - alpha
            wa += alpha * wb
    return {name: list(a[name]) for name in a}
'''),
        "error_barrier": ("barrier_visible_tests", "barrier_hidden_tests", '''
def error_barrier(errors):
    """Looks only between the ends and clips at 0: an end point is never the worst one."""
    errors = np.asarray(errors, dtype=float)
    return float(max(0.0, errors[1:-1].max() - 0.5 * (errors[0] + errors[-1])))
'''),
    },
    "07_accelerating_sparse_networks": {
        "dead_units": ("dead_visible_tests", "dead_hidden_tests", '''
def dead_units(kernels):
    """Sums the weights instead of looking for a nonzero one: +1 and -1 cancel to a dead unit."""
    no_incoming = [kernels[l].sum(axis=0) == 0 for l in range(len(kernels) - 1)]
    no_outgoing = [kernels[l + 1].sum(axis=1) == 0 for l in range(len(kernels) - 1)]
    return no_incoming, no_outgoing
'''),
        "compact_dense_stack": ("compact_visible_tests", "compact_hidden_tests", '''
def compact_dense_stack(kernels, biases):
    """Folds b of a unit without incoming weights instead of relu(b): wrong when b < 0."""
    kernels = [np.array(k, dtype=np.float64) for k in kernels]
    biases = [np.array(b, dtype=np.float64) for b in biases]
    kept = [np.arange(k.shape[1]) for k in kernels[:-1]]
    changed = True
    while changed:
        changed = False
        no_incoming, no_outgoing = dead_units(kernels)
        for l in range(len(kernels) - 1):
            remove = no_incoming[l] | no_outgoing[l]
            if not remove.any():
                continue
            fold = no_incoming[l] & ~no_outgoing[l]
            biases[l + 1] = biases[l + 1] + biases[l][fold] @ kernels[l + 1][fold]
            keep = ~remove
            kernels[l], biases[l] = kernels[l][:, keep], biases[l][keep]
            kernels[l + 1] = kernels[l + 1][keep]
            kept[l] = kept[l][keep]
            changed = True
            break
    return kernels, biases, kept
'''),
        "count_macs": ("macs_visible_tests", "macs_hidden_tests", '''
def count_macs(kernels, nonzero_only=False):
    """Never checks that the layers chain: a list that is no network gets a count too."""
    return int(sum(np.count_nonzero(k) if nonzero_only else np.size(k) for k in kernels))
'''),
        "prune_filters": ("prune_visible_tests", "prune_hidden_tests", '''
def filter_scores(kernel):
    """No check of the kernel's rank."""
    return np.abs(np.asarray(kernel, dtype=float)).sum(axis=(0, 1, 2))


def prune_filters(kernel, bias, next_kernel, fraction):
    """Never checks its inputs or keeps a filter: a fraction of 1 removes every filter, and a
    next kernel whose axis 2 does not match fails with an IndexError, not a ValueError."""
    kernel, bias, next_kernel = (np.asarray(a) for a in (kernel, bias, next_kernel))
    remove = round(fraction * kernel.shape[3])
    kept = np.sort(np.argsort(filter_scores(kernel), kind="stable")[remove:])
    return kernel[..., kept], bias[kept], next_kernel[:, :, kept, :], kept
'''),
        "budget_model": ("budget_visible_tests", "budget_hidden_tests", '''
def budget_model(x_train, y_train, seed=0):
    """Prunes three quarters of the filters and skips the fine-tuning: small, not accurate."""
    ticket = lk.Ticket(small_conv_net(16, 32, seed=seed))
    ticket.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
    ticket.fit(x_train, y_train, batch_size=64, epochs=1, verbose=0, seed=seed)
    lk.pruning.units.prune_units(ticket, 0.75, ord=1)
    return compaction.compact(ticket).model


budget = budget_model(*lk.data.load("mnist-mini").train)
'''),
    },
}

# assignment -> solution grade_id -> (visible-test grade_id, hint substring, wrong answer): the
# conceptual mistakes a self-learner makes (who never sees the hidden tests), each failing its
# VISIBLE test with a hint that names it. Every assignment has a key.
VISIBLE_CATCHES = {
    "01_pruning_in_1989": {
        "prune_by_scores": ("prune_visible_tests", "already-pruned weights are not counted again",
                            '''
def prune_by_scores(scores, masks, fraction, scope="layer"):
    """Counts the already-pruned weights in the number to prune."""
    groups = [[n] for n in masks] if scope == "layer" else [list(masks)]
    new = {}
    for names in groups:
        s = np.concatenate([np.ravel(scores[n]) for n in names]).astype(float)
        m = np.concatenate([np.ravel(masks[n]) for n in names]).astype(float)
        count = round(fraction * m.size)
        s[m == 0] = np.inf
        m[np.argsort(s, kind="stable")[:count]] = 0
        start = 0
        for n in names:
            new[n] = m[start:start + np.size(masks[n])].reshape(np.shape(masks[n]))
            start += np.size(masks[n])
    return new
'''),
    },
    "02_magnitude_pruning": {
        "sensitivity_scan": ("scan_visible_tests", "later layers were scanned with earlier ones "
                             "pruned", '''
def sensitivity_scan(evaluate, kernels, sparsities):
    """Zeroes the caller's arrays in place: later layers are scanned with earlier ones pruned."""
    results = {}
    for name, kernel in kernels.items():
        order = np.argsort(np.abs(kernel).ravel(), kind="stable")
        values = []
        for s in sparsities:
            kernel.ravel()[order[:round(s * kernel.size)]] = 0   # ravel() is a view here
            values.append(evaluate(dict(kernels)))
        results[name] = np.array(values, dtype=float)
    return results
'''),
    },
    "03_winning_tickets": {
        "magnitude_masks": ("masks_visible_tests", "already-pruned weights are not counted again",
                            '''
def magnitude_masks(kernels, masks, rates):
    """Counts the already-pruned weights in the number to prune (rate * size, not * alive)."""
    new = {}
    for name, mask in masks.items():
        flat = np.array(mask, dtype=np.float32).ravel()
        scores = np.abs(np.asarray(kernels[name])).ravel()
        scores[flat == 0] = np.inf
        flat[np.argsort(scores, kind="stable")[:round(rates[name] * flat.size)]] = 0
        new[name] = flat.reshape(np.shape(mask))
    return new
'''),
        "imp_round": ("round_visible_tests", "masks of the initial weights", '''
def imp_round(ticket, x, y, rates, epochs, batch_size=60, seed=0, callbacks=None):
    """Rewinds before pruning: the masks come from the initial weights, not the trained ones."""
    history = ticket.fit(x, y, epochs=epochs, batch_size=batch_size, seed=seed, verbose=0,
                         callbacks=callbacks)
    ticket.rewind("init")
    ticket.set_masks(magnitude_masks(ticket.kernels(), ticket.masks, rates))
    return history
'''),
    },
    "04_ablations": {
        "reinitialize_under_mask": ("reinit_visible_tests", "receptive field", '''
def reinitialize_under_mask(masks, seed):
    """Fans from the last two dimensions: right for dense kernels, wrong for convolutions."""
    rng = np.random.default_rng(seed)
    new = {}
    for name, mask in masks.items():
        mask = np.asarray(mask)
        std = np.sqrt(2.0 / (mask.shape[-2] + mask.shape[-1]))
        new[name] = rng.normal(0.0, std, size=mask.shape) * mask
    return new
'''),
        "random_mask_like": ("random_visible_tests", "not only the surviving", '''
def random_mask_like(masks, seed):
    """Shuffles the surviving positions among themselves: the 'random' mask is the ticket's."""
    rng = np.random.default_rng(seed)
    new = {}
    for name, mask in masks.items():
        mask = np.asarray(mask)
        flat = np.zeros(mask.size, dtype=np.float32)
        flat[rng.permutation(np.flatnonzero(mask))] = 1.0
        new[name] = flat.reshape(mask.shape)
    return new
'''),
        "sign_preserving_reinit": ("sign_visible_tests", "not the other way round", '''
def sign_preserving_reinit(initial, masks, seed):
    """Swaps the roles: the magnitudes of W0 with the signs of the fresh draw."""
    fresh = reinitialize_under_mask(masks, seed)
    return {name: np.abs(np.asarray(initial[name])) * np.sign(fresh[name]) for name in masks}
'''),
    },
    "05_rewinding_and_stability": {
        "interpolate": ("interp_visible_tests", "ends swapped", '''
def interpolate(a, b, alpha):
    """alpha weighs the wrong end: alpha = 0 gives b."""
    return {name: [alpha * np.asarray(wa) + (1 - alpha) * np.asarray(wb)
                   for wa, wb in zip(a[name], b[name])] for name in a}
'''),
        "error_barrier": ("barrier_visible_tests", "not from the worse end", '''
def error_barrier(errors):
    """Measures from the worse end point instead of the mean of the two ends."""
    errors = [float(e) for e in errors]
    return float(max(errors) - max(errors[0], errors[-1]))
'''),
    },
    "06_finding_tickets_early": {
        "snip_scores": ("snip_visible_tests", "not per layer", '''
def snip_scores(weights, grads):
    """Normalises each layer on its own: every layer's scores sum to 1."""
    out = {}
    for name in weights:
        s = np.abs(np.asarray(grads[name]) * np.asarray(weights[name]))
        out[name] = s / s.sum()
    return out
'''),
        "synflow_iteration": ("synflow_visible_tests", "carry no flow", '''
def synflow_iteration(kernels, masks, fraction):
    """Computes the flow through |W| without the masks: pruned weights still carry flow."""
    names = list(kernels)
    absw = [np.abs(np.asarray(kernels[n], dtype=float)) for n in names]
    flow_in = [np.ones(absw[0].shape[0])]
    for w in absw[:-1]:
        flow_in.append(flow_in[-1] @ w)
    flow_out = [np.ones(absw[-1].shape[1])]
    for w in reversed(absw[1:]):
        flow_out.insert(0, w @ flow_out[0])
    scores = {n: np.outer(a, b) * w for n, a, b, w in zip(names, flow_in, flow_out, absw)}
    return prune_lowest(scores, masks, fraction)
'''),
    },
    "07_accelerating_sparse_networks": {
        "compact_dense_stack": ("compact_visible_tests", "repeat until", '''
def compact_dense_stack(kernels, biases):
    """One pass with the dead units found up front: misses the units that removals kill."""
    kernels = [np.array(k, dtype=np.float64) for k in kernels]
    biases = [np.array(b, dtype=np.float64) for b in biases]
    no_incoming, no_outgoing = dead_units(kernels)
    kept = []
    for l in range(len(kernels) - 1):
        fold = no_incoming[l] & ~no_outgoing[l]
        biases[l + 1] = biases[l + 1] + np.maximum(biases[l][fold], 0.0) @ kernels[l + 1][fold]
        keep = ~(no_incoming[l] | no_outgoing[l])
        kernels[l], biases[l] = kernels[l][:, keep], biases[l][keep]
        kernels[l + 1] = kernels[l + 1][keep]
        kept.append(np.flatnonzero(keep))
    return kernels, biases, kept
'''),
        "prune_filters": ("prune_visible_tests", "not squares", FILTERS.format(
            scores="np.sqrt((np.asarray(kernel, dtype=float) ** 2).sum(axis=(0, 1, 2)))",
            doc="The L2 norm instead of the L1 norm: squares, not absolute values.",
            remove="round(fraction * c_out)", next="next_kernel[:, :, kept, :]")),
    },
}
# more mistakes of the same kind for functions that already have one above (checked by the quick
# test only, one notebook run each): (assignment, solution grade_id, visible-test grade_id, hint
# substring, wrong answer)
MORE_VISIBLE_CATCHES = [
    ("03_winning_tickets", "imp_round", "round_visible_tests",
     "pass callbacks, batch_size and seed on to ticket.fit", '''
def imp_round(ticket, x, y, rates, epochs, batch_size=60, seed=0, callbacks=None):
    """Trains with fit's defaults: the callbacks, batch size and seed it was given are ignored."""
    history = ticket.fit(x, y, epochs=epochs, verbose=0)
    ticket.set_masks(magnitude_masks(ticket.kernels(), ticket.masks, rates))
    ticket.rewind("init")
    return history
'''),
    ("07_accelerating_sparse_networks", "prune_filters", "prune_visible_tests",
     "one score per output filter", FILTERS.format(
         scores="np.abs(np.asarray(kernel, dtype=float)).sum(axis=(0, 1, 3))",
         doc="Sums over the output axis: one score per input channel.",
         remove="round(fraction * c_out)", next="next_kernel[:, :, kept, :]")),
    ("07_accelerating_sparse_networks", "prune_filters", "prune_visible_tests",
     "the next layer loses its input channels", FILTERS.format(
         scores="np.abs(np.asarray(kernel, dtype=float)).sum(axis=(0, 1, 2))",
         doc="Forgets the next layer: its kernel comes back unchanged.",
         remove="round(fraction * c_out)", next="next_kernel.copy()")),
    ("07_accelerating_sparse_networks", "prune_filters", "prune_visible_tests",
     "0.7 * 4 = 2.8", FILTERS.format(
         scores="np.abs(np.asarray(kernel, dtype=float)).sum(axis=(0, 1, 2))",
         doc="Truncates the count with int(): 2.8 filters become 2.",
         remove="int(fraction * c_out)", next="next_kernel[:, :, kept, :]")),
    ("07_accelerating_sparse_networks", "prune_filters", "prune_visible_tests",
     "the lower index goes first", '''
def filter_scores(kernel):
    return np.abs(np.asarray(kernel, dtype=float)).sum(axis=(0, 1, 2))


def prune_filters(kernel, bias, next_kernel, fraction):
    """Removes every filter scoring at most the count-th lowest score: ties all go together."""
    kernel, bias, next_kernel = (np.asarray(a) for a in (kernel, bias, next_kernel))
    scores = filter_scores(kernel)
    remove = round(fraction * kernel.shape[3])
    threshold = np.sort(scores)[remove - 1] if remove else -np.inf
    kept = np.flatnonzero(scores > threshold)
    return kernel[..., kept], bias[kept], next_kernel[:, :, kept, :], kept
'''),
    ("07_accelerating_sparse_networks", "budget_model", "budget_visible_tests",
     "zeros included", '''
def budget_model(x_train, y_train, seed=0):
    """Prunes half of the filters but returns the stripped model: the zeros still count."""
    ticket = lk.Ticket(small_conv_net(16, 32, seed=seed))
    ticket.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
    ticket.fit(x_train, y_train, batch_size=64, epochs=1, verbose=0, seed=seed)
    lk.pruning.units.prune_units(ticket, 0.5, ord=1)
    return ticket.strip()


budget = budget_model(*lk.data.load("mnist-mini").train)
'''),
]
ASSIGNMENTS = sorted(p.stem for p in (REPO / "solutions").glob("*.ipynb"))


def run(root: Path, *args: str) -> str:
    """Run a command of this environment (nbgrader, lottery-keras) in the course folder."""
    bindir = os.path.dirname(sys.executable)     # nbgrader shells out to alembic from here
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""),
               LOTTERY_KERAS_FAST="1")
    proc = subprocess.run([os.path.join(bindir, args[0]), *args[1:]], cwd=root, env=env,
                          capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, f"{' '.join(args)} failed:\n{proc.stdout}{proc.stderr}"
    return proc.stdout + proc.stderr


def submission(release: Path, answers: dict[str, str]):
    """The released notebook with the given solution cells answered (by grade_id)."""
    nb = nbformat.read(release, 4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in answers:
            cell.source = answers[grade_id].strip("\n")
    return nb


def solution_answers(assignment: str) -> dict[str, str]:
    """grade_id -> source of every solution cell: the code answers and the written ones."""
    nb = nbformat.read(REPO / "solutions" / f"{assignment}.ipynb", 4)
    return {c.metadata.nbgrader.grade_id: c.source for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def graded_functions(assignment: str) -> set[str]:
    """grade_ids of the code solution cells (the written answers are markdown)."""
    nb = nbformat.read(REPO / "solutions" / f"{assignment}.ipynb", 4)
    return {c.metadata.nbgrader.grade_id for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"}


def written_answers(assignment: str) -> dict[str, float]:
    """grade_id -> points of the manually graded written answers (markdown solution cells)."""
    nb = nbformat.read(REPO / "solutions" / f"{assignment}.ipynb", 4)
    return {c.metadata.nbgrader.grade_id: float(c.metadata.nbgrader.get("points", 0))
            for c in nb.cells if c.cell_type == "markdown"
            and c.metadata.get("nbgrader", {}).get("solution")}


def test_every_graded_function_has_a_wrong_answer():
    assert ASSIGNMENTS, "no assignments in solutions/"
    for assignment in ASSIGNMENTS:
        assert graded_functions(assignment) == set(WRONG_ANSWERS.get(assignment, {})), (
            f"add a plausible wrong answer for each solution cell of {assignment} to "
            "WRONG_ANSWERS")


def test_every_visible_catch_is_a_wrong_answer_to_a_visible_test():
    """Every VISIBLE_CATCHES entry names a graded function and one of its visible-test cells."""
    assert set(VISIBLE_CATCHES) == set(ASSIGNMENTS)
    entries = [(a, g, v) for a, catches in VISIBLE_CATCHES.items()
               for g, (v, _, _) in catches.items()]
    entries += [(a, g, v) for a, g, v, _, _ in MORE_VISIBLE_CATCHES]
    for assignment, grade_id, visible in entries:
        tests = dict(hostile.parts(REPO / "exercises" / f"{assignment}.ipynb"))
        assert grade_id in tests, f"{assignment}: no graded function {grade_id!r}"
        assert visible in tests[grade_id][:-1], (
            f"{assignment}: {visible!r} is not a visible-test cell of {grade_id!r}")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_written_answers_are_manually_graded_cells(assignment):
    """2-3 written answers per assignment: markdown, graded by hand, with points, not a task."""
    nb = nbformat.read(REPO / "solutions" / f"{assignment}.ipynb", 4)
    written = written_answers(assignment)
    assert 2 <= len(written) <= 3, f"{assignment} has {len(written)} written answers, not 2-3"
    released = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source
                for c in nbformat.read(REPO / "exercises" / f"{assignment}.ipynb", 4).cells}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") in written:
            assert meta.get("grade") and not meta.get("task") and meta["points"] > 0, meta
            assert "### BEGIN SOLUTION" in cell.source, f"{meta['grade_id']}: no model answer"
            assert "YOUR ANSWER HERE" in released[meta["grade_id"]]


def _caught_runs(assignment):
    """[{grade_id: (visible id, hint, wrong answer)}]: one notebook run per dict."""
    runs = [VISIBLE_CATCHES[assignment]] if VISIBLE_CATCHES[assignment] else []
    runs += [{g: (v, hint, code)} for a, g, v, hint, code in MORE_VISIBLE_CATCHES
             if a == assignment]
    return runs


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_visible_tests_catch_each_wrong_answer_with_its_hint(assignment, tmp_path):
    """The released notebook, answered with the solution and the VISIBLE_CATCHES mistakes, run up
    to the last visible test concerned: each of those fails with its hint, nothing else fails."""
    from nbclient import NotebookClient

    from lottery_keras.course.execute import kernel_env

    release = REPO / "exercises" / f"{assignment}.ipynb"
    right = solution_answers(assignment)
    for catches in _caught_runs(assignment):
        nb = submission(release, {**right, **{g: c[2] for g, c in catches.items()}})
        ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
        last = max(ids.index(visible) for visible, _, _ in catches.values())
        nb.cells = [c for c in nb.cells[:last + 1] if c.cell_type == "code"]
        NotebookClient(nb, timeout=300, allow_errors=True,
                       resources={"metadata": {"path": str(tmp_path)}}).execute(
            env=kernel_env(fast=True))
        errors = {c.metadata.get("nbgrader", {}).get("grade_id"):
                  "\n".join(o.get("evalue", "") for o in c.outputs
                            if o.get("output_type") == "error")
                  for c in nb.cells}
        failed = {g for g, text in errors.items() if text}
        expected = {visible for visible, _, _ in catches.values()}
        assert failed == expected, (assignment, {g: errors[g][:2000] for g in failed})
        for grade_id, (visible, hint, _) in catches.items():
            assert hint in errors[visible], (grade_id, hint, errors[visible][:3000])
            assert "hint:" in errors[visible]


QUICK = ["01_pruning_in_1989"]  # numpy only: the default run grades this one for real


def test_round_trip_through_the_sandbox(tmp_path):
    """Assignment 01: solution, exercise, wrong answers, the hostile battery and `escape`."""
    root = round_trip(tmp_path, QUICK, escape=True)
    graded = nbformat.read(root / "autograded" / "escape" / QUICK[0] / f"{QUICK[0]}.ipynb", 4)
    text = json.dumps([cell.get("outputs", []) for cell in graded.cells])
    assert "cuInit" not in text     # the C-level log line went to the sandbox's log, not a cell
    assert "WROTE" not in text and text.count("refused ") == 6, text[:3000]
    assert "no network" in text and "NETWORK" not in text
    assert "fork bomb stopped after" in text and "FORK BOMB RAN" not in text
    assert "memory hog stopped: MemoryError" in text


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_round_trip_of_every_assignment(tmp_path, assignment):
    """The same for each assignment in solutions/ (7 sandboxed notebook runs each, with
    `caught`)."""
    round_trip(tmp_path, [assignment])


def plan_for(assignment, release, root):
    """student -> (notebook, expectation) for one assignment."""
    right = solution_answers(assignment)
    plan = {"solution": (submission(release, right), "full"),
            "untouched": (submission(release, {}), "zero"),
            **{f"tampered_{attack}": (hostile.tampered(release, right, attack), "zero")
               for attack in hostile.ATTACKS},
            "chaos": (hostile.chaos(release, right), "chaos")}
    wrong = WRONG_ANSWERS[assignment]   # all in one submission: they do not depend on each other
    plan["wrong"] = (submission(release, {**right, **{g: w[2] for g, w in wrong.items()}}),
                     [w[:2] for w in wrong.values()])
    caught = VISIBLE_CATCHES[assignment]
    if caught:
        tests = dict(hostile.parts(release))
        plan["caught"] = (submission(release, {**right, **{g: c[2] for g, c in caught.items()}}),
                          {"zero": [t for g in caught for t in tests[g]],
                           "hints": {c[0]: c[1] for c in caught.values()}})
    return plan


def round_trip(tmp_path, assignments, escape=False) -> Path:
    from nbgrader.api import Gradebook

    root = tmp_path / "course"
    root.mkdir()
    (root / "nbgrader_config.py").write_text(
        f'c = get_config()\nc.CourseDirectory.course_id = "{COURSE_ID}"\n')
    plans, guarded = {}, {}
    for assignment in assignments:
        (root / "source" / assignment).mkdir(parents=True)
        shutil.copy(REPO / "solutions" / f"{assignment}.ipynb",
                    root / "source" / assignment / f"{assignment}.ipynb")
        run(root, "nbgrader", "db", "assignment", "add", assignment)
        run(root, "nbgrader", "generate_assignment", assignment)
        release = root / "release" / assignment / f"{assignment}.ipynb"
        assert release.read_bytes() == (REPO / "exercises" / f"{assignment}.ipynb").read_bytes(), \
            "nbgrader's release differs from exercises/: run `lottery-keras course build`"
        plan = plans[assignment] = plan_for(assignment, release, root)
        if escape:
            name = f"{assignment}/{assignment}.ipynb"
            targets = [f"{base}{path}" for base in ("../../../", f"{root}/")
                       for path in ("gradebook.db", f"submitted/solution/{name}",
                                    f"source/{name}")]
            plan["escape"] = (hostile.escape(release, solution_answers(assignment), targets),
                              "full")
        for student, (nb, _) in plan.items():
            folder = root / "submitted" / student / assignment
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{assignment}.ipynb")
        guarded.update({p: p.read_bytes() for p in (root / "source" / assignment).iterdir()})
        guarded.update({p: p.read_bytes() for p in (root / "submitted").rglob("*.ipynb")})

    for assignment in assignments:
        run(root, "lottery-keras", "course", "grade", assignment, "--processes", "256",
            "--timeout", "20")   # per cell: the graded ones take seconds; the loops stop sooner
    for path, content in guarded.items():
        assert path.read_bytes() == content, f"{path} was changed during grading"
    run(root, "nbgrader", "export")
    for assignment in assignments:
        run(root, "nbgrader", "generate_feedback", assignment)
        assert (root / "feedback" / "solution" / assignment / f"{assignment}.html").is_file()

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id=COURSE_ID) as gb:
        for assignment, plan in plans.items():
            first_visible = hostile.parts(root / "release" / assignment /
                                          f"{assignment}.ipynb")[0][1][0]
            for student, (_, expect) in plan.items():
                check_scores(gb.find_submission(assignment, student), student, expect,
                             first_visible, written_answers(assignment))
            if "caught" in plan:
                graded = nbformat.read(root / "autograded" / "caught" / assignment /
                                       f"{assignment}.ipynb", 4)
                outputs = {c.metadata.get("nbgrader", {}).get("grade_id"):
                           json.dumps(c.get("outputs", [])) for c in graded.cells}
                for visible, hint in plan["caught"][1]["hints"].items():
                    assert hint in outputs[visible], (assignment, visible, hint,
                                                      outputs[visible][:3000])
    rows = list(csv.DictReader((root / "grades.csv").open()))
    assert {r["student_id"] for r in rows} == {s for plan in plans.values() for s in plan}
    return root


def check_scores(sub, student, expect, first_visible, written):
    """`written`: grade_id -> points of the written answers, which nbgrader leaves to a person:
    counted in the maximum, no points until graded by hand (0 at once when left unanswered)."""
    cells = {g.name: g for nb in sub.notebooks for g in nb.grades}
    grades = {name: (g.score, g.max_score) for name, g in cells.items()}
    total, full = sub.score, sub.max_score
    assert full > 0
    for name, points in written.items():
        assert grades[name] == (0, points), (student, name, grades)
        answered = expect == "full" or isinstance(expect, (list, dict))  # given the solution's
        assert cells[name].needs_manual_grade == answered, (
            student, name, "an answered written question needs manual grading, an unanswered "
            "one does not")
    assert full == sum(max_score for _, max_score in grades.values())
    auto = full - sum(written.values())       # what the autograder can give
    if expect == "full":
        assert total == auto, (student, grades)
    elif expect == "zero":
        assert total == 0, (student, grades)
    elif expect == "chaos":         # only the visible tests of the part it solved
        assert total == grades[first_visible][1] > 0, (student, grades)
    elif isinstance(expect, dict):  # caught: its visible and hidden tests 0, the others full
        for name in expect["zero"]:
            assert grades[name][0] == 0 < grades[name][1], (student, name, grades)
        assert total == auto - sum(grades[name][1] for name in expect["zero"]), (student, grades)
    else:                           # wrong answers: visible tests pass, hidden ones fail
        for visible, hidden in expect:
            assert grades[visible][0] == grades[visible][1] > 0, (student, visible, grades)
            assert grades[hidden][0] == 0 < grades[hidden][1], (student, hidden, grades)
        assert total == sum(grades[visible][1] for visible, _ in expect), (student, grades)
