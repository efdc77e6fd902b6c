import pytest


@pytest.mark.django_db
@pytest.mark.smoke
def test_healthz_answers_ok_when_the_database_is_reachable(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
