"""One JSON object per line, the same objects as the `json` format (for streaming consumers)."""

from __future__ import annotations

import json
from typing import TextIO

from mcplint.output import Report, diagnostic_dict


def write(report: Report, stream: TextIO) -> None:
    for diagnostic in report.diagnostics:
        stream.write(json.dumps(diagnostic_dict(report, diagnostic), sort_keys=True, ensure_ascii=False) + "\n")
