"""Measuring campaigns: how much a campaign moved (holdout uplift), which A/B arm won, and
what the surveys say. ``stats`` holds the statistics; it reads no model."""
