"""Sparse tickets at inference time: .tflite export, the LiteRT runner and its GPU diagnosis,
timing, compaction to smaller dense models, and an XNNPACK sparse-inference model."""

from lottery_keras._lazy import attach

__getattr__, __dir__ = attach(__name__, {
    "export": "export", "litert": "litert", "gpu": "gpu", "timing": "timing",
    "compaction": "compaction", "xnnpack_model": "xnnpack_model",
    "to_tflite": "export:to_tflite", "verify": "export:verify", "compact": "compaction:compact",
    "dead_units": "compaction:dead_units", "time_runners": "timing:time_runners",
})
