"""100,000 newsletter recipients in 12 variants through the newsletter channel.

Goals (issue 7): personalising and assembling a message costs a tiny fraction of rendering
it, at least 500x less than the naive way and at least 20,000 messages/s per core; sending
through the channel keeps at least 0.8x the pace of raw smtplib sending prebuilt messages
to the same SMTP sink over as many connections; peak RSS stays flat, under 500 MB.

The naive baseline does what a straightforward implementation does: render the layout and
inline its CSS with premailer for every recipient (on a 200-recipient sample). The SMTP sink
is aiosmtpd in a process of its own that only counts. ``BENCH_NEWSLETTER_RECIPIENTS`` scales
the run down.
"""

from __future__ import annotations

import logging
import os
import resource
import smtplib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from email.utils import formatdate
from urllib.parse import quote

from django.test import override_settings

from channels.base import (
    RECIPIENT_TOKEN,
    CallToActionBlock,
    HeroBlock,
    MessageBlock,
    PersonalProductsBlock,
    ProductCard,
    ProductGridBlock,
    Recipient,
    TextBlock,
    Tracking,
    Variant,
)
from channels.newsletter import NewsletterChannel, build_mail

RECIPIENTS = int(os.environ.get("BENCH_NEWSLETTER_RECIPIENTS", "100000"))
NAIVE_RECIPIENTS = 200
BATCH = 500
POOL_SIZE = 4
GOAL_RATIO = 500.0
GOAL_PER_CORE = 20_000.0
GOAL_SMTP_RATIO = 0.8
GOAL_RSS_MB = 500.0
LOCALES = ("de", "en")
ROLES = ("buyer", "decision_maker", "user")
PHASES = ("awareness", "consideration")
DOMAIN = "bench-newsletter.example.com"
SUBJECT = "Frühjahrsaktion: Akku-Werkzeuge für Profis \u2013 bis zu 20 % günstiger"

_SINK = r"""
import sys
from aiosmtpd.controller import Controller

class Counting:
    count = 0

    async def handle_DATA(self, server, session, envelope):
        Counting.count += 1
        return "250 OK"

controller = Controller(Counting(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
for _ in sys.stdin:
    print(Counting.count, flush=True)
controller.stop()
"""


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _cards() -> list[ProductCard]:
    return [
        ProductCard(
            sku=f"NL-{n:04d}",
            name=f"Akku-Bohrhammer BH {n} Professional",
            short_text="Kräftig, leicht und ausdauernd: 2,6 J Schlagenergie, bürstenloser Motor, "
            "SDS-plus, zwei Akkus im Koffer.",
            url=f"https://shop.example.com/p/nl-{n:04d}?utm_source=newsletter",
            image_url=f"https://cdn.example.com/products/nl-{n:04d}-600.jpg",
            price=Decimal("149.90") + n,
        )
        for n in range(40)
    ]


def _click(url: str) -> str:
    return f"https://hub.example.com/t/c/{RECIPIENT_TOKEN}/?u={quote(url, safe='')}&s=1f3a9c"


def _variants(cards: list[ProductCard]) -> list[Variant]:
    tracking = Tracking(
        open_url=f"https://hub.example.com/t/o/{RECIPIENT_TOKEN}.gif",
        unsubscribe_url=f"https://hub.example.com/u/{RECIPIENT_TOKEN}/",
        preferences_url=f"https://hub.example.com/p/{RECIPIENT_TOKEN}/",
        click=_click,
        unsubscribe_mailto=f"mailto:unsubscribe+{RECIPIENT_TOKEN}@hub.example.com",
    )
    paragraph = (
        "<p>Mit der neuen Generation unserer Akku-Werkzeuge arbeiten Sie länger, leiser und "
        "präziser. Lesen Sie im <a href='https://shop.example.com/ratgeber'>Ratgeber</a>, "
        "welches Werkzeug zu Ihrer Baustelle passt, und sichern Sie sich die Aktionspreise "
        "bis Ende des Monats.</p>"
    )
    variants = []
    for locale in LOCALES:
        for role in ROLES:
            for phase in PHASES:
                offset = (ROLES.index(role) * 2 + PHASES.index(phase)) * 3
                variants.append(
                    Variant(
                        key=f"{locale}/{role}/{phase}/A",
                        campaign_id=42,
                        campaign_name="Frühjahrsaktion",
                        locale=locale,
                        role=role,
                        phase=phase,
                        arm="A",
                        subject=SUBJECT,
                        preheader="Nur bis Monatsende: Aktionspreise für Ihr Konto.",
                        sender="ACME Werkzeuge Müller GmbH <news@acme.example.com>",
                        reply_to="service@acme.example.com",
                        blocks=(
                            HeroBlock(
                                "Frühjahrsaktion für Profis",
                                "Neue Akku-Werkzeuge, neue Preise.",
                                "https://cdn.example.com/hero-1200.jpg",
                                "https://shop.example.com/fruehjahr",
                            ),
                            TextBlock(
                                paragraph * 3 + "<ul><li>Gratis Versand</li><li>30 Tage "
                                "Rückgabe</li><li>3 Jahre Garantie</li></ul>"
                            ),
                            ProductGridBlock(
                                "Unsere Empfehlungen", tuple(cards[offset : offset + 4])
                            ),
                            MessageBlock(
                                f"Für {role}",
                                paragraph,
                                "Jetzt ansehen",
                                "https://shop.example.com/aktion",
                                cards[offset + 9],
                            ),
                            PersonalProductsBlock("Zuletzt angesehen", "viewed"),
                            TextBlock(paragraph),
                            CallToActionBlock("Zum Shop", "https://shop.example.com/"),
                        ),
                        tracking=tracking,
                    )
                )
    return variants


def _recipients(count: int, cards: list[ProductCard], start: int = 0) -> Iterator[Recipient]:
    """Recipients made on the fly, so memory shows the channel's use, not the test data's."""
    for n in range(start, start + count):
        viewed = (cards[n % 40], cards[(n * 7) % 40]) if n % 4 == 0 else ()
        prices = {cards[n % 40].sku: Decimal("99.50"), "NL-0003": Decimal("120")} if n % 3 else {}
        yield Recipient(
            delivery_id=n + 1,
            email=f"kontakt{n}@{DOMAIN}",
            token=f"AbCdEf{n:08d}.sig-{n * 7919 % 100000:05d}",
            greeting="Sehr geehrte Frau Dr. Müller," if n % 2 else "Guten Tag Herr Weber,",
            first_name="Erika" if n % 2 else "Jürgen",
            last_name=f"Müller{n}",
            company=f"Bau & Technik {n % 997} GmbH",
            prices=prices,
            viewed=viewed,
        )


def _by_variant(recipients: Iterator[Recipient], variants: int) -> Iterator[tuple[int, list]]:
    """Batches of ``BATCH`` recipients, each of one variant (delivery id modulo variants)."""
    pending: dict[int, list[Recipient]] = {}
    for recipient in recipients:
        index = recipient.delivery_id % variants
        batch = pending.setdefault(index, [])
        batch.append(recipient)
        if len(batch) == BATCH:
            yield index, pending.pop(index)
    yield from pending.items()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Sink:
    def __init__(self) -> None:
        self.port = _free_port()
        # Our own interpreter running our own script: no outside input.
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", _SINK, str(self.port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "ready"

    def count(self) -> int:
        self.process.stdin.write("count\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


def _raw_smtplib(port: int, messages: list[bytes], count: int) -> float:
    """Seconds to send ``count`` prebuilt messages over ``POOL_SIZE`` connections."""
    lock = threading.Lock()
    sent = 0

    def work() -> None:
        nonlocal sent
        smtp = smtplib.SMTP("127.0.0.1", port)
        try:
            while True:
                with lock:
                    if sent >= count:
                        return
                    index = sent
                    sent += 1
                smtp.sendmail(
                    "bounce@acme.example.com",
                    [f"kontakt{index}@{DOMAIN}"],
                    messages[index % len(messages)],
                )
        finally:
            smtp.quit()

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(POOL_SIZE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def run() -> None:
    cards = _cards()
    variants = _variants(cards)
    channel = NewsletterChannel("newsletter", {"MESSAGE_ID_DOMAIN": "news.acme.example.com"})
    rss_before = _peak_rss_mb()

    # Ours: render once per variant, then personalise and assemble per recipient.
    cpu = time.process_time()
    renderings = [channel.render(variant) for variant in variants]
    render_cpu = time.process_time() - cpu
    html_kb = sum(len(r.html.encode()) for r in renderings) / len(renderings) / 1024
    date = formatdate(usegmt=True)
    sender = "bounce@acme.example.com"
    size = 0
    merge_cpu = 0.0
    for index, batch in _by_variant(_recipients(RECIPIENTS, cards), len(renderings)):
        rendering = renderings[index]
        cpu = time.process_time()  # the recipients are made outside the measured time
        for recipient in batch:
            mail = build_mail(rendering, recipient, sender=sender, domain=DOMAIN, date=date)
            size += len(mail.message)
        merge_cpu += time.process_time() - cpu
    ours = RECIPIENTS / (render_cpu + merge_cpu)

    # Naive: the layout rendered and premailer run for every recipient.
    channel_logger = logging.getLogger("channels.newsletter")
    level = channel_logger.level
    channel_logger.setLevel(logging.WARNING)  # not a "rendered" line per recipient
    cpu = time.process_time()
    for recipient in _recipients(NAIVE_RECIPIENTS, cards):
        rendering = channel.render(variants[recipient.delivery_id % len(variants)])
        build_mail(rendering, recipient, sender=sender, domain=DOMAIN, date=date)
    naive = NAIVE_RECIPIENTS / (time.process_time() - cpu)
    channel_logger.setLevel(level)
    ratio = ours / naive

    print(
        f"newsletter render+MIME of {RECIPIENTS:,} recipients in {len(variants)} variants "
        f"(HTML {html_kb:.1f} KB, message {size / RECIPIENTS / 1024:.1f} KB): "
        f"{ours:,.0f} messages/s per core (render {render_cpu * 1000:.0f} ms CPU for all "
        f"variants, merge {merge_cpu / RECIPIENTS * 1e6:.1f} us/message); "
        f"goal >= {GOAL_PER_CORE:,.0f}/s: {_verdict(ours >= GOAL_PER_CORE)}"
    )
    print(
        f"  naive (layout + premailer per recipient, {NAIVE_RECIPIENTS} recipients): "
        f"{naive:,.1f} messages/s per core; ratio {ratio:,.0f}x; "
        f"goal >= {GOAL_RATIO:.0f}x: {_verdict(ratio >= GOAL_RATIO)}"
    )

    # End to end: NewsletterChannel.deliver in batches into an SMTP sink, vs raw smtplib.
    sink = _Sink()
    try:
        transports = {
            "bench": {
                "BACKEND": "channels.newsletter.transports.SMTPTransport",
                "OPTIONS": {"HOST": "127.0.0.1", "PORT": sink.port, "POOL_SIZE": POOL_SIZE},
            }
        }
        with override_settings(HUB_MAIL_TRANSPORTS=transports):
            sending = NewsletterChannel(
                "newsletter", {"TRANSPORT": "bench", "MESSAGE_ID_DOMAIN": DOMAIN}
            )
            sent = 0
            reported = []
            started = time.perf_counter()
            for index, batch in _by_variant(_recipients(RECIPIENTS, cards), len(renderings)):
                # As campaigns send: each result is handed back as it arrives, and a
                # connection goes on only once it was taken (recorded, in production).
                results = sending.deliver(renderings[index], batch, on_result=reported.append)
                sent += sum(result.sent for result in results)
            channel_seconds = time.perf_counter() - started
        received = sink.count()
        prebuilt = [
            build_mail(renderings[r.delivery_id % 12], r, sender=sender, domain=DOMAIN).message
            for r in _recipients(BATCH, cards)
        ]
        raw_seconds = _raw_smtplib(sink.port, prebuilt, RECIPIENTS)
        raw_received = sink.count() - received
    finally:
        sink.stop()
    assert sent == received == len(reported) == RECIPIENTS, (sent, received, len(reported))
    assert raw_received == RECIPIENTS, raw_received
    channel_rate = RECIPIENTS / channel_seconds
    raw_rate = RECIPIENTS / raw_seconds
    smtp_ratio = channel_rate / raw_rate
    peak = _peak_rss_mb()
    print(
        f"  SMTP end to end through deliver() in batches of {BATCH} on {POOL_SIZE} "
        f"connections: {channel_rate:,.0f} messages/s vs raw smtplib with prebuilt messages "
        f"{raw_rate:,.0f}/s; ratio {smtp_ratio:.2f}x; goal >= {GOAL_SMTP_RATIO}x: "
        f"{_verdict(smtp_ratio >= GOAL_SMTP_RATIO)}"
    )
    print(
        f"  peak RSS {peak:.0f} MB ({rss_before:.0f} MB before); goal < {GOAL_RSS_MB:.0f} MB: "
        f"{_verdict(peak < GOAL_RSS_MB)}"
    )
