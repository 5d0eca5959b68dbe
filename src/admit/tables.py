"""Every slice's tables on one metadata: what migrations and ``alembic check`` compare with."""

from admit.accounts import identity_models
from admit.accounts import models as accounts_models
from admit.aftersale import models as aftersale_models
from admit.catalog import models as catalog_models
from admit.channels import booking_models as channel_booking_models
from admit.channels import contract_models
from admit.channels import terminals_models as channel_terminals_models
from admit.checkin import models as checkin_models
from admit.clients import models as clients_models
from admit.content import models as content_models
from admit.core import audit, heartbeat, outbox, platform_mode, staff_notices
from admit.core.db import Base
from admit.finance import models as finance_models
from admit.inventory import models as inventory_models
from admit.messaging import models as messaging_models
from admit.partners import models as partners_models
from admit.payments import models as payments_models
from admit.production import models as production_models
from admit.reports import models as reports_models
from admit.sales import models as sales_models
from admit.sales import shift_models
from admit.settlement import models as settlement_models
from admit.ticketing import models as ticketing_models
from admit.waiting import models as waiting_models

metadata = Base.metadata

__all__ = [
    "accounts_models",
    "aftersale_models",
    "identity_models",
    "audit",
    "catalog_models",
    "channel_booking_models",
    "channel_terminals_models",
    "checkin_models",
    "contract_models",
    "clients_models",
    "content_models",
    "heartbeat",
    "finance_models",
    "inventory_models",
    "messaging_models",
    "partners_models",
    "payments_models",
    "production_models",
    "reports_models",
    "sales_models",
    "shift_models",
    "settlement_models",
    "waiting_models",
    "ticketing_models",
    "metadata",
    "outbox",
    "platform_mode",
    "staff_notices",
]
