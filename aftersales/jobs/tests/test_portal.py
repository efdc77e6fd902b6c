"""The portal's jobs: a customer lists and downloads its organisation's job reports, and nothing else."""

from __future__ import annotations

import pytest

from aftersales.jobs.tests import factories

pytestmark = pytest.mark.django_db


def test_a_customer_lists_its_own_jobs_only(cast, client, django_assert_max_num_queries):
    own = [factories.installation(cast), factories.training(cast), factories.migration(cast)]
    theirs = factories.training(cast, customer=cast.second)
    client.force_login(cast.customer1)

    with django_assert_max_num_queries(20):
        page = client.get("/portal/jobs/").content.decode()

    assert all(job.ticket.number in page for job in own)
    assert theirs.ticket.number not in page and "蜀都银行" not in page


def test_a_customer_downloads_its_report_but_not_another_organisations(cast, client):
    own, theirs = factories.training(cast), factories.training(cast, customer=cast.second)
    client.force_login(cast.customer1)

    response = client.get(f"/portal/jobs/{own.ticket.number}/report.pdf?lang=zh-hans")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert client.get(f"/portal/jobs/{theirs.ticket.number}/report.pdf").status_code == 404


def test_a_fault_ticket_number_is_not_a_job(cast, client):
    job = factories.installation(cast)
    job.ticket.__class__.objects.filter(pk=job.ticket.pk).update(kind="fault")
    client.force_login(cast.customer1)

    assert client.get(f"/portal/jobs/{job.ticket.number}/report.pdf").status_code == 404
