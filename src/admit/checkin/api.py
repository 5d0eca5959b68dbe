"""HTTP routes of this slice (mounted under /api/v1)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
