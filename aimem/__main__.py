"""``python -m aimem`` behaves exactly like the ``aimem`` command."""

import sys

from aimem.entry import main

sys.exit(main())
