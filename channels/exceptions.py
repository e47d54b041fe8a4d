"""Errors of channel integration, with messages fit to show an administrator."""


class ChannelError(Exception):
    """Base of the channels app's errors."""


class UnsafeDestination(ChannelError):
    """A webhook URL the hub must not send to (private network, loopback, no DNS answer)."""


class EndpointInactive(ChannelError):
    """The delivery's webhook endpoint is not active; re-enable it before re-sending."""


class TransportError(ChannelError):
    """The mail transport as a whole failed (connect, authenticate, reach the provider).

    ``transient`` says whether sending the same batch later may succeed; an error in one
    recipient is never raised but reported in that mail's outcome.
    """

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class SNSVerificationError(ChannelError):
    """An SNS message the hub does not believe: bad signature, certificate, age or topic."""


class SNSUnreachable(SNSVerificationError):
    """AWS could not be reached (signing certificate, subscription confirmation): retry later."""


class SESNotificationError(ChannelError, ValueError):
    """An SES notification without a field the hub needs; the message names the field."""
