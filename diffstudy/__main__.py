"""``python -m diffstudy``: see :mod:`diffstudy.cli`."""

from .cli import main

raise SystemExit(main())
