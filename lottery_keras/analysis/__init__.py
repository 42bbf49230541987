"""Measuring tickets: Early-Bird mask distance, linear interpolation and error barriers, MACs."""

from lottery_keras._lazy import attach

__getattr__, __dir__ = attach(__name__, {
    "early_bird": "early_bird", "interpolation": "interpolation", "flops": "flops",
    "EarlyBird": "early_bird:EarlyBird", "mask_distance": "early_bird:mask_distance",
    "interpolate": "interpolation:interpolate", "linear_path": "interpolation:linear_path",
    "error_barrier": "interpolation:error_barrier", "macs": "flops:macs",
})
