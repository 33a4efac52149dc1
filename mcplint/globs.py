"""Path globs as gitignore writes them, shared by `.gitignore` handling and the config's path patterns.

`*` and `?` stay within one path segment, `**/` spans any number of directories (none included),
a trailing `/**` matches everything below, `[...]` is a class (`[!...]` negated) and `\\` escapes.
`**` means more than `*` only as a whole segment: in `a**.yml` it is a `*`, as git reads it.
"""

from __future__ import annotations

import functools
import re


@functools.cache
def glob_regex(pattern: str, anchored: bool = True) -> re.Pattern[str]:
    """A regex matching slash-separated paths; unanchored patterns match at any directory depth."""
    out = [] if anchored else ["(?:.*/)?"]
    index = 0
    while index < len(pattern):
        whole_segment = pattern.startswith("**", index) and (index == 0 or pattern[index - 1] == "/")
        if whole_segment and pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif whole_segment and index + 2 == len(pattern):
            out.append(".*")
            index += 2
        elif pattern.startswith("**", index):
            out.append("[^/]*")
            index += 2
        elif pattern[index] == "*":
            out.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            out.append("[^/]")
            index += 1
        elif pattern[index] == "[" and pattern.find("]", index + 1) > 0:
            end = pattern.find("]", index + 1)
            body = pattern[index + 1 : end].replace("\\", "\\\\")
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append(f"[{body}]")
            index = end + 1
        elif pattern[index] == "\\" and index + 1 < len(pattern):
            out.append(re.escape(pattern[index + 1]))
            index += 2
        else:
            out.append(re.escape(pattern[index]))
            index += 1
    return re.compile("".join(out))
