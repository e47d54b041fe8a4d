"""The webshop's browser snippet is a static file any shop page can load."""


def test_the_hub_serves_the_placement_snippet_to_pages_of_other_origins(client):
    response = client.get("/static/webshop/hub-placements.js", HTTP_ORIGIN="https://shop.example")

    body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert b"[data-hub-placement]" in body
    assert b"eval(" not in body
