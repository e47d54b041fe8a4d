from channels.base import BaseChannel


class NewsletterChannel(BaseChannel):
    """E-mail newsletter: one rendering per variant, personalised per recipient."""

    identifier = "newsletter"
    name = "Newsletter"
    per_recipient = True
    required_fields = {"*": ("name", "short_text", "images")}
