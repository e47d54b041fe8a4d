"""Feeds: the live catalogue handed to marketplaces and e-procurement systems as files.

A receiver (``campaigns.models.Feed``) names a feed channel (``channels.feeds``), its
languages, price basis, ETIM release and categories. A run prepares the candidates
(``products``), leaves out what the receiver cannot take with the reasons (the readiness
report), streams the rest through the channel's writer, validates the file, and only then
replaces the file served at the feed's secret URL or pushed to the receiver (``push``).
"""
