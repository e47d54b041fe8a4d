from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "channels"
    label = "channels"
    verbose_name = "Channels"

    def ready(self):
        # Load every adapter now so a bad HUB_CHANNELS entry stops start-up, naming the entry.
        from .registry import get_channels

        get_channels()
