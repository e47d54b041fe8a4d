"""HTTP middleware of the hub."""

from django.middleware.gzip import GZipMiddleware


class ApiGZipMiddleware(GZipMiddleware):
    """gzip for API responses only.

    API responses carry no secrets next to reflected input, so BREACH does not apply;
    admin pages (with CSRF tokens) stay uncompressed.
    """

    def process_response(self, request, response):
        if not request.path.startswith("/api/"):
            return response
        return super().process_response(request, response)
