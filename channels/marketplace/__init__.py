"""Marketplace and e-procurement feeds: one module per format, one settings line each.

- ``google.GoogleMerchantChannel``: Google Merchant Center file feed (RSS 2.0 or TSV);
- ``amazon.AmazonListingsChannel``: Amazon's ``JSON_LISTINGS_FEED`` 2.0;
- ``bmecat.BMEcatChannel``: BMEcat 2005 with ETIM features, new catalogue and deltas.

Each is a ``channels.feeds.FeedChannel``: it declares what it requires of a product (the
completeness matrix), why it refuses one (the readiness report), writes a stream and
validates it against the receiver's official schema or rules (``schemas/``). The hub
(``campaigns.feeds``) prepares the products, runs, stores and serves the files.
"""
