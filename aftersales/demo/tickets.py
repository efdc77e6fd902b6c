"""The demo's ~300 tickets, each lived through the real ticket services, in time order.

Every ticket is a *story*: a list of steps (open, assign, reply, accept, go on
site, restore, resolve, follow up …) at minutes after the report. The story's
report time is chosen backwards from now so that its last step lands where the
demo needs it: a response clock 25 minutes into its 30 (at risk), an engineer
not on site 5 hours after a 4-hour request (breached), a ticket resolved two
days ago and waiting for its follow-up call. Stories run oldest first, and
before each step the escalation sweep is run at every moment a clock needed
it, so warnings, breaches and escalations carry the times they would have had.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aftersales.accounts.roles import Role
from aftersales.commitments.models import Clock
from aftersales.commitments.services import sweep
from aftersales.demo.installed_base import InstalledBase
from aftersales.demo.organisation import Organisation
from aftersales.tickets import services
from aftersales.tickets.models import Channel, Kind, Level, Severity, Status, Ticket
from aftersales.units.models import Unit, UnitPart

PREMIUM_CUSTOMER = "cqrcb"
HOUR = 60
DAY = 24 * HOUR
DEMO_DAYS = 90

# How many tickets end in each situation (they add up to the ~300 of the demo).
STATUS_MIX = [
    ("new_fresh", 6),
    ("new_at_risk", 6),
    ("new_breached", 6),
    ("accepted", 15),
    ("in_progress", 26),
    ("onsite_at_risk", 4),
    ("onsite_breached", 4),
    ("onsite_running", 4),
    ("rnd_pending", 4),
    ("reopened", 5),
    ("severity_raised", 3),
    ("waiting", 15),
    ("resolved", 25),
    ("closed", 134),
    ("closed_not_fixed_first", 8),
    ("closed_without_follow_up", 10),
    ("auto_closed", 8),
    ("cancelled", 10),
    ("duplicate", 7),
]

KIND_WEIGHTS = [
    (Kind.FAULT, 62),
    (Kind.CONSULTATION, 12),
    (Kind.COMPLAINT, 6),
    (Kind.UPGRADE, 8),
    (Kind.INSTALLATION, 5),
    (Kind.TRAINING, 4),
    (Kind.MIGRATION, 3),
]
FAULT_ONLY = {
    "new_at_risk",
    "new_breached",
    "onsite_at_risk",
    "onsite_breached",
    "onsite_running",
    "rnd_pending",
    "severity_raised",
    "closed_not_fixed_first",
}

# Situations whose clock state depends on the vendor's standard targets: their unit must stand
# at a covered site and not be under the premium contract (which has its own on-site targets).
STANDARD_TARGETS_ONLY = {"new_at_risk", "onsite_at_risk", "onsite_breached", "onsite_running"}

# fmt: off
SYMPTOMS = {
    "SJJ1310": [("SM2 签名接口调用超时", "签名请求平均耗时超过 5 秒，部分交易超时失败"),
                ("HA 主备切换失败", "主机宕机后备机未接管，密码服务不可用"),
                ("密码卡自检报错 ERR-0x51", "设备启动自检时密码卡报错，加解密服务无法启动"),
                ("密钥备份恢复失败", "使用备份卡恢复密钥时提示校验失败"),
                ("电源模块告警", "前面板电源灯为橙色，管理界面提示 PSU2 故障")],
    "SVS1800": [("验签失败率升高", "网银验签失败率由 0.1% 升至 8%，客户投诉增多"),
                ("证书链校验异常", "导入新 CA 证书后证书链校验报错"),
                ("管理界面无法登录", "管理员 UKey 登录提示会话建立失败")],
    "VPN3000": [("VPN 隧道频繁断开", "与分支机构的 IPsec 隧道每隔十几分钟断开一次"),
                ("SSL VPN 用户无法登录", "远程办公用户登录时提示证书无效"),
                ("国密 IPsec 协商失败", "与对端国密网关协商第一阶段失败，日志报 SM2 证书错误"),
                ("网关 CPU 占用 100%", "业务高峰期 CPU 持续满载，转发延迟明显")],
    "KMS-V5": [("密钥同步任务失败", "主备 KMS 之间的密钥同步任务连续失败"),
               ("审计日志写入失败", "审计日志无法落盘，提示存储空间不足"),
               ("租户密钥分发延迟", "新建租户的密钥分发需要十几分钟才能生效")],
    "TSS2000": [("授时偏差超限", "时间戳与标准时间偏差超过 1 秒，签发被拒绝"),
                ("北斗授时模块无信号", "授时模块无卫星信号，已切换到本地时钟"),
                ("时间戳签发失败", "业务系统申请时间戳返回内部错误")],
}
SEVERE_IMPACT = ["核心业务系统中断，柜面交易无法签名", "网上银行无法登录，业务全部中断",
                 "政务服务平台电子签章全部失败", "生产系统无法取得时间戳，业务暂停"]
GENERAL_IMPACT = ["个别业务偶发失败，已有临时方案", "性能下降，业务可以继续", "管理功能受影响，业务正常"]
TRIED = ["重启了服务", "检查了网络连通性", "查看了设备日志", "切换到了备机", "联系了网络管理员"]
CONSULTATIONS = [("咨询 SM2 证书申请流程", "想了解为业务系统申请 SM2 证书的步骤和所需材料。"),
                 ("询问固件升级注意事项", "计划下月升级固件，想确认是否需要停机以及回退方案。"),
                 ("咨询 HA 配置最佳实践", "新建同城灾备，想了解双机热备的推荐配置。"),
                 ("如何导出审计日志", "等保测评需要导出近一年的审计日志，请告知操作方法。")]
SERVICE_REQUESTS = {
    Kind.UPGRADE: ("申请升级到最新版本", "请安排将设备软件升级到最新版本，并提供升级说明和回退方案。"),
    Kind.INSTALLATION: ("新购设备上架安装调试", "新购设备已到货，请安排工程师上门安装调试并出具验收记录。"),
    Kind.TRAINING: ("运维人员操作培训", "新入职的运维人员需要设备日常运维和应急处置培训，约 6 人。"),
    Kind.MIGRATION: ("机房搬迁系统移植", "数据中心下季度搬迁，需要制定设备迁移方案并现场实施。"),
}
COMPLAINTS = [("投诉：工程师到场不及时", "上周严重故障，工程师比承诺时间晚到两个小时，影响了业务恢复。"),
              ("投诉：故障处理时间过长", "一个一般故障处理了一周多，期间没有人主动告知进展。"),
              ("投诉：回访时间不合适", "回访电话在晚上十点打来，希望以后在工作时间联系。")]
DIAGNOSES = ["配置参数与当前版本不匹配", "硬件部件老化导致间歇性故障", "网络设备 MTU 设置不一致",
             "证书过期后未及时更新", "软件缺陷，已在新版本修复", "存储空间被日志占满"]
ACTIONS = ["调整配置并重启服务，观察 24 小时无异常", "更换故障部件并做完整自检", "统一 MTU 设置后隧道稳定",
           "协助客户更新证书并验证业务", "升级到修复版本并验证", "清理日志并配置自动轮转"]
COMMENTS = ["处理及时，非常满意", "工程师很专业，讲解清楚", "希望以后能提前电话告知进展", "问题解决了，谢谢",
            "响应很快", ""]
# fmt: on


@dataclass
class Step:
    """One thing that happens to the ticket, ``offset`` minutes after the report."""

    offset: float
    run: Callable[[Ticket | None, datetime], Ticket | None]


@dataclass
class Story:
    """A ticket's life; ``age`` is how long before now its last step happened (minutes)."""

    situation: str
    age: float
    steps: list[Step] = field(default_factory=list)
    reported_at: datetime | None = None


class TicketStories:
    """Writes the stories for one demo and runs them against the services."""

    def __init__(
        self, *, organisation: Organisation, base: InstalledBase, rng: random.Random, now: datetime
    ) -> None:
        self.org = organisation
        self.base = base
        self.rng = rng
        self.now = now
        self.units_by_customer: dict[int, list[Unit]] = {}
        for unit in base.units:
            if unit.is_active:
                self.units_by_customer.setdefault(unit.customer_id, []).append(unit)
        self.customers = [c for c in base.customers.values() if c.pk in self.units_by_customer]
        centres = [centre for centre in organisation.centres.values() if not centre.is_rnd]
        self.standard_units = [
            unit
            for unit in base.units
            if unit.is_active
            and unit.site_id
            and unit.customer.code != PREMIUM_CUSTOMER
            and any(centre.covers_city(unit.site.city) for centre in centres)
        ]
        self.parts = {
            origin: list(
                UnitPart.objects.filter(origin=origin, removed_on__isnull=True)
                .select_related("unit")
                .order_by("pk")
            )
            for origin in (UnitPart.Origin.CUSTOMER_ADDED, UnitPart.Origin.VENDOR_REPLACEMENT)
        }
        self.opened: dict[int, list[Ticket]] = {}
        self.specialists = [organisation.user("specialist"), organisation.user("cs-linjing")]
        self.rnd_engineers = [u for u in organisation.users.values() if u.role == Role.RND]

    # --- building -------------------------------------------------------------------------

    def build(self) -> list[Ticket]:
        stories = []
        for situation, count in STATUS_MIX:
            for _ in range(count):
                stories.append(self._story(situation))
        for story in stories:
            last = max(step.offset for step in story.steps)
            story.reported_at = self.now - timedelta(minutes=story.age + last)
        stories.sort(key=lambda story: story.reported_at)
        tickets = []
        for story in stories:
            ticket = None
            for step in sorted(story.steps, key=lambda step: step.offset):
                moment = story.reported_at + timedelta(minutes=step.offset)
                _sweep_until(moment)
                ticket = step.run(ticket, moment) or ticket
            tickets.append(ticket)
        _sweep_until(self.now)
        return tickets

    def _story(self, situation: str) -> Story:
        rng = self.rng
        kind = Kind.FAULT if situation in FAULT_ONLY else _weighted(rng, KIND_WEIGHTS)
        if situation == "duplicate" and kind == Kind.COMPLAINT:
            kind = Kind.FAULT
        if situation in STANDARD_TARGETS_ONLY:
            unit = rng.choice(self.standard_units)
            customer = unit.customer
        else:
            customer = rng.choice(self.customers)
            unit = rng.choice(self.units_by_customer[customer.pk])
        part = None
        if kind == Kind.FAULT and situation not in STANDARD_TARGETS_ONLY and rng.random() < 0.06:
            origin = rng.choice(list(self.parts))
            if self.parts[origin]:
                part = rng.choice(self.parts[origin])
                unit, customer = part.unit, part.unit.customer
        severity = ""
        if kind == Kind.FAULT:
            is_severe = (
                situation in ("onsite_at_risk", "onsite_breached", "rnd_pending") or rng.random() < 0.3
            )
            severity = Severity.SEVERE if is_severe else Severity.GENERAL
        if situation == "severity_raised":
            severity = Severity.GENERAL
        story = Story(situation=situation, age=0)
        intake = self._intake(kind, customer, unit if kind != Kind.COMPLAINT else None, part, severity)
        story.steps.append(Step(0, intake))
        writer = getattr(self, f"_situation_{situation}", None)
        if writer is None:
            raise ValueError(f"unknown demo situation {situation}")
        writer(story, kind, severity, customer)
        return story

    def _intake(self, kind, customer, unit, part, severity) -> Callable:
        rng = self.rng
        portal_user = next(
            (user for user in self.base.customer_users.values() if user.contact.customer_id == customer.pk),
            None,
        )
        channels = [Channel.PHONE, Channel.PHONE, Channel.EMAIL]
        if portal_user is not None:
            channels += [Channel.WEB, Channel.WEB]
        channel = rng.choice(channels)
        contacts = self.base.contacts_by_customer[customer.pk]
        reporter = portal_user.contact if channel == Channel.WEB else rng.choice(contacts)
        by = {
            Channel.PHONE: rng.choice(self.specialists),
            Channel.EMAIL: None,
            Channel.WEB: portal_user,
        }[channel]
        title, description, impact = self._texts(kind, unit, severity)
        guidance = channel == Channel.PHONE and kind == Kind.CONSULTATION and rng.random() < 0.6

        def run(_ticket: Ticket | None, at: datetime) -> Ticket:
            ticket = services.open_ticket(
                by=by,
                kind=kind,
                channel=channel,
                customer=customer,
                title=title,
                description=description,
                business_impact=impact,
                reported_at=at,
                severity=severity,
                unit=unit,
                part=part,
                reporter=reporter,
                onsite_contact=reporter if unit is not None else None,
                guidance_given=guidance,
                guidance="电话中已指导客户完成操作。" if guidance else "",
                now=self.now,
            )
            self.opened.setdefault(customer.pk, []).append(ticket)
            return ticket

        return run

    def _texts(self, kind: str, unit: Unit | None, severity: str) -> tuple[str, str, str]:
        rng = self.rng
        if kind == Kind.COMPLAINT:
            title, description = rng.choice(COMPLAINTS)
            return title, description, ""
        if kind == Kind.CONSULTATION:
            title, description = rng.choice(CONSULTATIONS)
            return f"{title}（{unit.product_model.name}）", description, ""
        if kind != Kind.FAULT:
            title, description = SERVICE_REQUESTS[kind]
            return f"{title}（{unit.product_model.name}）", description, ""
        symptom, detail = rng.choice(SYMPTOMS[unit.product_model.code])
        impact = rng.choice(SEVERE_IMPACT if severity == Severity.SEVERE else GENERAL_IMPACT)
        site = unit.site.name if unit.site_id else ""
        description = (
            f"{site}的{unit.product_model.name}（序列号 {unit.serial}）{detail}。"
            f"已{rng.choice(TRIED)}，问题依旧，请尽快处理。"
        )
        return f"{unit.product_model.name}：{symptom}", description, impact

    # --- the people -----------------------------------------------------------------------

    def _lead(self, ticket: Ticket):
        if ticket.centre_id is None:
            return self.org.user("manager")
        return next(
            (u for u in self.org.engineers_by_centre[ticket.centre.code] if u.role == Role.LEAD),
            self.org.user("manager"),
        )

    def _engineer(self, ticket: Ticket):
        if ticket.kind == Kind.COMPLAINT or ticket.centre_id is None:
            return self.org.user("manager")
        people = [u for u in self.org.engineers_by_centre[ticket.centre.code] if u.role == Role.ENGINEER]
        if ticket.centre.code == "cq":
            people = [self.org.user("engineer"), *people]  # the demo login gets the most work
        return self.rng.choice(people)

    # --- step writers -----------------------------------------------------------------------

    def _respond_and_accept(self, story: Story, kind: str, *, late: bool = False) -> float:
        """Assignment, first response and acceptance; returns the minute work can start."""
        rng = self.rng
        assign_at = rng.uniform(1, 12)
        respond_at = rng.uniform(40, 150) if late else rng.uniform(assign_at + 1, 27)
        accept_at = max(assign_at, respond_at) + rng.uniform(3, 40)

        def assign(ticket, at):
            if ticket.kind == Kind.COMPLAINT:
                return ticket
            engineer = self._engineer(ticket)
            return services.assign_ticket(ticket=ticket, by=self._lead(ticket), assignee=engineer, at=at)

        def respond(ticket, at):
            if ticket.first_response_at is not None:
                return ticket
            if ticket.kind == Kind.COMPLAINT or rng.random() < 0.5:
                return services.log_call(
                    ticket=ticket,
                    by=ticket.assignee or self.org.user("specialist"),
                    direction=services.CALL_OUTBOUND,
                    summary="已回电客户，确认问题现象并告知处理安排。",
                    contact=ticket.reporter,
                    at=at,
                )
            return services.reply_to_customer(
                ticket=ticket,
                by=ticket.assignee or self.org.user("specialist"),
                body="您好，我们已收到您的报告，工程师正在分析，稍后与您联系。",
                at=at,
            )

        def accept(ticket, at):
            return services.accept_ticket(ticket=ticket, by=ticket.assignee or self._lead(ticket), at=at)

        story.steps += [Step(assign_at, assign), Step(respond_at, respond), Step(accept_at, accept)]
        return accept_at

    def _start(self, story: Story, after: float) -> float:
        start_at = after + self.rng.uniform(5, 90)

        def start(ticket, at):
            return services.start_work(ticket=ticket, by=ticket.assignee or self._lead(ticket), at=at)

        story.steps.append(Step(start_at, start))
        return start_at

    def _onsite(
        self, story: Story, severity: str, after: float, *, arrival: str = "on_time", rnd: bool = False
    ) -> float:
        """Request on-site service; the arrival is on time, late, or not yet (``arrival="none"``)."""
        rng = self.rng
        request_at = after + rng.uniform(20, 180)
        target = 4 * HOUR if severity == Severity.SEVERE else DAY
        arrive_after = {
            "on_time": rng.uniform(0.3, 0.9) * target,
            "late": rng.uniform(1.05, 1.4) * target,
            "none": None,
        }[arrival]

        def request(ticket, at):
            return services.request_onsite(
                ticket=ticket,
                by=ticket.assignee or self._lead(ticket),
                rnd=rnd,
                note="远程无法解决，需要工程师到现场。" if not rnd else "严重故障，申请研发工程师到场支持。",
                at=at,
            )

        story.steps.append(Step(request_at, request))
        if arrive_after is None:
            return request_at
        arrive_at = request_at + arrive_after

        def arrive(ticket, at):
            engineer = rng.choice(self.rnd_engineers) if rnd else (ticket.assignee or self._engineer(ticket))
            return services.record_arrival(ticket=ticket, engineer=engineer, at=at, now=self.now)

        story.steps.append(Step(arrive_at, arrive))
        return arrive_at

    def _restore(self, story: Story, after: float) -> float:
        restore_at = after + self.rng.uniform(20, 240)
        how = self.rng.choice([services.RESTORED_BY_WORKAROUND, services.RESTORED_BY_SPARE])

        def restore(ticket, at):
            return services.record_restored(
                ticket=ticket, by=ticket.assignee, how=how, note="已采用临时方案恢复业务。", at=at
            )

        story.steps.append(Step(restore_at, restore))
        return restore_at

    def _work(self, story: Story, kind: str, severity: str, *, late_response: bool = False) -> float:
        """The usual path from the report to the moment the fix is done."""
        rng = self.rng
        moment = self._start(story, self._respond_and_accept(story, kind, late=late_response))
        if kind == Kind.FAULT:
            if rng.random() < (0.5 if severity == Severity.SEVERE else 0.2):
                moment = self._onsite(
                    story, severity, moment, arrival="late" if rng.random() < 0.15 else "on_time"
                )
                if severity == Severity.SEVERE and rng.random() < 0.25:
                    moment = self._onsite(
                        story,
                        severity,
                        moment - 60,
                        arrival="late" if rng.random() < 0.1 else "on_time",
                        rnd=True,
                    )
            if rng.random() < 0.5:
                moment = self._restore(story, moment)
        elif kind in (Kind.INSTALLATION, Kind.MIGRATION, Kind.TRAINING):
            moment = self._onsite(story, Severity.GENERAL, moment)
        if rng.random() < 0.3:
            note_at = moment + rng.uniform(5, 60)

            def note(ticket, at):
                return services.add_internal_note(
                    ticket=ticket, by=ticket.assignee, body="已与研发确认，属已知问题，按方案处理。", at=at
                )

            story.steps.append(Step(note_at, note))
            moment = note_at
        return moment + rng.uniform(30, 24 * HOUR)

    def _resolve(self, story: Story, kind: str, at_offset: float) -> float:
        rng = self.rng
        level = {
            Kind.CONSULTATION: Level.L1,
            Kind.INSTALLATION: Level.L3,
            Kind.MIGRATION: Level.L3,
            Kind.TRAINING: Level.L3,
        }.get(kind) or rng.choice([Level.L1, Level.L2, Level.L2, Level.L2])
        diagnosis_index = rng.randrange(len(DIAGNOSES))

        def outcome(ticket, at):
            return services.record_complaint_outcome(
                ticket=ticket,
                by=self.org.user("manager"),
                outcome="已向客户致歉，调整了该区域工程师排班，并承诺严重故障到场前电话告知预计时间。",
                at=at,
            )

        def resolve(ticket, at):
            if ticket.kind == Kind.COMPLAINT:
                return services.resolve_ticket(ticket=ticket, by=self.org.user("manager"), at=at)
            reached = Level.L3 if ticket.level_reached == Level.L3 else level
            return services.resolve_ticket(
                ticket=ticket,
                by=ticket.assignee or self._lead(ticket),
                diagnosis=DIAGNOSES[diagnosis_index],
                actions_taken=ACTIONS[diagnosis_index],
                level_reached=reached,
                at=at,
            )

        if kind == Kind.COMPLAINT:
            story.steps.append(Step(at_offset - 30, outcome))
        story.steps.append(Step(at_offset, resolve))
        return at_offset

    def _follow_up(self, story: Story, after: float, *, is_fixed: bool = True) -> float:
        rng = self.rng
        follow_at = after + rng.uniform(2 * HOUR, 3 * DAY)
        satisfaction = rng.choice([5, 5, 5, 4, 4, 3, 2])
        comment = rng.choice(COMMENTS)

        def follow_up(ticket, at):
            return services.record_follow_up(
                ticket=ticket,
                by=rng.choice(self.specialists),
                is_fixed=is_fixed,
                satisfaction=satisfaction if is_fixed else None,
                comment=comment if is_fixed else "客户反馈问题仍偶尔出现。",
                at=at,
            )

        story.steps.append(Step(follow_at, follow_up))
        return follow_at

    # --- the situations ---------------------------------------------------------------------

    def _situation_new_fresh(self, story, kind, severity, customer):
        story.age = self.rng.uniform(1, 12)

    def _situation_new_at_risk(self, story, kind, severity, customer):
        # 30-minute response promise warned 10 minutes before: 21–27 minutes in, it is at risk.
        story.age = self.rng.uniform(21, 27)

    def _situation_new_breached(self, story, kind, severity, customer):
        story.age = self.rng.uniform(45, 8 * HOUR)

    def _situation_accepted(self, story, kind, severity, customer):
        self._respond_and_accept(story, kind)
        story.age = self.rng.uniform(10, 2 * DAY)

    def _situation_in_progress(self, story, kind, severity, customer):
        self._work(story, kind, severity, late_response=self.rng.random() < 0.15)
        story.age = self.rng.uniform(10, 6 * DAY)

    def _onsite_pending(self, story, severity, age: float, *, rnd: bool = False):
        moment = self._start(story, self._respond_and_accept(story, Kind.FAULT))
        self._onsite(story, severity, moment, arrival="none", rnd=rnd)
        story.age = age

    def _situation_onsite_at_risk(self, story, kind, severity, customer):
        # Severe, 4 hours, warned an hour before: 3 h 10 min to 3 h 45 min after the request.
        self._onsite_pending(story, severity, self.rng.uniform(190, 225))

    def _situation_onsite_breached(self, story, kind, severity, customer):
        self._onsite_pending(story, severity, self.rng.uniform(5 * HOUR, 20 * HOUR))

    def _situation_onsite_running(self, story, kind, severity, customer):
        self._onsite_pending(story, severity, self.rng.uniform(10, 90))

    def _situation_rnd_pending(self, story, kind, severity, customer):
        self._onsite_pending(story, severity, self.rng.uniform(2 * HOUR, 30 * HOUR), rnd=True)

    def _situation_waiting(self, story, kind, severity, customer):
        moment = self._work(story, kind, severity)

        def wait(ticket, at):
            return services.wait_for_customer(
                ticket=ticket, by=ticket.assignee, reason="等待客户提供设备日志和可停机的维护窗口。", at=at
            )

        story.steps.append(Step(moment, wait))
        story.age = self.rng.uniform(30, 5 * DAY)

    def _situation_severity_raised(self, story, kind, severity, customer):
        moment = self._start(story, self._respond_and_accept(story, kind))

        def raise_severity(ticket, at):
            return services.change_severity(
                ticket=ticket,
                by=self._lead(ticket),
                severity=Severity.SEVERE,
                reason="客户确认交易已全部中断，升级为严重故障。",
                at=at,
            )

        story.steps.append(Step(moment + 30, raise_severity))
        story.age = self.rng.uniform(20, 3 * HOUR)

    def _situation_resolved(self, story, kind, severity, customer):
        self._resolve(story, kind, self._work(story, kind, severity))
        story.age = self.rng.uniform(2 * HOUR, 5 * DAY)

    def _closed_age(self, story) -> float:
        """Closed stories fit in the 90 days: their report must not be older than that."""
        span = max(step.offset for step in story.steps)
        return self.rng.uniform(2 * HOUR, max(3 * HOUR, DEMO_DAYS * DAY - span - DAY))

    def _situation_closed(self, story, kind, severity, customer):
        moment = self._resolve(
            story, kind, self._work(story, kind, severity, late_response=self.rng.random() < 0.1)
        )
        self._follow_up(story, moment)
        if kind == Kind.FAULT and self.rng.random() < 0.04:
            self._override(story)
        story.age = self._closed_age(story)

    def _override(self, story):
        def override(ticket, at):
            if ticket.entitlement != "chargeable":
                return ticket
            return services.override_entitlement(
                ticket=ticket,
                by=self.org.user("manager"),
                entitlement="in_warranty",
                reason="商务让步：重点客户首次故障免费处理。",
                at=at,
            )

        story.steps.append(Step(30, override))

    def _situation_closed_not_fixed_first(self, story, kind, severity, customer):
        moment = self._resolve(story, kind, self._work(story, kind, severity))
        moment = self._follow_up(story, moment, is_fixed=False)
        moment = self._resolve(story, kind, moment + self.rng.uniform(2 * HOUR, 2 * DAY))
        self._follow_up(story, moment)
        story.age = self._closed_age(story)

    def _situation_closed_without_follow_up(self, story, kind, severity, customer):
        moment = self._resolve(story, kind, self._work(story, kind, severity))

        def close(ticket, at):
            return services.close_ticket(
                ticket=ticket,
                by=self.rng.choice(self.specialists),
                reason="客户来邮件确认已恢复正常。",
                at=at,
            )

        story.steps.append(Step(moment + self.rng.uniform(HOUR, DAY), close))
        story.age = self._closed_age(story)

    def _situation_auto_closed(self, story, kind, severity, customer):
        moment = self._resolve(story, kind, self._work(story, kind, severity))

        def auto_close(ticket, at):
            services.auto_close_silent_tickets(now=at)
            ticket.refresh_from_db()
            return ticket

        story.steps.append(Step(moment + 7 * DAY + HOUR, auto_close))
        story.age = self._closed_age(story)

    def _situation_reopened(self, story, kind, severity, customer):
        moment = self._resolve(story, kind, self._work(story, kind, severity))
        moment = self._follow_up(story, moment)

        def reopen(ticket, at):
            return services.reopen_ticket(
                ticket=ticket,
                by=self.rng.choice(self.specialists),
                reason="客户来电：同样的故障再次出现。",
                at=at,
            )

        story.steps.append(Step(moment + self.rng.uniform(HOUR, 5 * DAY), reopen))
        story.age = self.rng.uniform(30, 3 * DAY)

    def _situation_cancelled(self, story, kind, severity, customer):
        def cancel(ticket, at):
            return services.cancel_ticket(
                ticket=ticket,
                by=self.rng.choice(self.specialists),
                reason="客户撤回：系统自行恢复，确认无需处理。",
                at=at,
            )

        story.steps.append(Step(self.rng.uniform(5, 120), cancel))
        story.age = self.rng.uniform(HOUR, 80 * DAY)

    def _situation_duplicate(self, story, kind, severity, customer):
        def mark_duplicate(ticket, at):
            originals = [
                t
                for t in self.opened.get(ticket.customer_id, [])
                if t.pk != ticket.pk and t.reported_at < ticket.reported_at
            ]
            original = next(
                (t for t in reversed(originals) if Ticket.objects.get(pk=t.pk).status != Status.CANCELLED),
                None,
            )
            if original is None:
                return services.cancel_ticket(
                    ticket=ticket, by=self.specialists[0], reason="客户重复报告。", at=at
                )
            return services.cancel_ticket(
                ticket=ticket,
                by=self.specialists[0],
                reason="同一故障的重复报告。",
                duplicate_of=original,
                at=at,
            )

        story.steps.append(Step(self.rng.uniform(5, 60), mark_duplicate))
        story.age = self.rng.uniform(HOUR, 80 * DAY)


def _weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    values = [value for value, _ in choices]
    weights = [weight for _, weight in choices]
    return rng.choices(values, weights=weights)[0]


def _sweep_until(moment: datetime) -> None:
    """Run the escalation sweep at every moment a clock needed it, up to ``moment``.

    The real sweep runs every minute; replaying it at each due moment (plus a
    minute) gives warnings and breaches the times they would have had.
    """
    previous = None
    while True:
        due = (
            Clock.objects.filter(next_action_at__lte=moment)
            .order_by("next_action_at")
            .values_list("next_action_at", flat=True)
            .first()
        )
        if due is None:
            return
        if due == previous:  # the sweep left it due: let one sweep at ``moment`` settle it
            sweep(now=moment)
            return
        previous = due
        sweep(now=min(moment, due + timedelta(minutes=1)))
