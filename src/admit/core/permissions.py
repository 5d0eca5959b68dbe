"""Roles as permission sets (ROLE, U4, U5): the one matrix every admin endpoint is checked
against, and what a grant's scope lets it reach. Pure: no I/O. ``docs/permissions.md`` shows
the matrix (a test keeps it so).

A grant is global or scoped to one organiser, venue, channel, outlet or contract client.
``Principal.can`` answers for global grants only: a scoped grant never counts where nobody
asked where the resource lies. Routes that serve scoped resources say so (``admit.http.deps``)
and then ask ``can_in`` (this resource) or ``reach`` (which ids of a kind, for lists)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Permission(enum.StrEnum):
    CATALOG_READ = "catalog.read"
    CATALOG_WRITE = "catalog.write"
    PLAN_WRITE = "plan.write"
    AUDIT_READ = "audit.read"
    STAFF_MANAGE = "staff.manage"
    ACCOUNTS_OPERATE = "accounts.operate"  # lock, unlock, reset passwords (U5)
    CUSTOMERS_READ = "customers.read"
    PERSONAL_DATA_UNMASK = "personal_data.unmask"
    PERSONAL_DATA_EXPORT = "personal_data.export"
    IDENTITY_REVIEW = "identity.review"
    SECURITY_POLICY = "security_policy.manage"
    API_CLIENTS = "api_clients.manage"
    SALES_CONFIGURE = "sales.configure"  # channels, outlets, sales windows and quotas
    SELL = "sales.sell"  # box office, agents and client reps, from the selling issue on
    GATE = "gate.validate"
    GATE_ADMIN = "gate.manage"
    CONTENT = "content.manage"
    DASHBOARDS = "dashboards.read"
    MESSAGES = "messages.manage"
    FINANCE = "finance.read"  # ledger balances, daily bills, settlement runs and statements
    SETTLEMENT = "finance.settle"  # agreements with the parties, settlement runs
    REFUNDS = "refunds.manage"  # refund policies, reviewing refund requests, cancelling sessions
    PARTNERS = "partners.manage"  # partner cinemas: import showtimes, watch their orders
    RECONCILE = "partners.reconcile"  # reconcile cinemas and gateways, resolve exceptions
    CLIENTS = "clients.manage"  # clients, client groups, the buyers linked to a client


class Role(enum.StrEnum):
    """The ten staff roles; the public visitor and the registered customer are not staff."""

    SYSTEM_ADMIN = "system_admin"
    TICKET_OPS = "ticket_ops"
    CUSTOMER_SERVICE = "customer_service"
    CONTENT_ADMIN = "content_admin"
    BUSINESS_MANAGER = "business_manager"
    VALIDATION_ADMIN = "validation_admin"
    VALIDATION_STAFF = "validation_staff"
    KIOSK_STAFF = "kiosk_staff"
    AGENT_STAFF = "agent_staff"
    CLIENT_REP = "client_rep"


P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.SYSTEM_ADMIN: frozenset(Permission),
    Role.TICKET_OPS: frozenset(
        {
            P.SALES_CONFIGURE,
            P.CATALOG_READ,
            P.CATALOG_WRITE,
            P.PLAN_WRITE,
            P.AUDIT_READ,
            P.DASHBOARDS,
            P.PARTNERS,
            P.RECONCILE,
            P.CLIENTS,
            P.REFUNDS,
        }
    ),
    Role.CUSTOMER_SERVICE: frozenset(
        {
            P.CATALOG_READ,
            P.CUSTOMERS_READ,
            P.ACCOUNTS_OPERATE,
            P.PERSONAL_DATA_UNMASK,
            P.IDENTITY_REVIEW,
            P.REFUNDS,
        }
    ),
    Role.CONTENT_ADMIN: frozenset({P.CATALOG_READ, P.CONTENT}),
    Role.BUSINESS_MANAGER: frozenset(
        {P.CATALOG_READ, P.DASHBOARDS, P.AUDIT_READ, P.FINANCE, P.SETTLEMENT}
    ),
    Role.VALIDATION_ADMIN: frozenset({P.CATALOG_READ, P.GATE, P.GATE_ADMIN}),
    Role.VALIDATION_STAFF: frozenset({P.GATE}),
    Role.KIOSK_STAFF: frozenset({P.CATALOG_READ, P.SELL, P.CUSTOMERS_READ}),
    Role.AGENT_STAFF: frozenset({P.CATALOG_READ, P.SELL}),
    Role.CLIENT_REP: frozenset({P.CATALOG_READ, P.SELL}),
}


class ScopeKind(enum.StrEnum):
    GLOBAL = "global"
    ORGANISER = "organiser"
    VENUE = "venue"
    CHANNEL = "channel"
    OUTLET = "outlet"
    CLIENT = "client"  # a contract client's rep (issue 19): its client's contract routes only


@dataclass(frozen=True, slots=True)
class Grant:
    role: Role
    scope: ScopeKind = ScopeKind.GLOBAL
    scope_id: str | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated staff member and what their grants allow."""

    staff_id: int
    username: str
    grants: tuple[Grant, ...]

    def can(self, permission: Permission) -> bool:
        """Whether a global grant carries ``permission`` (everywhere, whatever the resource)."""
        return any(
            permission in ROLE_PERMISSIONS[g.role] and g.scope is ScopeKind.GLOBAL
            for g in self.grants
        )

    def scopes_of(self, permission: Permission) -> frozenset[ScopeKind]:
        """The kinds of scope (``GLOBAL`` included) of the grants that carry ``permission``."""
        return frozenset(g.scope for g in self.grants if permission in ROLE_PERMISSIONS[g.role])

    def reach(self, permission: Permission, scope: ScopeKind) -> frozenset[str] | None:
        """The ids of this kind that grants carrying ``permission`` are scoped to; ``None``
        when a global grant carries it (every id)."""
        if self.can(permission):
            return None
        return frozenset(
            g.scope_id
            for g in self.grants
            if permission in ROLE_PERMISSIONS[g.role] and g.scope is scope and g.scope_id
        )

    def can_in(self, permission: Permission, scope: ScopeKind, scope_id: object) -> bool:
        """Whether a global grant, or one scoped to exactly this organiser/venue/…, allows it."""
        return any(
            permission in ROLE_PERMISSIONS[g.role]
            and (g.scope is ScopeKind.GLOBAL or (g.scope is scope and g.scope_id == str(scope_id)))
            for g in self.grants
        )


def permission_table(roles: Iterable[Role] = tuple(Role)) -> str:
    """The matrix as a Markdown table (what ``docs/permissions.md`` shows)."""
    roles = list(roles)
    lines = [
        "| permission | " + " | ".join(r.value for r in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for perm in Permission:
        marks = " | ".join("✔" if perm in ROLE_PERMISSIONS[r] else "" for r in roles)
        lines.append(f"| `{perm.value}` | {marks} |")
    return "\n".join(lines)
