import sys

from ganzoo_edge.cli import main

sys.exit(main())
