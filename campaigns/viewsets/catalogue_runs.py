"""A print catalogue's generations in the admin: the runs ("History") with the one under
way refreshing itself, a run's problems report and first pages, the downloads, and
"Generate" after seeing which products changed since the last good run.

Every view checks its permissions itself (a 403 otherwise): seeing runs and their files
takes ``view_catalogue`` and ``view_cataloguerun``, generating ``generate_catalogue``.
Files are streamed from storage (local or S3) through ``stored_file``, never read whole.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from campaigns.catalogues.services import (
    CatalogueRefused,
    catalogue_changes,
    catalogue_generate_queue,
)
from campaigns.feeds.storage import stored_file
from campaigns.models import Catalogue, CatalogueRun, CatalogueRunStatus
from content.taxonomy import BuyingRole

URL_NAMESPACE = "wagtailsnippets_campaigns_catalogue"
RUNS_SHOWN = 50
PROBLEMS_PER_PAGE = 100
REFRESH_SECONDS = 3
SEE_RUNS = ("campaigns.view_catalogue", "campaigns.view_cataloguerun")
GENERATE = ("campaigns.generate_catalogue",)
MEDIA_TYPES = {".pdf": "application/pdf", ".zip": "application/zip", ".png": "image/png"}


def _media_type(name: str) -> str:
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    return MEDIA_TYPES.get(suffix, "application/octet-stream")


def _role_label(role: str) -> str:
    if not role:
        return _("Default version")
    try:
        return _("Version for %(role)s") % {"role": BuyingRole(role).label}
    except ValueError:
        return _("Version for %(role)s") % {"role": role}


def run_downloads(run: CatalogueRun) -> list[dict]:
    """What of ``run`` can be downloaded: each PDF version, then the layout studio package."""
    if run.files_deleted or run.status != CatalogueRunStatus.SUCCEEDED:
        return []
    downloads = [
        {
            "name": file["name"],
            "label": _role_label(file.get("role", "")),
            "size": file.get("size"),
            "pages": file.get("pages"),
            "url": reverse(
                f"{URL_NAMESPACE}:download", args=(run.catalogue_id, run.pk, file["name"])
            ),
        }
        for file in run.files
    ]
    export = run.layout_export
    if export.get("name"):
        downloads.append(
            {
                "name": export["name"],
                "label": _("InDesign data-merge package"),
                "size": export.get("size"),
                "pages": None,
                "url": reverse(
                    f"{URL_NAMESPACE}:download", args=(run.catalogue_id, run.pk, export["name"])
                ),
            }
        )
    return downloads


def run_state(run: CatalogueRun | None) -> dict | None:
    """A run's progress as the page shows it and its JSON view returns it."""
    if run is None:
        return None
    total = run.chapters_total
    return {
        "run": run.pk,
        "status": run.status,
        "status_label": str(run.get_status_display()),
        "open": run.is_open,
        "chapters_done": run.chapters_done,
        "chapters_total": total,
        "percent": round(100 * run.chapters_done / total) if total else 0,
        "progress_label": _("%(done)s of %(total)s chapters")
        % {"done": run.chapters_done, "total": total},
    }


class CataloguePageMixin(WagtailAdminTemplateMixin):
    header_icon = "doc-full"
    permissions: tuple[str, ...] = SEE_RUNS
    # Pages refuse as the admin does (to the dashboard, with its message); files, JSON and
    # POSTs, which no one lands on, with a plain 403.
    refuse_as_page = True

    def refuse(self):
        if self.refuse_as_page:
            raise PermissionDenied
        return HttpResponseForbidden()

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perms(self.permissions):
            return self.refuse()
        self.catalogue = get_object_or_404(Catalogue, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.catalogue.title

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(f"{URL_NAMESPACE}:list"), "label": _("Print catalogues")},
            {
                "url": reverse(f"{URL_NAMESPACE}:edit", args=(self.catalogue.pk,)),
                "label": self.catalogue.title,
            },
            {"url": "", "label": self.get_page_title()},
        ]

    def open_run(self) -> CatalogueRun | None:
        return CatalogueRun.objects.filter(
            catalogue=self.catalogue,
            status__in=[
                CatalogueRunStatus.QUEUED,
                CatalogueRunStatus.RENDERING,
                CatalogueRunStatus.ASSEMBLING,
            ],
        ).first()

    def progress_context(self, run: CatalogueRun | None) -> dict:
        return {
            "state": run_state(run),
            "progress_url": reverse(f"{URL_NAMESPACE}:progress", args=(self.catalogue.pk,)),
            "refresh_seconds": REFRESH_SECONDS,
        }


class CatalogueRunsView(CataloguePageMixin, TemplateView):
    """Every run of the catalogue, newest first; the one under way with its progress."""

    template_name = "campaigns/catalogues/runs.html"
    page_title = gettext_lazy("History")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        runs = list(
            CatalogueRun.objects.filter(catalogue=self.catalogue).annotate(
                problem_count=Count("problems")
            )[:RUNS_SHOWN]
        )
        for run in runs:
            run.downloads = run_downloads(run)
            run.url = reverse(f"{URL_NAMESPACE}:run", args=(self.catalogue.pk, run.pk))
        context.update(
            catalogue=self.catalogue,
            runs=runs,
            has_good_run=any(run.status == CatalogueRunStatus.SUCCEEDED for run in runs),
            may_generate=self.request.user.has_perms(GENERATE),
            changes_url=reverse(f"{URL_NAMESPACE}:changes", args=(self.catalogue.pk,)),
            **self.progress_context(self.open_run()),
        )
        return context


class CatalogueProgressView(CataloguePageMixin, View):
    """The run under way (or else the latest run) as JSON, for the pages that poll it."""

    refuse_as_page = False

    def get(self, request, *args, **kwargs):
        run = self.open_run() or CatalogueRun.objects.filter(catalogue=self.catalogue).first()
        return JsonResponse({"run": run_state(run)})


class CatalogueRunMixin(CataloguePageMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perms(self.permissions):
            return self.refuse()
        self.run = get_object_or_404(CatalogueRun, pk=kwargs["run"], catalogue=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)


class CatalogueRunView(CatalogueRunMixin, TemplateView):
    """One run: its progress, its problems report, its first pages and its files."""

    template_name = "campaigns/catalogues/run.html"

    def get_page_title(self):
        return _("Run of %(started)s") % {"started": self.run.started_at.strftime("%Y-%m-%d %H:%M")}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        problems = Paginator(self.run.problems.all(), PROBLEMS_PER_PAGE).get_page(
            self.request.GET.get("p")
        )
        for problem in problems:
            problem.edit_url = (
                reverse("wagtailsnippets_content_product:edit", args=(problem.product_id,))
                if problem.product_id
                else ""
            )
        previews = (
            []
            if self.run.files_deleted
            else [
                reverse(f"{URL_NAMESPACE}:preview", args=(self.catalogue.pk, self.run.pk, index))
                for index in range(len(self.run.previews))
            ]
        )
        context.update(
            catalogue=self.catalogue,
            run=self.run,
            problems=problems,
            previews=previews,
            downloads=run_downloads(self.run),
            runs_url=reverse(f"{URL_NAMESPACE}:runs", args=(self.catalogue.pk,)),
            **self.progress_context(self.run),
        )
        return context


def _stream(path: str, *, name: str, size: int | None, attachment: bool) -> FileResponse:
    try:
        stored = stored_file(path)
    except FileNotFoundError as error:
        raise Http404(_("The file is no longer stored.")) from error
    response = FileResponse(
        stored, content_type=_media_type(name), as_attachment=attachment, filename=name
    )
    if size is not None:
        response["Content-Length"] = str(size)
    response["Cache-Control"] = "private, no-cache"
    return response


class CatalogueDownloadView(CatalogueRunMixin, View):
    """A PDF version or the layout studio package of a run, as an attachment."""

    refuse_as_page = False

    def get(self, request, *args, **kwargs):
        name = kwargs["name"]
        entry = self.run.file(name)
        if entry is None and self.run.layout_export.get("name") == name:
            entry = self.run.layout_export
        if entry is None or self.run.files_deleted or not entry.get("path"):
            raise Http404(_("This run has no such file."))
        return _stream(entry["path"], name=name, size=entry.get("size"), attachment=True)


class CataloguePreviewImageView(CatalogueRunMixin, View):
    """One of the first pages of a run's default version, as a PNG image."""

    refuse_as_page = False

    def get(self, request, *args, **kwargs):
        index = kwargs["index"]
        if self.run.files_deleted or index >= len(self.run.previews):
            raise Http404(_("This run has no such page image."))
        path = self.run.previews[index]
        return _stream(path, name=path.rsplit("/", 1)[-1], size=None, attachment=False)


class CatalogueChangesView(CataloguePageMixin, TemplateView):
    """Before generating: which products changed since the last good run, then the button."""

    template_name = "campaigns/catalogues/generate.html"
    permissions = GENERATE

    def get_page_title(self):
        return _("Regenerate") if self.last_good_run else _("Generate")

    @property
    def last_good_run(self) -> CatalogueRun | None:
        if not hasattr(self, "_last_good_run"):
            self._last_good_run = (
                CatalogueRun.objects.filter(
                    catalogue=self.catalogue, status=CatalogueRunStatus.SUCCEEDED
                )
                .order_by("-finished_at", "-pk")
                .first()
            )
        return self._last_good_run

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        changes = catalogue_changes(self.catalogue) if self.last_good_run else []
        context.update(
            catalogue=self.catalogue,
            last_good_run=self.last_good_run,
            changes={
                kind: [change for change in changes if change.change == kind]
                for kind in ("changed", "added", "removed")
            },
            change_count=len(changes),
            open_run=self.open_run(),
            generate_url=reverse(f"{URL_NAMESPACE}:generate", args=(self.catalogue.pk,)),
            runs_url=reverse(f"{URL_NAMESPACE}:runs", args=(self.catalogue.pk,)),
        )
        return context


class CatalogueGenerateView(CataloguePageMixin, View):
    """Queue a generation of the catalogue's published version (POST)."""

    refuse_as_page = False

    http_method_names = ["post"]
    permissions = GENERATE

    def post(self, request, *args, **kwargs):
        try:
            catalogue_generate_queue(self.catalogue, user=request.user)
        except CatalogueRefused as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The catalogue is being generated."))
        return redirect(f"{URL_NAMESPACE}:runs", self.catalogue.pk)
