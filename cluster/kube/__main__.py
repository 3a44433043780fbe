import sys

from kube.cli import main

sys.exit(main())
