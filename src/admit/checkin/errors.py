"""The gate's refusals, each with a stable code the API answers with."""

from __future__ import annotations

from admit.core.errors import Forbidden, InvalidInput, Unauthorized


class UnknownGate(InvalidInput):
    code = "unknown_gate"


class DeviceRefused(Unauthorized):
    """No such device credential, or the device was disabled."""

    code = "device_refused"


class OtherVenue(Forbidden):
    """A device asked about a session at another venue."""

    code = "other_venue"


class BadScans(InvalidInput):
    """An upload or import with scans that cannot be taken (all or nothing)."""

    code = "invalid_scans"
