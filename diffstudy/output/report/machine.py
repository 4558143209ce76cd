"""What in REPORT.md depends on the machine that wrote it: the times, written between two markers.

Counts are the same on every machine; times are not. Every block of times stands between
:data:`BEGIN` and :data:`END`, and :func:`comparable` blanks each such block: what the report's
up-to-date test compares.
"""

from __future__ import annotations

import re

BEGIN = "<!-- timings: measured on the machine that wrote this report; not compared by its up-to-date test -->"
END = "<!-- end of timings -->"
_BLOCK = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)


def comparable(text: str) -> str:
    """``text`` with every block of timings blanked: what is the same on every machine."""
    return _BLOCK.sub(BEGIN + "\n" + END, text)


def timed(*parts: str) -> str:
    """``parts`` as a block of timings, between the markers (an empty block when there are none)."""
    return "\n\n".join([BEGIN, *parts, END]) if parts else BEGIN + "\n" + END
