"""``python -m lottery_keras.cli`` = ``lottery-keras``."""

import sys

from lottery_keras.cli import main

sys.exit(main())
