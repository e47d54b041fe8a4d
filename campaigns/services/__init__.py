"""Every write to the audience, one module per area (consent, privacy, events, segments, ...)."""
