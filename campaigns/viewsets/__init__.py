"""Admin viewsets of the audience, one module per area; grouped in ``wagtail_hooks``."""
