"""Campaign measurement: figures kept up to date as things happen, and the statistics on them.

- ``intake``: adds what tracking, the event intake and the order intake record to the
  per-day figures, and recounts delivery states.
- ``attribution``: credits orders to campaigns (last touch or linear) and to the recipients
  and held-out contacts whose revenue the holdout and A/B comparisons use.
"""
