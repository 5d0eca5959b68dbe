"""A payment gateway whose daily statements are empty and which otherwise answers as the one
it wraps (an unreachable bank, in the contract tests): reconciliation gets an answer, every
other call behaves as before."""

from __future__ import annotations

from datetime import date, datetime

from admit.payments.gateway import (
    CreatedTrade,
    Notification,
    PaymentGateway,
    RefundResult,
    StatementLine,
    TradeState,
)


class EmptyStatements(PaymentGateway):
    def __init__(self, inner: PaymentGateway) -> None:
        self.inner = inner
        self.name = inner.name
        self.ack = inner.ack

    async def create(
        self,
        *,
        out_trade_no: str,
        amount: int,
        currency: str,
        subject: str,
        notify_url: str,
        return_url: str,
        expires_at: datetime,
    ) -> CreatedTrade:
        return await self.inner.create(
            out_trade_no=out_trade_no,
            amount=amount,
            currency=currency,
            subject=subject,
            notify_url=notify_url,
            return_url=return_url,
            expires_at=expires_at,
        )

    def parse_notification(self, body: bytes, content_type: str) -> Notification:
        return self.inner.parse_notification(body, content_type)

    async def query(self, out_trade_no: str) -> TradeState:
        return await self.inner.query(out_trade_no)

    async def close(self, out_trade_no: str) -> TradeState:
        return await self.inner.close(out_trade_no)

    async def refund(
        self, *, out_trade_no: str, out_refund_no: str, amount: int, reason: str
    ) -> RefundResult:
        return await self.inner.refund(
            out_trade_no=out_trade_no, out_refund_no=out_refund_no, amount=amount, reason=reason
        )

    async def refund_query(self, *, out_trade_no: str, out_refund_no: str) -> RefundResult | None:
        return await self.inner.refund_query(out_trade_no=out_trade_no, out_refund_no=out_refund_no)

    async def statement(self, day: date) -> list[StatementLine]:
        return []

    async def aclose(self) -> None:
        await self.inner.aclose()
