"""Reads about customers: caller lookup by phone, and which organisations a person may see.

``customer_scope_for_user`` is the one place that decides which customers a
user may see; ticket, unit and report queries filter with it
(``customer__in=customer_scope_for_user(user)``).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from aftersales.accounts.models import User
from aftersales.accounts.roles import Role
from aftersales.customers.models import Contact, Customer, normalise_phone


def find_contacts_by_phone(raw: str) -> QuerySet[Contact]:
    """Contacts whose phone or mobile is the number typed or shown by caller ID.

    Both sides are normalised (``normalise_phone``), so spaces, dashes, +86/0086
    and extensions do not matter; the lookup is an exact match on the indexed
    normalised columns. An empty or digit-less input finds nobody.
    """
    number = normalise_phone(raw)
    if not number:
        return Contact.objects.none()
    return (
        Contact.objects.filter(Q(phone_normalised=number) | Q(mobile_normalised=number))
        .select_related("customer")
        .order_by("customer__name", "name")
    )


def visible_customer_ids(customer: Customer) -> frozenset[int]:
    """The organisations whose records a user of ``customer`` may see.

    A head office (总行) sees itself and its branches (分行); a branch sees
    only itself. Branches go one level deep (``Customer.clean`` refuses a
    branch of a branch). One query for a head office, none for a branch.
    """
    if customer.parent_id is not None:
        return frozenset({customer.pk})
    branch_ids = Customer.objects.filter(parent_id=customer.pk).values_list("pk", flat=True)
    return frozenset({customer.pk, *branch_ids})


def customer_scope_for_user(user: User) -> QuerySet[Customer]:
    """The customers a user may see, as a queryset usable in a subquery.

    - customer users: their own organisation (and its branches for a head office);
    - account managers: the customers they manage and those customers' branches;
    - every other member of staff: every customer (the hotline, centres, R&D,
      managers and leadership all need the whole installed base);
    - inactive or anonymous users, or a customer user with no organisation: nobody.
    """
    if not user.is_authenticated or not user.is_active:
        return Customer.objects.none()
    if user.role == Role.CUSTOMER:
        contact = Contact.objects.filter(user=user).select_related("customer").first()
        if contact is None:
            return Customer.objects.none()
        return Customer.objects.filter(pk__in=visible_customer_ids(contact.customer))
    if user.role == Role.ACCOUNT:
        return Customer.objects.filter(Q(account_manager=user) | Q(parent__account_manager=user))
    return Customer.objects.all()
