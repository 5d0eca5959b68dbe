"""Response classes for what is not JSON, so that the OpenAPI document names the real media
type of each file an operation answers with (``response_class=CsvResponse``)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

_FILE = {"type": "string", "format": "binary"}


class CsvResponse(Response):
    media_type = "text/csv"


class PdfResponse(Response):
    media_type = "application/pdf"


class SvgResponse(Response):
    media_type = "image/svg+xml"


class PngResponse(Response):
    media_type = "image/png"


class NdjsonResponse(Response):
    media_type = "application/x-ndjson"


def file_content(*media_types: str) -> dict[int | str, dict[str, Any]]:
    """``responses=file_content("text/csv", "application/json")``: a 200 in one of several
    media types (the request chooses); a JSON one is an object."""
    return {
        200: {
            "content": {
                media: {"schema": {"type": "object"} if media.endswith("json") else _FILE}
                for media in media_types
            }
        }
    }
