"""The demo vendor's service organisation: product lines, centres, staff and the on-call roster.

江南科友 (the vendor of the service commitment letter) runs three technical
support centres — Chongqing, Chengdu and Beijing — and an R&D team in
Guangzhou that goes on site for severe faults. The people with a login in the
demo table (``DEMO_LOGINS``) sign in with the password ``demo``; the other staff
exist so that centres have more than one engineer and the roster rotates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import ProductLine, ServiceCentre, User
from aftersales.accounts.roles import Role
from aftersales.accounts.services import add_shift
from aftersales.core.business_time import local_date, local_zone

DEMO_PASSWORD = "demo"
ROSTER_DAYS = 14
DAY_SHIFT_STARTS = time(8, 0)
NIGHT_SHIFT_STARTS = time(20, 0)

PRODUCT_LINES = [
    ("crypto", "密码设备 Cryptographic appliances"),
    ("network", "网络安全 Network security"),
    ("key-management", "密钥管理 Key management software"),
]

# code, name, city, other covered cities, is R&D, serves uncovered sites, phone, emergency contact
CENTRES = [
    ("cq", "重庆技术支持中心", "重庆", ["涪陵", "万州"], False, True, "023-6310 8800", "王强 138 2301 0005"),
    ("cd", "成都技术支持中心", "成都", ["绵阳"], False, False, "028-8555 6600", "杨帆 139 8012 3301"),
    ("bj", "北京技术支持中心", "北京", ["天津"], False, False, "010-8261 7700", "马超 186 0001 2201"),
    ("rnd", "研发中心 R&D", "广州", [], True, False, "020-3886 1000", "何俊 137 2800 9901"),
]


@dataclass(frozen=True)
class DemoLogin:
    """One row of the demo logins table printed by ``aftersales demo`` and in the README."""

    username: str
    role: str
    name: str
    centre: str  # centre code, or ""
    description: str
    is_superuser: bool = False


# The fixed cast that tests and the README use (STYLE: "the demo's roles").
DEMO_LOGINS = [
    DemoLogin("admin", Role.ADMIN, "系统管理员", "", _("administrator: configuration, /admin/"), True),
    DemoLogin("specialist", Role.SPECIALIST, "刘倩", "", _("customer-service specialist: intake, follow-up")),
    DemoLogin("engineer", Role.ENGINEER, "陈涛", "cq", _("support engineer, Chongqing centre")),
    DemoLogin("rnd", Role.RND, "赵磊", "rnd", _("R&D engineer")),
    DemoLogin("lead", Role.LEAD, "王强", "cq", _("Chongqing centre lead")),
    DemoLogin("manager", Role.MANAGER, "李娜", "", _("customer-support and customer-service manager")),
    DemoLogin("account", Role.ACCOUNT, "张伟", "", _("account manager of several customers")),
    DemoLogin("leader", Role.LEADER, "周建国", "", _("leadership: reads everything")),
    DemoLogin("customer1", Role.CUSTOMER, "吴敏", "", _("customer user, 重庆农村商业银行 head office")),
    DemoLogin("customer2", Role.CUSTOMER, "郑华", "", _("customer user, 蜀都银行")),
]

# Staff without a demo login: more hands for the centres and the roster.
OTHER_STAFF = [
    ("cq-huangyong", Role.ENGINEER, "黄勇", "cq"),
    ("cq-xuli", Role.ENGINEER, "徐丽", "cq"),
    ("cd-yangfan", Role.LEAD, "杨帆", "cd"),
    ("cd-wujie", Role.ENGINEER, "吴杰", "cd"),
    ("cd-sunli", Role.ENGINEER, "孙丽", "cd"),
    ("bj-machao", Role.LEAD, "马超", "bj"),
    ("bj-hubin", Role.ENGINEER, "胡斌", "bj"),
    ("bj-guomin", Role.ENGINEER, "郭敏", "bj"),
    ("rnd-hejun", Role.RND, "何俊", "rnd"),
    ("cs-linjing", Role.SPECIALIST, "林静", ""),
    ("am-gaofeng", Role.ACCOUNT, "高峰", ""),
]


@dataclass
class Organisation:
    """What the later builders need to know of the organisation."""

    product_lines: dict[str, ProductLine]
    centres: dict[str, ServiceCentre]
    users: dict[str, User]
    engineers_by_centre: dict[str, list[User]] = field(default_factory=dict)

    def user(self, username: str) -> User:
        return self.users[username]


def build_organisation(*, now: datetime) -> Organisation:
    """Product lines, the four centres, every staff user and a 14-day roster from ``now``."""
    lines = {code: ProductLine.objects.create(code=code, name=name) for code, name in PRODUCT_LINES}
    centres = {}
    for code, name, city, covered, is_rnd, serves_uncovered, phone, emergency in CENTRES:
        centre = ServiceCentre.objects.create(
            code=code,
            name=name,
            city=city,
            covered_cities=[city, *covered] if not is_rnd else [],
            is_rnd=is_rnd,
            serves_uncovered_sites=serves_uncovered,
            phone=phone,
            emergency_contact=emergency,
        )
        centre.product_lines.set(lines.values())
        centres[code] = centre
    users = _build_staff(centres)
    organisation = Organisation(product_lines=lines, centres=centres, users=users)
    for user in users.values():
        if user.role in (Role.ENGINEER, Role.LEAD, Role.RND) and user.centre_id:
            organisation.engineers_by_centre.setdefault(user.centre.code, []).append(user)
    _build_roster(organisation, now=now)
    return organisation


def _build_staff(centres: dict[str, ServiceCentre]) -> dict[str, User]:
    users: dict[str, User] = {}
    for index, login in enumerate(DEMO_LOGINS, start=1):
        if login.role == Role.CUSTOMER:
            continue  # customer users belong to a contact; installed_base creates them
        user = User(
            username=login.username,
            first_name=login.name,
            email=f"{login.username}@jnky.example",
            role=login.role,
            centre=centres.get(login.centre),
            phone=f"138 2301 {index:04d}",
            is_staff=login.role == Role.ADMIN,
            is_superuser=login.is_superuser,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        users[user.username] = user
    for index, (username, role, name, centre_code) in enumerate(OTHER_STAFF, start=101):
        user = User(
            username=username,
            first_name=name,
            email=f"{username}@jnky.example",
            role=role,
            centre=centres.get(centre_code),
            phone=f"139 2301 {index:04d}",
        )
        user.set_unusable_password()
        user.save()
        users[username] = user
    return users


def _build_roster(organisation: Organisation, *, now: datetime) -> None:
    """Day (08:00–20:00) and night (20:00–08:00) duty per centre, starting with last night.

    Starting with the night shift that began yesterday evening means someone is
    on duty at every moment from the time the demo is loaded.
    """
    zone = local_zone()
    first_day = local_date(now) - timedelta(days=1)
    for code, centre in organisation.centres.items():
        people = organisation.engineers_by_centre.get(code, [])
        shifts = []
        for offset in range(ROSTER_DAYS + 1):
            day = first_day + timedelta(days=offset)
            day_start = datetime.combine(day, DAY_SHIFT_STARTS, tzinfo=zone)
            night_start = datetime.combine(day, NIGHT_SHIFT_STARTS, tzinfo=zone)
            next_morning = datetime.combine(day + timedelta(days=1), DAY_SHIFT_STARTS, tzinfo=zone)
            if offset > 0:
                shifts.append((day_start, night_start, "白班 day shift"))
            shifts.append((night_start, next_morning, "夜班 night shift"))
        for turn, (starts_at, ends_at, note) in enumerate(shifts):
            add_shift(
                centre=centre,
                user=people[turn % len(people)],
                starts_at=starts_at,
                ends_at=ends_at,
                note=note,
            )
