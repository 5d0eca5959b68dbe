import httpx


async def test_healthz_reports_the_database(client: httpx.AsyncClient, db_url: str) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    expected = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    assert response.json() == {"status": "ok", "database": expected}


async def test_openapi_document_lists_the_api(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    assert doc["info"]["title"] == "Admit"
    for path in (
        "/api/v1/sessions",
        "/api/v1/sessions/{session_id}/availability",
        "/api/v1/admin/venues/{venue_id}/seatmaps",
        "/api/v1/admin/audit/verify",
    ):
        assert path in doc["paths"]


async def test_admin_endpoints_need_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/admin/venues")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    response = await client.get(
        "/api/v1/admin/venues", headers={"Authorization": "Bearer not-a-token"}
    )
    assert response.status_code == 401


async def test_unknown_path_is_a_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
