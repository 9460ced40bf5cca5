"""The API's JSON parser: DRF's, refusing bodies nested too deeply with a 400.

Python's JSON decoder gives up on deep nesting with RecursionError, which DRF's parser does
not catch (a 500). A body nested less deeply than that still parses, and could make a later
step recurse as far (validation, error messages, the audit log's JSON): no request of this
API nests more than a few levels, so anything past MAX_JSON_DEPTH is refused at the door.
"""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32
TOO_DEEP = f"JSON parse error - the body is nested too deeply (at most {MAX_JSON_DEPTH} levels)."


def json_depth_exceeds(data: object, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects nest more than `limit` levels (walked without recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return False


class JSONDepthLimitParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if json_depth_exceeds(data):
            raise ParseError(TOO_DEEP)
        return data
