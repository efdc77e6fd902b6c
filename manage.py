#!/usr/bin/env python
"""Django's manage.py; ``aftersales`` (aftersales/cli.py) is the same command."""

from aftersales.cli import main

if __name__ == "__main__":
    main()
