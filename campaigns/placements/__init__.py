"""Webshop placements: what fills a shop's slot for one visitor, answered from a cache.

See ``campaigns.models.placements`` for the models and ``channels.placements`` for the
contract with the channel adapter that renders the answers.
"""
