"""GraSP: gradient signal preservation (Wang, Zhang & Grosse, ICLR 2020).

GraSP scores S(w) = -w * (H g), with g the loss gradient and H the Hessian, and removes
the weights with the *highest* S (their removal reduces gradient flow least). Our
scorers prune the lowest scores first, so this scorer returns -S = w * (H g).

As in the authors' reference implementation, the loss in both g and H g is taken on
softened outputs, softmax(logits / T) with temperature T = 200: at T = 1 the gradients
of a confident network are dominated by few examples and classes. ``temperature=1``
gives the plain definition of the paper's equations.
"""

from __future__ import annotations

from lottery_keras._keras import tf
from lottery_keras.scoring.criteria import GRASP_TEMPERATURE as TEMPERATURE
from lottery_keras.scoring.gradients import check_batch, default_loss, kernel_variables


def soften(probabilities, temperature: float):
    """softmax(logits / T) from the softmax outputs of a model (log p = logits - const)."""
    if temperature == 1:
        return probabilities
    log_p = tf.math.log(tf.maximum(probabilities, 1e-30))
    return tf.nn.softmax(log_p / temperature, axis=-1)


def hessian_gradient_product(ticket, x, y, loss=None, temperature: float = 1.0) -> dict:
    """{layer: H g}: the Hessian of the loss times its gradient, by double backprop, with
    the model's softmax outputs softened by `temperature`."""
    check_batch(x, y)
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature!r}")
    loss = loss or default_loss()
    kernels = kernel_variables(ticket)
    variables = list(kernels.values())
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            value = loss(y, soften(ticket.model(x, training=False), temperature))
        grads = inner.gradient(value, variables)
        # g . stop_gradient(g): its gradient is H g
        dot = tf.add_n([tf.reduce_sum(g * tf.stop_gradient(g)) for g in grads])
    hg = outer.gradient(dot, variables)
    return {name: v.numpy() for name, v in zip(kernels, hg, strict=True)}


class GraSP:
    """Scorer ``ticket -> {layer: w * Hg}`` on the batch (x, y); low scores go first.

    `temperature`: T of softmax(logits / T) in the loss (200 as published; 1 = none).
    The model must end in a softmax (as the library's models do)."""

    name = "grasp"

    def __init__(self, x, y, loss=None, temperature: float = TEMPERATURE):
        self.x, self.y, self.loss, self.temperature = x, y, loss, temperature

    def __call__(self, ticket) -> dict:
        hg = hessian_gradient_product(ticket, self.x, self.y, self.loss, self.temperature)
        return {name: k * hg[name] for name, k in ticket.kernels().items()}
