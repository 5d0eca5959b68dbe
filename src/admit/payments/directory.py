"""The payment gateways a process can use, by name (the composition root fills it)."""

from __future__ import annotations

from collections.abc import Iterator

from admit.core.errors import NotFound
from admit.payments.gateway import PaymentGateway


class Gateways:
    def __init__(self, *gateways: PaymentGateway) -> None:
        self._by_name: dict[str, PaymentGateway] = {g.name: g for g in gateways}

    def get(self, name: str) -> PaymentGateway:
        try:
            return self._by_name[name]
        except KeyError:
            raise NotFound(
                f"no payment method {name!r}; methods are {', '.join(self._by_name) or 'none'}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    async def aclose(self) -> None:
        for gateway in self._by_name.values():
            await gateway.aclose()
