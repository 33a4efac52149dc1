"""A JSON array of findings; the schema is documented in docs/output-formats.md."""

from __future__ import annotations

import json
from typing import TextIO

from mcplint.output import Report, diagnostic_dict


def write(report: Report, stream: TextIO) -> None:
    json.dump([diagnostic_dict(report, d) for d in report.diagnostics], stream, indent=2, sort_keys=True, ensure_ascii=False)
    stream.write("\n")
