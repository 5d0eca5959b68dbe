from catalog_factories import *  # noqa
from admit.catalog.seatmap_generators import stadium_bowl

async def test_explore(admin, db_url):
    w = await make_venue_with_map(admin)
    r = await admin.get(f"/api/v1/sessions/{w.session_id}/availability")
    print(db_url[:10], r.status_code, r.headers, r.text)
    r = await admin.get(f"/api/v1/sessions/{w.session_id}/seatmap")
    print(r.status_code, r.headers, r.text[:500])
    r = await admin.get(f"/api/v1/sessions/{w.session_id}")
    print(r.status_code, r.text)
    r = await admin.get(f"/api/v1/sessions", params={"q": "night"})
    print(r.status_code, r.text)
    r = await admin.get(f"/api/v1/admin/sessions/{w.session_id}/plan")
    print(r.status_code, r.text)
    r = await admin.patch(f"/api/v1/admin/venues/{w.venue_id}", json={"name": None})
    print(r.status_code, r.text)
    r = await admin.patch(f"/api/v1/admin/events/{w.event_id}", json={"name": None})
    print(r.status_code, r.text)
    print(await audit_log(admin))
    assert 0
