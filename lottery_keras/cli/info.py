"""`lottery-keras info`: versions and where the datasets were found (an environment check)."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("info", help="print versions and which datasets are available")
    p.add_argument("--data-dir", default=None, help="folder with mnist/ and fashion-mnist/ IDX files")
    p.set_defaults(func=run)


def run(args) -> int:
    import platform

    import tensorflow_model_optimization as tfmot

    from lottery_keras import __version__
    from lottery_keras import data as datasets
    from lottery_keras._keras import keras, tf

    print(f"lottery_keras {__version__}")
    print(f"python        {platform.python_version()}")
    print(f"tensorflow    {tf.__version__}")
    print(f"tf_keras      {keras.__version__}")
    print(f"tfmot         {tfmot.__version__}")
    for name in datasets.NAMES:  # found, or whether a download would work (one quick request)
        print(f"{name:<14}{datasets.describe(name, data_dir=args.data_dir)}")
    return 0
