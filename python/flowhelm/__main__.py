"""`python -m flowhelm ARGS` runs the `flowhelm` command installed with this package."""

import os
import subprocess
import sys

from ._run import binary


def main() -> None:
    exe = binary()
    if os.name == "posix":
        os.execv(exe, [exe, *sys.argv[1:]])
    sys.exit(subprocess.call([exe, *sys.argv[1:]]))


if __name__ == "__main__":
    main()
