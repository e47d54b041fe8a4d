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


class ApiProblemMiddleware:
    """Every error under /api/ is application/problem+json, also those ninja never sees.

    Django answers an unknown route with its HTML 404 and ninja a method a route lacks with
    a plain-text 405: both become problem details here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/api/"):
            return response
        from hub.api import problem_for_plain_error

        return problem_for_plain_error(request, response)
