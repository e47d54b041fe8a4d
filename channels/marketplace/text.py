"""Checks on text that every feed format shares."""

from __future__ import annotations

import re

# Markup in a text that must be plain: a tag or a character entity (pasted HTML).
MARKUP = re.compile(r"</?\s*[A-Za-z!][A-Za-z0-9]*(\s[^<>]*)?/?>|&(#\d+|#x[0-9A-Fa-f]+|[A-Za-z]+);")
# An ETIM value code (the value of an alphanumeric feature), e.g. EV000080.
EV_CODE = re.compile(r"EV\d{6}")
