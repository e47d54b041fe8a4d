"""Admin views for API clients: the token is shown once, never stored in clear."""

from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import View
from wagtail.admin.views.generic import CreateView
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.log_actions import log

from .models import ApiClient


def show_token_once(request, *, client: ApiClient, token: str, index_url: str):
    """The page that shows a new token, as the answer to the POST that made it.

    The token never passes through a redirect, a message cookie or the session, and the
    page is not cached.
    """
    response = TemplateResponse(
        request,
        "channels/api_client_token.html",
        {
            "client": client,
            "token": token,
            "index_url": index_url,
            "header_title": _("Token for %(name)s") % {"name": client.name},
        },
    )
    response["Cache-Control"] = "no-store"
    return response


class ApiClientCreateView(CreateView):
    def form_valid(self, form):
        client = form.save(commit=False)
        token = client.issue_token()
        client.save()
        log(instance=client, action="wagtail.create", user=self.request.user)
        return show_token_once(
            self.request, client=client, token=token, index_url=reverse(self.index_url_name)
        )


class ApiClientRotateTokenView(PermissionCheckedMixin, View):
    """Give the client a new token; the old one stops working at once."""

    permission_required = "change"
    http_method_names = ["post"]
    model = ApiClient
    index_url_name = None

    def post(self, request, pk):
        client = get_object_or_404(ApiClient, pk=pk)
        token = client.issue_token()
        client.save(update_fields=["token_hash", "token_prefix"])
        log(instance=client, action="wagtail.edit", user=request.user, content_changed=True)
        return show_token_once(
            request, client=client, token=token, index_url=reverse(self.index_url_name)
        )
