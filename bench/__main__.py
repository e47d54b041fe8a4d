"""Run every benchmark: ``make bench`` (or ``python -m bench``). Never part of ``make test``."""

import os
import sys
import tempfile


def main() -> int:
    # Benchmarks get a database of their own unless DATABASE_URL points elsewhere.
    os.environ.setdefault("HUB_VAR_DIR", tempfile.mkdtemp(prefix="hub-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings.dev")
    os.environ["DEBUG"] = "false"

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)

    from bench import (
        admin_listing,
        api,
        completeness,
        feeds,
        imports,
        newsletter,
        print_catalogue,
        results,
        segments,
        stats_coverage,
        webshop,
    )

    completeness.run()
    admin_listing.run()
    api.run()
    imports.run()
    newsletter.run()
    stats_coverage.run()
    feeds.run()
    print_catalogue.run()
    # PostgreSQL only, in a database and a process of its own (skipped, saying how to run
    # it, where no PostgreSQL server answers).
    segments.run_in_subprocess()
    results.run_in_subprocess()
    webshop.run_in_subprocess()
    return 0


if __name__ == "__main__":
    sys.exit(main())
