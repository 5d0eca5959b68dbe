"""Every slice's tables on one metadata: what migrations and ``alembic check`` compare with."""

from admit.accounts import identity_models
from admit.accounts import models as accounts_models
from admit.catalog import models as catalog_models
from admit.core import audit, outbox
from admit.core.db import Base
from admit.inventory import models as inventory_models
from admit.messaging import models as messaging_models
from admit.sales import models as sales_models

metadata = Base.metadata

__all__ = [
    "accounts_models",
    "identity_models",
    "audit",
    "catalog_models",
    "inventory_models",
    "messaging_models",
    "sales_models",
    "metadata",
    "outbox",
]
