import datetime as dt

import pytest
import time_machine

from campaigns.measurement.machines import machine_rules_forget
from tests.campaigns.campaign_setup import approve


@pytest.fixture(autouse=True)
def _machine_rules_read_afresh():
    """Each test classifies by the rules in its own database, not by a rolled-back test's."""
    machine_rules_forget()
    yield
    machine_rules_forget()


@pytest.fixture
def approvers(marketing_approver, legal_reviewer):
    return [marketing_approver, legal_reviewer]


@pytest.fixture
def approved(campaign_manager, approvers):
    """Takes a campaign through both approval steps; returns it approved."""

    def approve_(campaign):
        return approve(campaign, manager=campaign_manager, approvers=approvers)

    return approve_


@pytest.fixture
def december_2026():
    """The clock in December 2026, ticking: after the November 2026 orders that the import
    tests read (an import refuses orders from the future), on whatever day the suite runs."""
    with time_machine.travel(dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC), tick=True):
        yield
