"""The Browse part of the storefront: home, search, event and session pages."""

from __future__ import annotations

from fastapi import APIRouter

from admit.web import home, search_page, session_page

router = APIRouter(include_in_schema=False)
router.include_router(home.router)
router.include_router(search_page.router)
router.include_router(session_page.router)
