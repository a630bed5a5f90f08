import sys

from loco.cli import main

sys.exit(main())
