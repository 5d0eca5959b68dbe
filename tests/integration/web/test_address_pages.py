"""The delivery addresses page (issue 27, item 3; FE3), through the site's forms on SQLite and
PostgreSQL: reached from the account page; an address added, edited (an empty phone keeps the
one on file), made default and removed; a refusal said on the page with what was typed kept
and nothing stored; past the cap, the form gives way to a sentence; another customer's
address is a 404 page; a form from another site is refused."""

from __future__ import annotations

import re

import httpx
import pytest

from admit.accounts import addresses
from admit.accounts.address_rules import MAX_ADDRESSES, AddressFields
from admit.accounts.models import CustomerAddress
from admit.core.audit_context import Actor
from admit.core.runtime import Runtime
from tests.integration.accounts.customer_flows import count
from tests.integration.web.checkout_flows import location, signed_in_buyer

pytestmark = pytest.mark.backends

PAGE = "/account/addresses"
HOME = {
    "province": "广东省",
    "city": "深圳市",
    "district": "南山区",
    "street": "科技园路1号 A座 1201",
    "recipient": "韩梅梅",
    "phone": "135 1234 5678",
    "postal_code": "518057",
    "label": "Office",
}
OTHER = {**HOME, "district": "福田区", "street": "深南大道2号", "recipient": "李雷"}


def _ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-address="(\d+)"', page)]


def _card(page: str, address_id: int) -> str:
    found = re.search(rf'data-address="{address_id}">.*?</li>', page, re.S)
    assert found, page
    return found.group(0)


def _default(page: str) -> int:
    found = re.search(r'data-address="(\d+)">(?:(?!data-address).)*address-default', page, re.S)
    assert found, page
    return int(found.group(1))


async def test_an_address_is_added_edited_made_default_and_removed_on_the_page(
    web: httpx.AsyncClient, runtime: Runtime
) -> None:
    await signed_in_buyer(runtime, web, "13700000081")
    account = (await web.get("/account")).text
    assert f'href="{PAGE}"' in account
    assert "No delivery addresses yet." in (await web.get(PAGE)).text

    assert location(await web.post(PAGE, data=HOME)) == PAGE
    page = (await web.get(PAGE)).text
    [first] = _ids(page)
    assert "韩梅梅" in page
    assert '<span class="address-phone">135****5678</span>' in page
    assert "13512345678" not in page, "the phone is shown masked only"
    assert "广东省 深圳市 南山区 科技园路1号 A座 1201 · 518057" in page
    assert _default(page) == first, "the first address is the default"
    assert 'autocomplete="street-address"' in page

    assert location(await web.post(PAGE, data=OTHER)) == PAGE
    second = max(_ids((await web.get(PAGE)).text))
    assert location(await web.post(f"{PAGE}/{second}/default", data={})) == PAGE
    page = (await web.get(PAGE)).text
    assert (_ids(page), _default(page)) == ([second, first], second)

    edited = {**HOME, "street": "科技园路3号", "phone": "", "label": ""}
    assert location(await web.post(f"{PAGE}/{first}", data=edited)) == PAGE
    page = (await web.get(PAGE)).text
    assert "南山区 科技园路3号 · 518057" in page
    card = _card(page, first)
    assert '<span class="address-phone">135****5678</span>' in card, "the phone kept"
    assert "(empty: keep 135****5678)" in card
    assert ">Office<" not in card, "the label removed"

    assert location(await web.post(f"{PAGE}/{second}/remove", data={})) == PAGE
    page = (await web.get(PAGE)).text
    assert (_ids(page), _default(page)) == ([first], first)


async def test_a_refusal_is_said_on_the_page_and_nothing_is_stored(
    web: httpx.AsyncClient, runtime: Runtime
) -> None:
    await signed_in_buyer(runtime, web, "13700000082")
    blank = await web.post(PAGE, data={**HOME, "province": "   "})
    assert blank.status_code == 400
    assert "Province: must not be blank." in blank.text
    assert 'value="科技园路1号 A座 1201"' in blank.text, "what was typed is kept"
    wrong_phone = await web.post(PAGE, data={**HOME, "phone": "1234"})
    assert wrong_phone.status_code == 400
    assert "Recipient&#39;s mobile number: a mainland mobile number" in wrong_phone.text
    assert await count(runtime, CustomerAddress) == 0

    assert location(await web.post(PAGE, data=HOME)) == PAGE
    [kept] = _ids((await web.get(PAGE)).text)
    bad_edit = await web.post(f"{PAGE}/{kept}", data={**HOME, "recipient": "韩梅梅3"})
    assert bad_edit.status_code == 400
    assert "Recipient&#39;s name:" in bad_edit.text
    assert "韩梅梅3" not in (await web.get(PAGE)).text


async def test_past_the_cap_the_form_gives_way_and_a_late_form_is_refused(
    web: httpx.AsyncClient, runtime: Runtime
) -> None:
    cid = await signed_in_buyer(runtime, web, "13700000083")
    async with runtime.uow(addresses_actor(cid)) as uow:
        for n in range(MAX_ADDRESSES):
            fields = AddressFields(**{**HOME, "street": f"科技园路{n}号"})
            await addresses.add_address(
                uow,
                runtime.crypto,
                customer_id=cid,
                fields=fields,
                make_default=False,
                now=runtime.clock.now(),
            )
    page = (await web.get(PAGE)).text
    assert 'id="addresses-full"' in page
    assert 'id="add-address"' not in page
    late = await web.post(PAGE, data=OTHER)
    assert late.status_code == 409
    assert "as many delivery addresses as an account may keep" in late.text
    assert await count(runtime, CustomerAddress) == MAX_ADDRESSES


async def test_another_customers_address_and_another_sites_form_are_refused(
    web: httpx.AsyncClient, runtime: Runtime
) -> None:
    await signed_in_buyer(runtime, web, "13700000084")
    assert location(await web.post(PAGE, data=HOME)) == PAGE
    [theirs] = _ids((await web.get(PAGE)).text)
    web.cookies.clear()
    await signed_in_buyer(runtime, web, "13700000085")
    for path in (f"{PAGE}/{theirs}/remove", f"{PAGE}/{theirs}/default"):
        assert (await web.post(path, data={})).status_code == 404
    assert (await web.post(f"{PAGE}/{theirs}", data=OTHER)).status_code == 404
    cross = await web.post(PAGE, data=HOME, headers={"Origin": "http://evil.example"})
    assert cross.status_code == 403
    assert await count(runtime, CustomerAddress) == 1
    web.cookies.clear()
    assert (await web.get(PAGE)).status_code == 303  # signed out: to the sign-in page


def addresses_actor(customer_id: int) -> Actor:
    return Actor(kind="customer", id=str(customer_id))
