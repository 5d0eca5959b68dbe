"""Whether settings are fit to serve the public (pure: settings in, problems out).

A deployment is *production* when ``ADMIT_ENVIRONMENT=production``, or, with the setting
unset, when its database is PostgreSQL or its public URL names a host other than this machine;
``ADMIT_ENVIRONMENT=development`` says otherwise explicitly (tests, benchmarks, a developer's
PostgreSQL). A production server refuses to start while a shared secret keeps its published
default, the field-encryption or lookup keys are unset (keys made on the fly under the data
directory differ from server to server and leave with its disk), or the simulators are mounted
in process (``/_sim`` would list every sign-in code and approve any payment)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from admit.core.config import Settings

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0", ""})
# Secrets that ship with the code: the settings' defaults, and placeholders seen in examples.
PUBLISHED_SECRETS = frozenset({"dev-secret", "secret", "changeme", "change-me"})


@dataclass(frozen=True, slots=True)
class SharedSecret:
    """A secret shared with an outside system: its environment variable and its value."""

    variable: str
    value: str


def is_production(settings: Settings) -> bool:
    """Explicit ``environment`` wins; otherwise PostgreSQL or a non-local public URL."""
    if settings.environment is not None:
        return settings.environment == "production"
    if settings.effective_database_url.startswith("postgresql"):
        return True
    if settings.public_url:
        host = urlsplit(settings.public_url).hostname or ""
        return host.lower() not in LOCAL_HOSTS
    return False


def problems(settings: Settings, secrets: list[SharedSecret]) -> list[str]:
    """Why these settings may not serve the public, one line per setting (empty: they may).
    ``secrets`` are every shared secret of the deployment's adapters (see
    :func:`shared_secrets`)."""
    found: list[str] = []
    for secret in secrets:
        if not secret.value.strip() or secret.value.strip().lower() in PUBLISHED_SECRETS:
            found.append(
                f"{secret.variable} is a published default: set the secret the partner issued"
            )
    if not settings.field_keys:
        found.append(
            "ADMIT_FIELD_KEYS is unset: personal data would be encrypted with a key made on "
            "this machine's disk"
        )
    if not settings.lookup_key:
        found.append(
            "ADMIT_LOOKUP_KEY is unset: lookups would be keyed with a key made on this "
            "machine's disk"
        )
    for provider in settings.oidc_providers:
        if not provider.issuer.startswith("https://"):
            found.append(
                f"ADMIT_OIDC_PROVIDERS[{provider.name}] has an issuer that is not https: its "
                "keys and tokens could be changed on the way"
            )
    if settings.simulators_in_process:
        found.append(
            "ADMIT_SIMULATORS_IN_PROCESS is true: /_sim would serve the SMS, identity, bank "
            "and cinema simulators without authentication (set it to false)"
        )
    return found


def shared_secrets(settings: Settings, cinema_secret: str) -> list[SharedSecret]:
    """The secrets of the platform's own settings plus the cinema box office's."""
    return [
        SharedSecret("ADMIT_SMS_SECRET", settings.sms_secret),
        SharedSecret("ADMIT_IDENTITY_SECRET", settings.identity_secret),
        SharedSecret("ADMIT_BANK_SECRET", settings.bank_secret),
        SharedSecret("ADMIT_CINEMA_SECRET", cinema_secret),
        *(
            SharedSecret(f"ADMIT_OIDC_PROVIDERS[{p.name}].client_secret", p.client_secret)
            for p in settings.oidc_providers
        ),
    ]


class InsecureSettings(RuntimeError):
    """Raised by a server process whose production settings have :func:`problems`."""

    def __init__(self, found: list[str]) -> None:
        super().__init__("refusing to serve in production: " + "; ".join(found))
        self.problems = found
