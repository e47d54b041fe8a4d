"""Demo users, one per group of the approval workflows plus a superuser (``data/users.json``).

The password of every demo user is ``demo1234``. It exists for local demos only and is printed
by ``make run``; never seed a database that real people log in to.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group
from wagtail.users.models import UserProfile

from .datafiles import load

# Demo only: printed by `make run` and shared by every demo user.
DEMO_PASSWORD = "demo1234"  # noqa: S105
# The demo shop's API token (``webshop.py``), fixed so a local shop is set up once.
DEMO_SHOP_TOKEN = "hub_demo-shop-local-only-0000000000000000000"  # noqa: S105


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    group: str  # "" for the superuser
    role: str


DEMO_USERS = tuple(DemoUser(**row) for row in load("users"))

# (username, password, role) for the Makefile and README.
DEMO_LOGINS: list[tuple[str, str, str]] = [
    (user.username, DEMO_PASSWORD, user.role) for user in DEMO_USERS
]

# The reviewers of the "Content approval" workflow, in step order (content migration 0002).
REVIEWERS = ("productreviewer", "legalreviewer", "marketing")
# The "Campaign approval" workflow's steps, in order (campaigns migration 0008).
CAMPAIGN_APPROVERS = ("marketing", "legalreviewer")


def logins_table() -> str:
    """The demo logins, indented to sit under the "Admin:" line that `make run` prints."""
    lines = [f"  Demo logins (password {DEMO_PASSWORD!r} for all; demo only):"]
    lines += [f"    {username:<16} {role}" for username, _password, role in DEMO_LOGINS]
    lines.append(f"  Demo shop API token (channel webshop; demo only): {DEMO_SHOP_TOKEN}")
    return "\n".join(lines)


def seed_users(created: Counter[str]) -> dict[str, AbstractBaseUser]:
    """Every demo user by username, created if missing and put in its group."""
    User = get_user_model()
    users = {}
    for spec in DEMO_USERS:
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            # Existing users keep their password: someone may have changed it on purpose.
            user = User(
                username=spec.username,
                first_name=spec.first_name,
                last_name=spec.last_name,
                email=f"{spec.username}@example.com",
                is_staff=not spec.group,
                is_superuser=not spec.group,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            profile = UserProfile.get_for_user(user)
            profile.preferred_language = "en"  # the demo admin speaks English
            profile.save(update_fields=["preferred_language"])
            created["users"] += 1
        if spec.group and not user.groups.filter(name=spec.group).exists():
            user.groups.add(Group.objects.get(name=spec.group))
        users[spec.username] = user
    return users
