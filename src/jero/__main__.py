"""`python -m jero ...`: the `jero` command."""

import sys

from jero._cli import main

if __name__ == "__main__":
    sys.exit(main())
