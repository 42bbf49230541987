"""`python -m lottery_keras.cli`: the same as the `lottery-keras` command."""

import sys

from lottery_keras.cli import main

sys.exit(main())
