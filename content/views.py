"""Admin views for content that differ from Wagtail's snippet views."""

from wagtail.snippets.views.snippets import UnpublishView


class WithdrawView(UnpublishView):
    """Unpublish, allowed by the "unpublish" permission instead of "publish".

    Taking content off the channels must not require the right to put content on them
    around the approval workflow.
    """

    permission_required = "unpublish"
