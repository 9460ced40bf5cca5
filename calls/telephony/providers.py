"""The providers by name: `provider_get` for the configured one (ProviderConfig)."""

from __future__ import annotations

from calls.models import Provider, ProviderConfig
from calls.selectors import provider_config_get
from calls.telephony.base import ProviderNotConfigured, TelephonyProvider
from calls.telephony.simulator import SimulatorProvider
from calls.telephony.twilio import TwilioProvider


def provider_class(name: str) -> type[TelephonyProvider]:
    """The provider class for a name; ProviderNotConfigured when there is none."""
    if name == Provider.SIMULATOR:
        return SimulatorProvider
    if name == Provider.TWILIO:
        return TwilioProvider
    raise ProviderNotConfigured(f"Unknown telephony provider {name!r}.")


def provider_get(name: str | None = None, *, config: ProviderConfig | None = None):
    """A provider by name, or the one `ProviderConfig` selects when no name is given.
    ProviderNotConfigured, saying what is missing, when it cannot work here (Twilio without
    its credentials)."""
    if name is None:
        if config is None:
            config = provider_config_get()
        name = config.provider
    return provider_class(name)(config)
