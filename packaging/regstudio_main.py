"""Entry point of the PyInstaller bundle: the same command line as ``regstudio``.

``multiprocessing.freeze_support()`` runs first (cli.main calls it too) so that the
``spawn`` workers of a sweep, which re-run this executable, never reach argparse.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from regstudio.cli import main

    sys.exit(main())
