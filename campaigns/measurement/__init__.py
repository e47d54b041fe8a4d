"""Campaign measurement: figures kept up to date as things happen, and the statistics on them.

- ``intake``: adds what tracking, the event intake and the order intake record to the
  per-day figures, and recounts delivery states.
- ``attribution``: credits orders to campaigns (last touch or linear) and to the recipients
  and held-out contacts whose revenue the holdout and A/B comparisons use.
- ``results``: a campaign's KPIs, series, funnel, top links and verdicts; the programme.
- ``stats/``: the statistics (scipy and statsmodels): rates with intervals and the
  sample-ratio check (rates), Welch and the holdout uplift (revenue), the A/B summary and
  the minimum detectable effect (ab), NPS, CSAT and CES (surveys). Pure functions.
- ``machines``: tells a person's open or click from a machine's (Apple Mail Privacy
  Protection, image proxies, scanners) by the machine rules kept as data.
- ``surveys``: NPS, CSAT and CES results per campaign, segment, role and phase.
- ``charts``: chart descriptions drawn by Apache ECharts (vendored), each with its table
  and CSV download.
- ``journey``: the customer journey map (contacts per phase over time, the flows between
  phases, the touchpoints per phase).
- ``views`` and ``programme_views``: the report pages.
"""
