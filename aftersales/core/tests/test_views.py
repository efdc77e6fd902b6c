import pytest


@pytest.mark.django_db
@pytest.mark.smoke
def test_healthz_answers_ok_when_the_database_is_reachable(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"


@pytest.mark.django_db
def test_the_front_door_sends_customers_to_the_portal_and_staff_to_the_console(client):
    from aftersales.accounts.roles import Role
    from aftersales.accounts.tests.factories import UserFactory

    client.force_login(UserFactory(username="c1", role=Role.CUSTOMER))
    assert client.get("/")["Location"] == "/portal/"
    client.force_login(UserFactory(username="s1", role=Role.SPECIALIST))
    assert client.get("/")["Location"] == "/desk/"
