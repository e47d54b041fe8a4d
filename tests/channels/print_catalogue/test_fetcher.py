"""The catalogue renderer reads the hub's own media and static files, and no other URL."""

import http.server
import threading

import pytest
import weasyprint
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from channels.print_catalogue.fetcher import HubURLFetcher, RefusedURL
from tests.factories import png_bytes

BASE = "http://hub.test"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.MEDIA_URL = "/media/"
    settings.STATIC_URL = "/static/"
    name = default_storage.save("images/drill.png", ContentFile(png_bytes(), "drill.png"))
    return name


@pytest.fixture
def fetcher():
    return HubURLFetcher(base_url=BASE)


def test_a_media_file_is_read_from_storage(media, fetcher):
    response = fetcher.fetch(f"{BASE}/media/{media}")

    assert response.read() == png_bytes()
    assert response.content_type == "image/png"


def test_a_static_file_is_read(media, fetcher):
    response = fetcher.fetch(f"{BASE}/static/campaigns/vendor/echarts/VERSION")

    assert response.read().strip()


def test_a_data_url_is_read(fetcher):
    assert fetcher.fetch("data:text/plain;base64,SHVi").read() == b"Hub"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:5432/",
        "https://evil.example/media/images/drill.png",
        "https://hub.test/media/images/drill.png",  # another scheme is another origin
        f"{BASE}/admin/",
        f"{BASE}/media/../../etc/passwd",
        f"{BASE}/media/%2e%2e/%2e%2e/etc/passwd",
        f"{BASE}/media/images/./../../secret",
        f"{BASE}/media/images\\..\\x",
        f"{BASE}/media/missing.png",
        f"{BASE}/static/../hub/settings/base.py",
        "ftp://hub.test/media/images/drill.png",
    ],
)
def test_any_other_url_is_refused(media, fetcher, url):
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)


class Recorder(http.server.BaseHTTPRequestHandler):
    paths: list[str] = []

    def do_GET(self):
        Recorder.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(png_bytes(colour="red"))

    def log_message(self, *args):
        pass


@pytest.fixture
def internal_service():
    Recorder.paths = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_rendering_a_pdf_requests_nothing_outside_the_hub(media, internal_service):
    html = f"""
      <img src="/media/{media}">
      <img src="{internal_service}/latest/meta-data/iam">
      <img src="file:///etc/passwd">
      <link rel="stylesheet" href="{internal_service}/style.css">
      <p>Katalog</p>
    """

    pdf = weasyprint.HTML(
        string=html, base_url=BASE, url_fetcher=HubURLFetcher(base_url=BASE)
    ).write_pdf()

    assert Recorder.paths == []
    assert pdf.startswith(b"%PDF")
    assert pdf.count(b"/Subtype /Image") == 1  # the media image, and only it


def test_without_the_guard_the_same_page_would_call_the_internal_service(media, internal_service):
    # The check above can fail: WeasyPrint's own fetcher does make the request.
    weasyprint.HTML(string=f'<img src="{internal_service}/x">', base_url=BASE).write_pdf()

    assert Recorder.paths == ["/x"]
