"""File imports in the admin: upload, map columns, dry run, import with progress."""

from __future__ import annotations

import csv

from django import forms
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView, View
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn
from wagtail.admin.views.generic import IndexView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ModelViewSet

from campaigns.importing import FIELDS, KEYS, UnreadableFile, required_fields
from campaigns.models import ImportJob, ImportKind, ImportStatus, OrderSource
from campaigns.services.imports import import_job_create, import_job_preview, import_job_start
from core.spreadsheets import neutralise_formula

FINISHED = {ImportStatus.PREVIEWED, ImportStatus.DONE, ImportStatus.FAILED}
ERRORS_SHOWN = 50
MAX_UPLOAD_SIZE = 100 * 1024 * 1024


# --- forms ---------------------------------------------------------------------------------


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Import"), choices=[("", "---------"), *ImportKind.choices]
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "CSV (UTF-8 or Windows-1252, separated by ; or ,) or Excel (.xlsx), with a header row."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )
    key = forms.ChoiceField(
        label=gettext_lazy("Match existing records by"),
        required=False,
        choices=[
            ("", gettext_lazy("The default: customer number, e-mail, order number")),
            ("customer_number", gettext_lazy("Customer number (accounts)")),
            ("erp_id", gettext_lazy("ERP id (accounts)")),
            ("crm_id", gettext_lazy("CRM id (accounts, contacts)")),
            ("email", gettext_lazy("E-mail (contacts)")),
            ("external_id", gettext_lazy("External id (contacts)")),
        ],
    )
    delimiter = forms.ChoiceField(
        label=gettext_lazy("CSV delimiter"),
        required=False,
        choices=[
            ("", gettext_lazy("Detect")),
            (";", ";"),
            (",", ","),
            ("\t", gettext_lazy("Tab")),
        ],
    )
    encoding = forms.ChoiceField(
        label=gettext_lazy("CSV encoding"),
        required=False,
        choices=[
            ("", gettext_lazy("Detect (UTF-8, else Windows-1252)")),
            ("utf-8", "UTF-8"),
            ("cp1252", "Windows-1252"),
        ],
    )
    sheet = forms.CharField(
        label=gettext_lazy("Excel sheet"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("Blank: the first sheet."),
    )
    source = forms.ChoiceField(
        label=gettext_lazy("Orders come from"),
        choices=[(OrderSource.IMPORT, OrderSource.IMPORT.label), (OrderSource.ERP, "ERP")],
        initial=OrderSource.IMPORT,
        required=False,
    )
    consent_text_version = forms.CharField(
        label=gettext_lazy("Consent text version"),
        required=False,
        max_length=100,
        help_text=gettext_lazy(
            "For contacts with a consent column: the consent text they agreed to, kept as "
            "evidence. Blank: the file name."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_SIZE:
            raise forms.ValidationError(_("The file is larger than 100 MB."))
        return upload

    def clean(self):
        cleaned = super().clean()
        kind, key = cleaned.get("kind"), cleaned.get("key")
        if kind and key and key not in KEYS[kind]:
            self.add_error(
                "key",
                _("%(kind)s can be matched by: %(keys)s.")
                % {"kind": ImportKind(kind).label, "keys": ", ".join(KEYS[kind])},
            )
        return cleaned

    def engine_options(self) -> dict:
        data = self.cleaned_data
        options = {
            name: data[name]
            for name in ("key", "delimiter", "encoding", "sheet", "consent_text_version")
            if data.get(name)
        }
        if data["kind"] == ImportKind.ORDERS:
            options["source"] = data.get("source") or OrderSource.IMPORT
        return options


class ImportMappingForm(forms.Form):
    """One choice of column per field of the kind; the key and required fields must be set."""

    def __init__(self, *args, job: ImportJob, headers: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        required = set(required_fields(job.kind, job.options))
        choices = [("", _("(not imported)")), *((header, header) for header in headers if header)]
        for spec in FIELDS[job.kind]:
            self.fields[spec.name] = forms.ChoiceField(
                label=spec.label,
                choices=choices,
                required=spec.name in required,
                initial=job.mapping.get(spec.name, ""),
            )

    def clean(self):
        cleaned = super().clean()
        used: dict[str, str] = {}
        for name, header in cleaned.items():
            if header and header in used:
                self.add_error(
                    name,
                    _("The column %(header)s is already mapped to %(field)s.")
                    % {"header": header, "field": self.fields[used[header]].label},
                )
            used.setdefault(header, name)
        return cleaned


# --- views ---------------------------------------------------------------------------------


class ImportJobMixin(WagtailAdminTemplateMixin, PermissionCheckedMixin):
    model = ImportJob
    header_icon = "upload"

    def get_breadcrumbs_items(self):
        return [
            *super().get_breadcrumbs_items(),
            {"url": reverse("importjob:index"), "label": _("Imports")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_job(self) -> ImportJob:
        return get_object_or_404(ImportJob, pk=self.kwargs["pk"])


class ImportJobIndexView(IndexView):
    def get_base_queryset(self):
        # Who uploaded, in the listing's one query (a ModelViewSet ignores get_queryset).
        return super().get_base_queryset().select_related("created_by")

    def get_edit_url(self, instance):
        return reverse("importjob:job", args=(instance.pk,))


class ImportUploadView(ImportJobMixin, FormView):
    permission_required = "add"
    template_name = "campaigns/imports/upload.html"
    form_class = ImportUploadForm
    page_title = gettext_lazy("New import")

    def form_valid(self, form):
        try:
            job = import_job_create(
                kind=form.cleaned_data["kind"],
                file=form.cleaned_data["file"],
                options=form.engine_options(),
                user=self.request.user,
            )
        except UnreadableFile as exc:
            form.add_error("file", str(exc))
            return self.form_invalid(form)
        return redirect("importjob:mapping", job.pk)


class ImportMappingView(ImportJobMixin, FormView):
    """The columns of the file and the fields they fill; saving starts the dry run."""

    permission_required = "change"
    template_name = "campaigns/imports/mapping.html"
    page_title = gettext_lazy("Map columns")

    def dispatch(self, request, *args, **kwargs):
        self.job = self.get_job() if "pk" in kwargs else None
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, form_class=None):
        try:
            self.headers, self.rows = import_job_preview(job=self.job)
        except UnreadableFile as exc:
            self.headers, self.rows, self.unreadable = [], [], str(exc)
        else:
            self.unreadable = ""
        return ImportMappingForm(**self.get_form_kwargs(), job=self.job, headers=self.headers)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            job=self.job, headers=self.headers, rows=self.rows, unreadable=self.unreadable
        )
        return context

    def form_valid(self, form):
        if self.job.status not in (
            ImportStatus.UPLOADED,
            ImportStatus.PREVIEWED,
            ImportStatus.FAILED,
        ):
            messages.error(self.request, _("This import has started; its mapping is fixed."))
            return redirect("importjob:job", self.job.pk)
        import_job_start(
            job=self.job, dry_run=True, mapping=form.cleaned_data, user=self.request.user
        )
        return redirect("importjob:job", self.job.pk)


class ImportJobView(ImportJobMixin, TemplateView):
    """Where an import stands: progress while it runs, then counts and the rows in error."""

    permission_required = "view"
    template_name = "campaigns/imports/job.html"

    def dispatch(self, request, *args, **kwargs):
        self.job = self.get_job()
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return self.job.original_name

    def get_page_subtitle(self):
        return self.job.get_kind_display()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = self.job
        issues = job.errors or []
        context.update(
            job=job,
            running=job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING),
            errors=[issue for issue in issues if issue.get("level") != "warning"][:ERRORS_SHOWN],
            warnings=[issue for issue in issues if issue.get("level") == "warning"][:ERRORS_SHOWN],
            can_start=job.status == ImportStatus.PREVIEWED and self.user_has_permission("change"),
            can_map=job.status
            in (ImportStatus.UPLOADED, ImportStatus.PREVIEWED, ImportStatus.FAILED)
            and self.user_has_permission("change"),
            mapping=[
                (spec.label, job.mapping.get(spec.name))
                for spec in FIELDS[job.kind]
                if job.mapping.get(spec.name)
            ],
        )
        return context


class ImportStartView(PermissionCheckedMixin, View):
    """POST: import the file for real, after its dry run."""

    permission_required = "change"
    model = ImportJob
    http_method_names = ["post"]

    def post(self, request, pk):
        job = get_object_or_404(ImportJob, pk=pk)
        try:
            import_job_start(job=job, dry_run=False, user=request.user)
        except ValueError as exc:
            messages.error(request, str(exc))
        return redirect("importjob:job", job.pk)


class ImportStatusView(PermissionCheckedMixin, View):
    """The job's progress as JSON, polled by the job page."""

    permission_required = "view"
    model = ImportJob
    http_method_names = ["get"]

    def get(self, request, pk):
        job = get_object_or_404(ImportJob, pk=pk)
        response = JsonResponse(
            {
                "status": job.status,
                "status_label": job.get_status_display(),
                "dry_run": job.dry_run,
                "processed_rows": job.processed_rows,
                "total_rows": job.total_rows,
                "percent": job.progress_percent,
                "created": job.created_count,
                "updated": job.updated_count,
                "unchanged": job.unchanged_count,
                "skipped": job.error_count,
                "finished": job.status in FINISHED,
                "message": job.message,
            }
        )
        response["Cache-Control"] = "no-store"
        return response


class ImportErrorsView(PermissionCheckedMixin, View):
    """The rows in error (and warnings) as a CSV file, to fix them in the source."""

    permission_required = "view"
    model = ImportJob
    http_method_names = ["get"]

    def get(self, request, pk):
        job = get_object_or_404(ImportJob, pk=pk)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
        response.write("\ufeff")  # so Excel opens it as UTF-8
        writer = csv.writer(response, delimiter=";")
        writer.writerow(["line", "field", "reason", "level"])
        for issue in job.errors or []:
            writer.writerow(
                [neutralise_formula(issue.get(key)) for key in ("line", "field", "reason", "level")]
            )
        return response


def _progress(job: ImportJob) -> str:
    if job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        return f"{job.progress_percent} %"
    if job.status == ImportStatus.FAILED:
        return job.message[:80]
    if job.status == ImportStatus.UPLOADED:
        return _("Columns not mapped yet")
    return _(
        "%(created)s new, %(updated)s changed, %(unchanged)s unchanged, %(skipped)s skipped"
    ) % {
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
        "skipped": job.error_count,
    }


class ImportJobViewSet(ModelViewSet):
    model = ImportJob
    icon = "upload"
    menu_label = gettext_lazy("Imports")
    index_view_class = ImportJobIndexView
    copy_view_enabled = False
    list_display = [
        "original_name",
        Column("kind", label=gettext_lazy("What"), accessor="get_kind_display"),
        StatusTagColumn(
            "status",
            label=gettext_lazy("Status"),
            accessor="get_status_display",
            primary=lambda job: job.status in (ImportStatus.PREVIEWED, ImportStatus.DONE),
        ),
        Column("result", label=gettext_lazy("Result"), accessor=_progress),
        Column("created_by", label=gettext_lazy("By")),
        DateColumn("created_at", label=gettext_lazy("Uploaded")),
    ]
    list_filter = ["kind", "status"]

    def get_common_view_kwargs(self, **kwargs):
        # No edit, history or usage views: a job changes only through the steps below.
        return super().get_common_view_kwargs(
            edit_url_name=None, history_url_name=None, usage_url_name=None, **kwargs
        )

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("new/", self.construct_view(ImportUploadView), name="add"),
            path("<int:pk>/", self.construct_view(ImportJobView), name="job"),
            path("<int:pk>/mapping/", self.construct_view(ImportMappingView), name="mapping"),
            path("<int:pk>/start/", ImportStartView.as_view(), name="start"),
            path("<int:pk>/status/", ImportStatusView.as_view(), name="status"),
            path("<int:pk>/errors.csv", ImportErrorsView.as_view(), name="errors"),
            path("delete/<int:pk>/", self.delete_view, name="delete"),
        ]
