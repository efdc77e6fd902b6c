"""The ``aftersales`` command: every Django management command plus the project's own.

``aftersales serve``, ``aftersales worker``, ``aftersales demo``,
``aftersales calendar due …`` and ``aftersales migrate`` are all management
commands run through Django's dispatcher.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["aftersales", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
