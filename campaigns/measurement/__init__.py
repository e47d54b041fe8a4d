"""Measurement: the dashboards' numbers and the charts that show them.

``charts`` describes a chart once (its series and the table behind it) for the page, the
CSV download and the accessible table view; ``journey`` computes the customer journey map;
``views`` holds the admin report pages.
"""
