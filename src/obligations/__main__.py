"""``python -m obligations``: the same command line as the ``obligations`` script."""

from obligations.cli.main import main

main()
