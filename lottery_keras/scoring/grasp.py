"""GraSP: gradient signal preservation (Wang, Zhang & Grosse, ICLR 2020).

GraSP scores S(w) = -w * (H g), with g the loss gradient and H the Hessian, and removes
the weights with the *highest* S (their removal reduces gradient flow least). Our
scorers prune the lowest scores first, so this scorer returns -S = w * (H g).
"""

from __future__ import annotations

from lottery_keras._keras import tf
from lottery_keras.scoring.gradients import check_batch, default_loss, kernel_variables


def hessian_gradient_product(ticket, x, y, loss=None) -> dict:
    """{layer: H g}: the Hessian of the loss times its gradient, by double backprop."""
    check_batch(x, y)
    loss = loss or default_loss()
    kernels = kernel_variables(ticket)
    variables = list(kernels.values())
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            value = loss(y, ticket.model(x, training=False))
        grads = inner.gradient(value, variables)
        # g . stop_gradient(g): its gradient is H g
        dot = tf.add_n([tf.reduce_sum(g * tf.stop_gradient(g)) for g in grads])
    hg = outer.gradient(dot, variables)
    return {name: v.numpy() for name, v in zip(kernels, hg, strict=True)}


class GraSP:
    """Scorer ``ticket -> {layer: w * Hg}`` on the batch (x, y); low scores go first."""

    name = "grasp"

    def __init__(self, x, y, loss=None):
        self.x, self.y, self.loss = x, y, loss

    def __call__(self, ticket) -> dict:
        hg = hessian_gradient_product(ticket, self.x, self.y, self.loss)
        return {name: k * hg[name] for name, k in ticket.kernels().items()}
