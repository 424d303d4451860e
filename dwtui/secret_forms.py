"""The spellings a secret takes in output: the one place every masker derives them from.

Raw, upper/lower case (masking also ignores case), URL-encoded (`quote`, `quote_plus`),
JSON-escaped, hex, and base64 (standard and URL-safe, padded or not, and the part that stays
the same wherever the secret starts inside a longer base64-encoded text: three alignments).
A secret wrapped across lines is caught by the masker, which matches across line breaks.

Not derivable, so never masked: other encodings (base32, gzip, ...), arbitrary transforms
(reversed, a substring, a hash), and encodings of secrets shorter than
`MIN_ENCODED_LENGTH` (their fragments would mask ordinary text). Stdlib only: the detached
output filter imports this.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse

#: Below this length a secret is masked raw, case-folded, URL- and JSON-escaped only.
MIN_ENCODED_LENGTH = 8
#: Shorter fragments of an aligned base64 encoding are not masked (too common as text).
MIN_FRAGMENT = 6
#: What may stand between two parts of a secret wrapped across lines (removed before matching).
LINE_BREAK = re.compile(r"[\r\n]")


def secret_forms(value: str) -> set[str]:
    """Every spelling of `value` a masker looks for (line breaks removed from each)."""
    forms = {
        value,
        value.lower(),
        value.upper(),
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote_plus(value, safe=""),
        urllib.parse.quote(value),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
    }
    data = value.encode("utf-8")
    if len(value) >= MIN_ENCODED_LENGTH:
        forms.add(data.hex())
        forms |= base64_forms(data)
    return {joined for form in forms if (joined := LINE_BREAK.sub("", form))}


def base64_forms(data: bytes) -> set[str]:
    """`data` base64-encoded alone (padded and not) and at each of the three alignments
    inside a longer text, in the standard and URL-safe alphabets."""
    forms: set[str] = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        alone = encode(data).decode("ascii")
        forms |= {alone, alone.rstrip("=")}
        for offset in range(3):
            encoded = encode(b"\0" * offset + data + b"\0\0").decode("ascii")
            first = -(-8 * offset // 6)  # the first character made of secret bits only
            last = (8 * (offset + len(data))) // 6  # one past the last one
            fragment = encoded[first:last]
            if len(fragment) >= MIN_FRAGMENT:
                forms.add(fragment)
    return forms
