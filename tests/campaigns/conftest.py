import pytest

from tests.campaigns.campaign_setup import approve


@pytest.fixture
def approvers(marketing_approver, legal_reviewer):
    return [marketing_approver, legal_reviewer]


@pytest.fixture
def approved(campaign_manager, approvers):
    """Takes a campaign through both approval steps; returns it approved."""

    def approve_(campaign):
        return approve(campaign, manager=campaign_manager, approvers=approvers)

    return approve_
