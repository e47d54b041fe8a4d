"""Errors raised by content services."""


class ContentError(Exception):
    """Base class for content errors that a caller can show to a user."""


class WorkflowNotConfigured(ContentError):
    """The model has no approval workflow assigned, so it cannot be submitted."""


class NotInReview(ContentError):
    """The item is not awaiting review, so there is nothing to approve or reject."""


class NotAReviewer(ContentError):
    """The user is not in the group that reviews the current step."""
