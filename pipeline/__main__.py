"""`python -m pipeline` is `newswatch`."""

from pipeline.cli import main

main()
