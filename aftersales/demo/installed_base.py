"""The demo installed base: 20 customers with sites and contacts, 5 product models, ~200 units.

The data is built to show every entitlement case of the letter: units in and
out of warranty (hardware three years, software one), units with no recorded
acceptance (warranty from shipment), parts the customer added (never covered),
parts the vendor fitted as replacements (covered under the original term), one
replacement unit (inherits the remaining term), and contracts of every kind —
one of them a premium contract with its own, tighter on-site promise. Sites lie
in covered cities and outside every centre's coverage (拉萨, 贵阳, 西安).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from aftersales.accounts.models import User
from aftersales.accounts.roles import Role
from aftersales.commitments.models import CommitmentRule, ServicePolicy
from aftersales.core.business_time import local_date, start_of_local_day
from aftersales.customers.models import Contact, Customer, Site
from aftersales.demo.organisation import DEMO_LOGINS, DEMO_PASSWORD, Organisation
from aftersales.units.models import Contract, ProductModel, Unit, UnitPart
from aftersales.units.services import add_customer_part, replace_part, replace_unit

# fmt: off
AREA_CODES = {
    "重庆": "023", "涪陵": "023", "万州": "023", "成都": "028", "绵阳": "0816",
    "北京": "010", "天津": "022", "拉萨": "0891", "贵阳": "0851", "西安": "029",
}
# The administrative-division part of a unified social credit code (统一社会信用代码).
REGION_CODES = {
    "重庆": "500000", "涪陵": "500102", "万州": "500101", "成都": "510100", "绵阳": "510700",
    "北京": "110000", "天津": "120000", "拉萨": "540100", "贵阳": "520100", "西安": "610100",
}
INVOICE_BANKS = ["重庆农村商业银行", "中国工商银行", "中国建设银行", "中国银行"]

# code, name, kind, head office (for a branch), account manager, number of units
CUSTOMERS = [
    ("cqrcb", "重庆农村商业银行", "bank", "", "account", 30),
    ("cqrcb-fuling", "重庆农村商业银行涪陵分行", "bank", "cqrcb", "account", 8),
    ("cqrcb-wanzhou", "重庆农村商业银行万州分行", "bank", "cqrcb", "account", 8),
    ("cqrcb-chengdu", "重庆农村商业银行成都分行", "bank", "cqrcb", "account", 6),
    ("yuzhou-bank", "渝州银行股份有限公司", "bank", "", "account", 18),
    ("shudu-bank", "蜀都银行股份有限公司", "bank", "", "account", 14),
    ("mianzhou-bank", "绵州商业银行股份有限公司", "bank", "", "am-gaofeng", 8),
    ("jinghua-bank", "京华银行股份有限公司", "bank", "", "am-gaofeng", 14),
    ("jinmen-rcb", "津门农村商业银行股份有限公司", "bank", "", "am-gaofeng", 8),
    ("xueyu-bank", "雪域银行股份有限公司", "bank", "", "account", 8),
    ("cq-psb", "重庆市公安局", "government", "", "account", 10),
    ("sc-tax", "国家税务总局四川省税务局", "government", "", "am-gaofeng", 10),
    ("haidian-gov", "北京市海淀区政务服务中心", "government", "", "am-gaofeng", 6),
    ("lhasa-finance", "拉萨市财政局", "government", "", "account", 4),
    ("cq-healthcare", "重庆市医疗保障局", "government", "", "account", 8),
    ("changjiang-auto", "重庆长江汽车制造有限公司", "enterprise", "", "account", 10),
    ("tianfu-electronics", "成都天府电子科技有限公司", "enterprise", "", "am-gaofeng", 6),
    ("huaxin-securities", "北京华信证券股份有限公司", "enterprise", "", "am-gaofeng", 10),
    ("qianyun-data", "贵州黔云数据有限公司", "enterprise", "", "account", 6),
    ("jiuzhou-comm", "绵阳九洲通信设备有限公司", "enterprise", "", "am-gaofeng", 6),
]
# customer code: [(site name, city, address)]; the first site's city is the customer's own.
SITES = {
    "cqrcb": [("总行数据中心", "重庆", "重庆市渝北区金开大道99号"),
              ("同城灾备中心", "重庆", "重庆市两江新区星光大道62号")],
    "cqrcb-fuling": [("涪陵分行机房", "涪陵", "重庆市涪陵区兴华中路18号")],
    "cqrcb-wanzhou": [("万州分行机房", "万州", "重庆市万州区白岩路33号")],
    "cqrcb-chengdu": [("成都分行机房", "成都", "成都市锦江区红星路三段1号")],
    "yuzhou-bank": [("总行数据中心", "重庆", "重庆市江北区江北城西大街6号"),
                    ("西安分行", "西安", "西安市雁塔区高新路52号")],
    "shudu-bank": [("总行数据中心", "成都", "成都市高新区天府大道北段1480号"),
                   ("绵阳分行", "绵阳", "绵阳市涪城区临园路东段66号")],
    "mianzhou-bank": [("数据中心", "绵阳", "绵阳市游仙区东津路8号")],
    "jinghua-bank": [("亦庄数据中心", "北京", "北京市大兴区科创十三街29号"),
                     ("天津分行", "天津", "天津市和平区南京路219号")],
    "jinmen-rcb": [("数据中心", "天津", "天津市西青区海泰创新六路2号")],
    "xueyu-bank": [("总行机房", "拉萨", "拉萨市城关区金珠西路101号")],
    "cq-psb": [("指挥中心机房", "重庆", "重庆市渝中区中山三路163号"),
               ("万州分局", "万州", "重庆市万州区太白路20号")],
    "sc-tax": [("信息中心", "成都", "成都市青羊区长顺下街6号")],
    "haidian-gov": [("政务云机房", "北京", "北京市海淀区北四环西路68号")],
    "lhasa-finance": [("财政局机房", "拉萨", "拉萨市城关区江苏路28号")],
    "cq-healthcare": [("医保信息中心", "重庆", "重庆市渝北区青枫北路6号")],
    "changjiang-auto": [("两江工厂", "重庆", "重庆市两江新区金渝大道88号"),
                        ("西安工厂", "西安", "西安市经开区凤城十二路1号")],
    "tianfu-electronics": [("研发中心", "成都", "成都市高新区益州大道中段555号")],
    "huaxin-securities": [("金融街机房", "北京", "北京市西城区金融大街35号")],
    "qianyun-data": [("贵安数据中心", "贵阳", "贵州省贵安新区数谷大道1号")],
    "jiuzhou-comm": [("生产基地", "绵阳", "绵阳市科创园区九华路6号")],
}

# Contacts with a portal login (DEMO_LOGINS): customer code, username, department, e-mail handle.
CUSTOMER_USERS = [
    ("cqrcb", "customer1", "信息科技部", "wumin"),
    ("shudu-bank", "customer2", "运维中心", "zhenghua"),
]

# Contact names and their e-mail handles (pinyin).
PEOPLE = [
    ("张丽", "zhangli"), ("王磊", "wanglei"), ("李静", "lijing"), ("刘洋", "liuyang"),
    ("陈晨", "chenchen"), ("杨帆", "yangfan"), ("赵敏", "zhaomin"), ("黄鹏", "huangpeng"),
    ("周婷", "zhouting"), ("吴昊", "wuhao"), ("徐静", "xujing"), ("孙浩", "sunhao"),
    ("胡军", "hujun"), ("朱琳", "zhulin"), ("高翔", "gaoxiang"), ("林峰", "linfeng"),
    ("何欢", "hehuan"), ("郭靖", "guojing"), ("马丽", "mali"), ("罗刚", "luogang"),
    ("梁爽", "liangshuang"), ("宋佳", "songjia"), ("谢飞", "xiefei"), ("韩雪", "hanxue"),
    ("唐亮", "tangliang"), ("冯倩", "fengqian"), ("于洋", "yuyang"), ("董超", "dongchao"),
    ("萧然", "xiaoran"), ("程实", "chengshi"), ("曹宇", "caoyu"), ("袁媛", "yuanyuan"),
    ("邓飞", "dengfei"), ("许晴", "xuqing"), ("傅强", "fuqiang"), ("沈洁", "shenjie"),
    ("曾伟", "zengwei"), ("彭博", "pengbo"), ("吕青", "lvqing"), ("苏敏", "sumin"),
    ("卢涛", "lutao"), ("蒋欣", "jiangxin"), ("蔡明", "caiming"), ("贾蓉", "jiarong"),
    ("丁一", "dingyi"), ("魏巍", "weiwei"), ("薛凯", "xuekai"), ("叶青", "yeqing"),
    ("阎峰", "yanfeng"), ("余波", "yubo"), ("潘越", "panyue"), ("杜鹃", "dujuan"),
    ("戴军", "daijun"), ("夏雨", "xiayu"), ("钟山", "zhongshan"), ("汪洋", "wangyang"),
    ("田甜", "tiantian"), ("任重", "renzhong"), ("姜华", "jianghua"), ("范勇", "fanyong"),
]
DEPARTMENTS = {
    "bank": ["信息科技部", "运维中心", "安全管理部", "数据中心"],
    "government": ["信息中心", "网络安全科", "办公室"],
    "enterprise": ["IT部", "信息安全部", "运维部"],
}

# code, name, kind, product line, licensable features, software versions (newest first), serial prefix
PRODUCT_MODELS = [
    ("SJJ1310", "服务器密码机 SJJ1310", ProductModel.Kind.APPLIANCE, "crypto",
     ["sm2", "sm3", "sm4", "rsa", "ha"], ["4.2.1", "4.1.3", "3.8.0"], "HSJ"),
    ("SVS1800", "签名验签服务器 SVS1800", ProductModel.Kind.APPLIANCE, "crypto",
     ["sm2", "rsa", "cert-chain", "ha"], ["2.6.0", "2.5.2", "2.3.1"], "HSV"),
    ("VPN3000", "VPN 安全网关 VPN3000", ProductModel.Kind.APPLIANCE, "network",
     ["ipsec", "ssl-vpn", "sm-ipsec", "ha"], ["6.1.2", "6.0.4", "5.9.9"], "HVP"),
    ("KMS-V5", "密钥管理系统 KMS V5", ProductModel.Kind.SOFTWARE, "key-management",
     ["multi-tenant", "hsm-cluster", "audit"], ["5.3.0", "5.2.1", "5.0.0"], "HKM"),
    ("TSS2000", "时间戳服务器 TSS2000", ProductModel.Kind.APPLIANCE, "crypto",
     ["rfc3161", "sm2", "gnss"], ["3.0.2", "2.9.1"], "HTS"),
]
MODEL_MIX = {
    "bank": ["SJJ1310", "SJJ1310", "SVS1800", "TSS2000", "KMS-V5", "VPN3000"],
    "government": ["VPN3000", "VPN3000", "SVS1800", "SJJ1310", "KMS-V5"],
    "enterprise": ["VPN3000", "SJJ1310", "SVS1800", "KMS-V5"],
}
# Factory configuration by model: (part name, part number, serial prefix)
FACTORY_PARTS = {
    "SJJ1310": [("密码卡", "SJK1926", "CK"), ("电源模块", "PSU-550", "PS"), ("电源模块", "PSU-550", "PS"),
                ("固态硬盘", "SSD-480", "SD")],
    "SVS1800": [("密码卡", "SJK1926", "CK"), ("电源模块", "PSU-550", "PS"), ("固态硬盘", "SSD-480", "SD")],
    "VPN3000": [("网络接口卡", "NIC-X710", "NI"), ("电源模块", "PSU-400", "PS"),
                ("固态硬盘", "SSD-240", "SD")],
    "TSS2000": [("北斗/GPS 授时模块", "GNSS-T2", "GN"), ("电源模块", "PSU-400", "PS"),
                ("固态硬盘", "SSD-240", "SD")],
    "KMS-V5": [],
}
CUSTOMER_ADDED_PARTS = [("内存条（客户自购）", "DDR4-32G"), ("第三方万兆网卡（客户自购）", "X520-DA2")]
# fmt: on


@dataclass
class InstalledBase:
    """What the ticket builders draw on."""

    customers: dict[str, Customer]
    sites: list[Site]
    contacts_by_customer: dict[int, list[Contact]]
    product_models: dict[str, ProductModel]
    units: list[Unit]
    customer_users: dict[str, User] = field(default_factory=dict)


def build_installed_base(*, organisation: Organisation, rng: random.Random, now: datetime) -> InstalledBase:
    """Customers, sites, contacts (two with portal logins), models, units, parts and contracts."""
    today = local_date(now)
    customers, sites_by_customer = _build_customers(organisation, rng)
    contacts, customer_users = _build_contacts(customers, sites_by_customer, rng)
    models = _build_product_models(organisation)
    units = _build_units(customers, sites_by_customer, models, rng, today)
    _build_parts(units, rng, today)
    _build_contracts(customers, units, today)
    return InstalledBase(
        customers=customers,
        sites=[site for sites in sites_by_customer.values() for site in sites],
        contacts_by_customer=contacts,
        product_models=models,
        units=units,
        customer_users=customer_users,
    )


def _tax_number(rng: random.Random, kind: str, city: str) -> str:
    """An 18-character unified social credit code shape (统一社会信用代码): 91/11 + region + 10."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    prefix = "11" if kind == "government" else "91"
    return prefix + REGION_CODES[city] + "".join(rng.choice(alphabet) for _ in range(10))


def _build_customers(
    organisation: Organisation, rng: random.Random
) -> tuple[dict[str, Customer], dict[int, list[Site]]]:
    customers: dict[str, Customer] = {}
    sites: dict[int, list[Site]] = {}
    for code, name, kind, parent, manager, _units in CUSTOMERS:
        site_rows = SITES[code]
        city = site_rows[0][1]
        area = AREA_CODES[city]
        customer = Customer.objects.create(
            code=code,
            name=name,
            parent=customers.get(parent),
            account_manager=organisation.user(manager),
            invoice_title=name,
            tax_number=_tax_number(rng, kind, city),
            invoice_address=f"{site_rows[0][2]} {area}-{rng.randint(6000, 8999)}{rng.randint(1000, 9999)}",
            invoice_bank=f"{rng.choice(INVOICE_BANKS)}{city}分行营业部 "
            + " ".join(str(rng.randint(1000, 9999)) for _ in range(4)),
            note={"bank": "银行", "government": "政府机关", "enterprise": "企业"}[kind],
        )
        customers[code] = customer
        sites[customer.pk] = [
            Site.objects.create(customer=customer, name=site_name, city=site_city, address=address)
            for site_name, site_city, address in site_rows
        ]
    return customers, sites


def _phone(rng: random.Random, city: str) -> str:
    """A landline written the many ways people write them (the desk's lookup must cope)."""
    area = AREA_CODES[city]
    digits = f"{rng.randint(6000, 8999)}{rng.randint(1000, 9999)}"
    if len(area) == 4:
        digits = digits[:7]
    head, tail = digits[:-4], digits[-4:]
    return rng.choice(
        [
            f"{area}-{head} {tail}",
            f"({area}) {digits}",
            f"{area} {head} {tail} 转 {rng.randint(100, 899)}",
            f"+86 {area[1:]} {head} {tail}",
            f"{area}{digits}",
            f"{area}-{digits} ext. {rng.randint(10, 99)}",
        ]
    )


def _mobile(rng: random.Random) -> str:
    number = f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(1000, 9999)}{rng.randint(1000, 9999)}"
    a, b, c = number[:3], number[3:7], number[7:]
    return rng.choice([f"{a} {b} {c}", number, f"+86 {a}-{b}-{c}", f"0086 {number}", f"{a}-{b}-{c}"])


def _mail_domain(customer: Customer) -> str:
    """Branches share their head office's mail domain (one organisation, one mail system)."""
    return f"{customer.parent.code if customer.parent_id else customer.code}.example"


def _build_contacts(
    customers: dict[str, Customer], sites: dict[int, list[Site]], rng: random.Random
) -> tuple[dict[int, list[Contact]], dict[str, User]]:
    people = list(PEOPLE)
    rng.shuffle(people)
    kinds = {row[0]: row[2] for row in CUSTOMERS}
    contacts: dict[int, list[Contact]] = {}
    for code, customer in customers.items():
        city = sites[customer.pk][0].city
        domain = _mail_domain(customer)
        count = 3 if customer.parent_id is None else 2
        rows = []
        for index in range(count):
            name, handle = people.pop()
            rows.append(
                Contact.objects.create(
                    customer=customer,
                    name=name,
                    department=rng.choice(DEPARTMENTS[kinds[code]]),
                    phone=_phone(rng, city),
                    mobile=_mobile(rng),
                    email=f"{handle}@{domain}",
                    receives_reports=index == 0,
                )
            )
        contacts[customer.pk] = rows
    users: dict[str, User] = {}
    names = {login.username: login.name for login in DEMO_LOGINS}
    for code, username, department, handle in CUSTOMER_USERS:
        customer = customers[code]
        domain = _mail_domain(customer)
        user = User(
            username=username,
            first_name=names[username],
            email=f"{handle}@{domain}",
            role=Role.CUSTOMER,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        contact = Contact.objects.create(
            customer=customer,
            name=names[username],
            department=department,
            phone=_phone(rng, sites[customer.pk][0].city),
            mobile=_mobile(rng),
            email=user.email,
            receives_reports=True,
            user=user,
        )
        contacts[customer.pk].insert(0, contact)
        users[username] = user
    return contacts, users


def _build_product_models(organisation: Organisation) -> dict[str, ProductModel]:
    models = {}
    for code, name, kind, line, features, _versions, _prefix in PRODUCT_MODELS:
        models[code] = ProductModel.objects.create(
            code=code,
            name=name,
            kind=kind,
            product_line=organisation.product_lines[line],
            hardware_warranty_months=36,
            software_warranty_months=12,
            features=features,
        )
    return models


def _build_units(
    customers: dict[str, Customer],
    sites: dict[int, list[Site]],
    models: dict[str, ProductModel],
    rng: random.Random,
    today: date,
) -> list[Unit]:
    """~200 units shipped over the last five and a half years; one in seven without acceptance."""
    versions = {row[0]: row[5] for row in PRODUCT_MODELS}
    prefixes = {row[0]: row[6] for row in PRODUCT_MODELS}
    serial_counter = {code: 0 for code in models}
    units = []
    for code, _name, kind, _parent, _manager, unit_count in CUSTOMERS:
        customer = customers[code]
        customer_sites = sites[customer.pk]
        for index in range(unit_count):
            model_code = rng.choice(MODEL_MIX[kind])
            model = models[model_code]
            shipped_on = today - timedelta(days=rng.randint(20, 2000))
            serial_counter[model_code] += 1
            accepted_on = None if rng.random() < 0.15 else shipped_on + timedelta(days=rng.randint(5, 45))
            if accepted_on is not None and accepted_on > today:
                accepted_on = None
            units.append(
                Unit(
                    serial=f"{prefixes[model_code]}{shipped_on:%y}{serial_counter[model_code]:05d}",
                    product_model=model,
                    customer=customer,
                    site=customer_sites[index % len(customer_sites)],
                    shipped_on=shipped_on,
                    accepted_on=accepted_on,
                    software_version=rng.choice(versions[model_code]),
                    licensed_features=sorted(rng.sample(model.features, k=max(1, len(model.features) - 1))),
                )
            )
    units = Unit.objects.bulk_create(units)
    replaced = next(u for u in units if u.customer.code == "yuzhou-bank" and u.product_model.has_hardware)
    replacement = replace_unit(
        old_unit=replaced,
        new_serial=f"{replaced.serial}R",
        on=max(replaced.shipped_on + timedelta(days=30), today - timedelta(days=200)),
        software_version=versions[replaced.product_model.code][0],
    )
    return [*units, replacement]


def _build_parts(units: list[Unit], rng: random.Random, today: date) -> None:
    """Factory parts for every hardware unit; some customer-added; some vendor replacements."""
    factory_parts = []
    for unit in units:
        for name, part_number, prefix in FACTORY_PARTS[unit.product_model.code]:
            factory_parts.append(
                UnitPart(
                    unit=unit,
                    name=name,
                    part_number=part_number,
                    serial=f"{prefix}-{unit.serial}-{len(factory_parts) % 100:02d}",
                    origin=UnitPart.Origin.FACTORY,
                    fitted_on=unit.shipped_on,
                )
            )
    factory_parts = UnitPart.objects.bulk_create(factory_parts)
    hardware_units = [u for u in units if u.product_model.has_hardware and u.is_active]
    for unit in rng.sample(hardware_units, k=12):
        name, part_number = rng.choice(CUSTOMER_ADDED_PARTS)
        add_customer_part(
            unit=unit,
            name=name,
            part_number=part_number,
            serial=f"CA{rng.randint(100000, 999999)}",
            on=min(today, unit.shipped_on + timedelta(days=rng.randint(60, 400))),
        )
    for old in rng.sample([p for p in factory_parts if p.unit.is_active], k=10):
        replace_part(
            part=old,
            new_serial=f"VR{rng.randint(100000, 999999)}",
            on=min(today - timedelta(days=1), old.fitted_on + timedelta(days=rng.randint(90, 700))),
        )


def _build_contracts(customers: dict[str, Customer], units: list[Unit], today: date) -> None:
    """One contract of every kind, and a premium one that buys a 2-hour on-site promise."""
    by_customer: dict[int, list[Unit]] = {}
    for unit in units:
        if unit.is_active:
            by_customer.setdefault(unit.customer_id, []).append(unit)
    rows = [
        # customer, kind, starts (days from today), length (days), hardware, software, note
        ("cqrcb", Contract.Kind.PREMIUM_SUPPORT, -300, 730, True, True, "总行重点保障：严重故障 2 小时到场"),
        ("cqrcb", Contract.Kind.INSPECTION_PLAN, -300, 730, True, True, "每季度巡检一次"),
        ("cqrcb", Contract.Kind.UPGRADE_SERVICE, -120, 365, False, True, "软件升级服务"),
        ("yuzhou-bank", Contract.Kind.EXTENDED_WARRANTY, -400, 1095, True, False, "硬件延保三年"),
        ("yuzhou-bank", Contract.Kind.UPGRADE_SERVICE, -30, 365, False, True, ""),
        ("shudu-bank", Contract.Kind.EXTENDED_WARRANTY, -200, 730, True, True, ""),
        ("shudu-bank", Contract.Kind.INSPECTION_PLAN, -200, 365, True, True, "半年巡检"),
        ("jinghua-bank", Contract.Kind.PREMIUM_SUPPORT, -90, 365, True, True, ""),
        ("cq-psb", Contract.Kind.INSPECTION_PLAN, -500, 1095, True, True, "每季度巡检一次"),
        ("sc-tax", Contract.Kind.UPGRADE_SERVICE, -250, 365, False, True, ""),
        ("changjiang-auto", Contract.Kind.EXTENDED_WARRANTY, -800, 365, True, False, "已到期，未续签"),
        ("xueyu-bank", Contract.Kind.EXTENDED_WARRANTY, -60, 730, True, True, ""),
    ]
    for index, (code, kind, start, length, hardware, software, note) in enumerate(rows, start=1):
        customer = customers[code]
        starts_on = today + timedelta(days=start)
        contract = Contract.objects.create(
            number=f"HT-{starts_on.year}-{index:04d}",
            customer=customer,
            kind=kind,
            starts_on=starts_on,
            ends_on=starts_on + timedelta(days=length - 1),
            covers_hardware=hardware,
            covers_software=software,
            note=note,
        )
        contract.units.set(by_customer.get(customer.pk, []))
        if kind == Contract.Kind.PREMIUM_SUPPORT and code == "cqrcb":
            _premium_policy(contract, starts_on)


def _premium_policy(contract: Contract, starts_on: date) -> None:
    """The premium contract's own on-site promises; they replace the vendor's for on-site clocks."""
    policy = ServicePolicy.objects.create(
        name=f"{contract.number} 重点保障 Premium support",
        effective_from=start_of_local_day(starts_on),
        contract=contract,
        note="严重故障本地工程师 2 小时到场",
    )
    for severity, coverage, minutes, warn in [
        ("severe", "covered", 120, 30),
        ("general", "covered", 720, 60),
        ("severe", "uncovered", 720, 60),
        ("general", "uncovered", 1440, 120),
    ]:
        CommitmentRule.objects.create(
            policy=policy,
            milestone="onsite_local",
            ticket_kind="fault",
            severity=severity,
            coverage=coverage,
            calendar="wall_clock",
            target_minutes=minutes,
            start_event="onsite_requested",
            meet_event="local_arrival",
            warn_before_minutes=warn,
        )
