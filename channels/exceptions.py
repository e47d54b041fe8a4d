"""Errors of channel integration, with messages fit to show an administrator."""


class ChannelError(Exception):
    """Base of the channels app's errors."""


class UnsafeDestination(ChannelError):
    """A webhook URL the hub must not send to (private network, loopback, no DNS answer)."""


class EndpointInactive(ChannelError):
    """The delivery's webhook endpoint is not active; re-enable it before re-sending."""
