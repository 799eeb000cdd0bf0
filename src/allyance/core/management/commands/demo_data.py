"""A coherent bilingual demo: the company, partners, a user per role, accounts and contacts.

Everything is drawn from `random.Random(seed)`, so one seed always gives the same
companies, people and history (dates are relative to today, passwords are random).
Records are written one by one through the services, inside one transaction, so
the audit trail, the search index and the normalised phones and e-mails are the
same as for records entered by hand.
"""

from __future__ import annotations

import random
import secrets
import time as clock
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allyance.activities.models import Activity
from allyance.activities.services import activity_save
from allyance.core import audit
from allyance.core.models import Organisation, Role, Tag, Team, Territory, User
from allyance.customers.models import Account, Contact, Industry, SizeBand, Source
from allyance.customers.services import account_save, contact_save

ACCOUNTS = 200
CONTACTS = 600
ACTIVITIES = 2000
MAIL_DOMAIN = "example.com"  # reserved for examples (RFC 2606): demo mail never reaches anyone


@dataclass(frozen=True)
class Place:
    """A city the demo's customers are in, with what makes its addresses and phones real."""

    country: str
    province: str
    city: str
    short: str  # the city as it starts a Chinese company name (苏州)
    latin: str  # the city in Latin letters (Suzhou)
    territory: str
    tz: str
    postcode: str  # '#' stands for a random digit
    landline: str  # 'N' stands for a digit 2–9
    mobile: str
    districts: tuple[str, ...]
    roads: tuple[str, ...]
    weight: int

    @property
    def chinese(self) -> bool:
        return self.country == "CN"


CN_MOBILE = ("13# #### ####", "150 #### ####", "158 #### ####", "186 #### ####", "177 #### ####")
PLACES = (
    Place("CN", "上海市", "上海市", "上海", "Shanghai", "上海", "Asia/Shanghai", "2000##",
          "021-N### ####", "", ("浦东新区", "徐汇区", "闵行区", "静安区", "嘉定区"),
          ("张江路", "世纪大道", "宜山路", "南京西路", "虹梅路"), 24),
    Place("CN", "江苏省", "南京市", "南京", "Nanjing", "江苏", "Asia/Shanghai", "2100##",
          "025-N### ####", "", ("玄武区", "建邺区", "江宁区"), ("中山路", "江东中路", "胜太路"), 7),
    Place("CN", "江苏省", "苏州市", "苏州", "Suzhou", "江苏", "Asia/Shanghai", "2150##",
          "0512-N### ####", "", ("工业园区", "吴中区", "相城区"), ("星湖街", "金鸡湖大道", "苏虹路"), 9),
    Place("CN", "江苏省", "无锡市", "无锡", "Wuxi", "江苏", "Asia/Shanghai", "2140##",
          "0510-N### ####", "", ("新吴区", "滨湖区"), ("长江路", "太湖大道"), 5),
    Place("CN", "浙江省", "杭州市", "杭州", "Hangzhou", "浙江", "Asia/Shanghai", "3100##",
          "0571-N### ####", "", ("西湖区", "滨江区", "余杭区"), ("文三路", "江南大道", "文一西路"), 10),
    Place("CN", "浙江省", "宁波市", "宁波", "Ningbo", "浙江", "Asia/Shanghai", "3150##",
          "0574-N### ####", "", ("鄞州区", "北仑区"), ("天童南路", "明州路"), 5),
    Place("CN", "广东省", "广州市", "广州", "Guangzhou", "广东", "Asia/Shanghai", "5100##",
          "020-N### ####", "", ("天河区", "黄埔区", "番禺区"), ("天河路", "科学大道", "珠江东路"), 8),
    Place("CN", "广东省", "深圳市", "深圳", "Shenzhen", "广东", "Asia/Shanghai", "5180##",
          "0755-N### ####", "", ("南山区", "福田区", "龙华区"), ("科技园南路", "深南大道", "民治大道"), 9),
    Place("CN", "广东省", "东莞市", "东莞", "Dongguan", "广东", "Asia/Shanghai", "5230##",
          "0769-N### ####", "", ("松山湖", "长安镇"), ("工业西路", "沙头南路"), 4),
    Place("CN", "北京市", "北京市", "北京", "Beijing", "北京", "Asia/Shanghai", "1000##",
          "010-N### ####", "", ("海淀区", "朝阳区", "亦庄"), ("中关村大街", "建国路", "科创十三街"), 7),
    Place("SG", "", "Singapore", "新加坡", "Singapore", "Asia Pacific", "Asia/Singapore", "0486##",
          "+65 6### ####", "+65 9### ####", ("",), ("Raffles Place", "Anson Road", "Science Park Drive"), 4),
    Place("HK", "", "Hong Kong", "香港", "Hong Kong", "Asia Pacific", "Asia/Hong_Kong", "",
          "+852 28## ####", "+852 9### ####", ("",), ("Queen's Road Central", "Nathan Road", "Science Park Avenue"), 3),
    Place("DE", "Bayern", "München", "慕尼黑", "Munich", "Europe", "Europe/Berlin", "803##",
          "+49 89 N### ####", "+49 151 #### ####", ("",), ("Leopoldstraße", "Arnulfstraße", "Landsberger Straße"), 2),
    Place("GB", "England", "London", "伦敦", "London", "Europe", "Europe/London", "EC2A #NE",
          "+44 20 7946 0###", "+44 7400 ######", ("",), ("Old Street", "Bishopsgate", "King's Road"), 2),
    Place("US", "California", "San Francisco", "旧金山", "San Francisco", "North America",
          "America/Los_Angeles", "941##", "+1 415 555 01##", "+1 415 555 01##", ("",),
          ("Market Street", "Mission Street", "Howard Street"), 1),
)  # fmt: skip
PLACE = {p.latin: p for p in PLACES}

TERRITORIES = {
    "中国": {
        "华东": {"上海": {}, "江苏": {}, "浙江": {}},
        "华南": {"广东": {}},
        "华北": {"北京": {}},
    },
    "International": {"Asia Pacific": {}, "Europe": {}, "North America": {}},
}

BRANDS = (
    ("恒达", "hengda"), ("华信", "huaxin"), ("鼎盛", "dingsheng"), ("瑞丰", "ruifeng"),
    ("宏远", "hongyuan"), ("凯越", "kaiyue"), ("天成", "tiancheng"), ("博远", "boyuan"),
    ("明德", "mingde"), ("安捷", "anjie"), ("远航", "yuanhang"), ("新锐", "xinrui"),
    ("卓越", "zhuoyue"), ("中和", "zhonghe"), ("汇通", "huitong"), ("盛世", "shengshi"),
    ("永安", "yongan"), ("德润", "derun"), ("嘉禾", "jiahe"), ("联创", "lianchuang"),
    ("启明", "qiming"), ("星辰", "xingchen"), ("云帆", "yunfan"), ("海纳", "haina"),
    ("蓝海", "lanhai"), ("普惠", "puhui"), ("东升", "dongsheng"), ("易达", "yida"),
    ("九州", "jiuzhou"), ("长风", "changfeng"), ("立信", "lixin"), ("亿通", "yitong"),
    ("同创", "tongchuang"), ("合众", "hezhong"), ("正源", "zhengyuan"), ("润泽", "runze"),
    ("锦程", "jincheng"), ("华邦", "huabang"), ("金石", "jinshi"), ("天润", "tianrun"),
    ("德信", "dexin"), ("鑫源", "xinyuan"), ("广和", "guanghe"), ("聚力", "juli"),
    ("精诚", "jingcheng"), ("安泰", "antai"), ("龙腾", "longteng"), ("青松", "qingsong"),
)  # fmt: skip
LATIN_BRANDS = (
    "Northwind", "Bluewater", "Silverline", "Redwood", "Summit", "Harbor", "Crescent",
    "Evergreen", "Ironbridge", "Lighthouse", "Meridian", "Orion", "Pinnacle", "Riverside",
    "Sterling", "Vertex", "Westbrook", "Atlas", "Beacon", "Cobalt", "Falcon", "Granite",
    "Horizon", "Keystone", "Lakeside", "Maple", "Nova", "Oakridge", "Polaris", "Quantum",
)  # fmt: skip
# industry: (weight, [(Chinese word, its pinyin, English word), ...])
INDUSTRIES = {
    Industry.MANUFACTURING: (20, [("精密机械", "jixie", "Precision Engineering"),
                                  ("汽车零部件", "qipei", "Automotive Components"),
                                  ("新材料", "cailiao", "Advanced Materials")]),
    Industry.TECHNOLOGY: (15, [("信息技术", "xinxi", "Systems"), ("软件", "ruanjian", "Software"),
                               ("智能科技", "zhineng", "Technologies")]),
    Industry.RETAIL: (10, [("商贸", "shangmao", "Trading"), ("连锁超市", "chaoshi", "Retail")]),
    Industry.FINANCE: (7, [("融资租赁", "zulin", "Leasing"), ("投资管理", "touzi", "Capital")]),
    Industry.HEALTHCARE: (8, [("医疗器械", "yiliao", "Medical"), ("生物医药", "yiyao", "Life Sciences")]),
    Industry.LOGISTICS: (8, [("物流", "wuliu", "Logistics"), ("供应链管理", "gongyinglian", "Supply Chain")]),
    Industry.SERVICES: (7, [("管理咨询", "zixun", "Consulting"), ("人力资源", "renli", "Staffing")]),
    Industry.EDUCATION: (4, [("教育科技", "jiaoyu", "Learning"), ("职业培训", "peixun", "Academy")]),
    Industry.TELECOM: (5, [("通信技术", "tongxin", "Communications"), ("网络科技", "wangluo", "Networks")]),
    Industry.ENERGY: (5, [("新能源", "nengyuan", "Energy"), ("电力设备", "dianli", "Power Systems")]),
    Industry.REAL_ESTATE: (3, [("置业", "zhiye", "Properties"), ("物业管理", "wuye", "Facility Services")]),
    Industry.OTHER: (2, [("文化传媒", "chuanmei", "Media")]),
}  # fmt: skip
AGENCIES = (
    ("大数据管理局", "dsj"),
    ("政务服务中心", "zwfw"),
    ("市场监督管理局", "scjg"),
    ("教育局", "jyj"),
)
SITES = (("工厂", "Plant"), ("研发中心", "Research Centre"), ("分公司", "Branch"),
         ("仓储中心", "Warehouse"))  # fmt: skip
LATIN_SUFFIX = {"SG": "Pte. Ltd.", "HK": "Limited", "DE": "GmbH", "GB": "Ltd", "US": "Inc."}
SIZE_WEIGHT = {SizeBand.MICRO: 1, SizeBand.SMALL: 2, SizeBand.MEDIUM: 3, SizeBand.LARGE: 5,
               SizeBand.ENTERPRISE: 7}  # fmt: skip

FAMILY_NAMES = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("高", "gao"),
    ("林", "lin"), ("罗", "luo"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"),
    ("唐", "tang"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"), ("彭", "peng"),
    ("曾", "zeng"), ("田", "tian"), ("董", "dong"), ("潘", "pan"), ("袁", "yuan"), ("蔡", "cai"),
    ("蒋", "jiang"), ("余", "yu"), ("欧阳", "ouyang"), ("司马", "sima"),
)  # fmt: skip
GIVEN_NAMES = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"),
    ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀英", "xiuying"),
    ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("晓明", "xiaoming"), ("建华", "jianhua"),
    ("海燕", "haiyan"), ("志强", "zhiqiang"), ("子涵", "zihan"), ("欣怡", "xinyi"),
    ("浩然", "haoran"), ("宇轩", "yuxuan"), ("思远", "siyuan"), ("雨桐", "yutong"),
    ("俊杰", "junjie"), ("佳怡", "jiayi"), ("文博", "wenbo"), ("诗涵", "shihan"), ("丹", "dan"),
    ("鹏", "peng"), ("慧", "hui"),
)  # fmt: skip
FIRST_NAMES = (
    "James", "Oliver", "William", "Daniel", "Michael", "David", "Thomas", "Lucas", "Henry",
    "Samuel", "Emma", "Olivia", "Sophia", "Charlotte", "Amelia", "Grace", "Hannah", "Chloe",
    "Laura", "Anna", "Felix", "Jonas", "Lena", "Priya", "Arjun", "Aisha", "Marco", "Sofia",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Walker", "Wright",
    "Thompson", "Müller", "Schmidt", "Weber", "Fischer", "Becker", "Tan", "Lim", "Lee", "Ng",
    "Wong", "Chan", "Nair", "Kumar", "Rossi", "Martin", "Anderson", "Clarke", "Hughes",
)  # fmt: skip

DR = Contact.DecisionRole
# (Chinese title, Chinese department, English title, English department, decision roles)
TOP_POSITIONS = (
    ("总经理", "总经理办公室", "General Manager", "Management", (DR.DECISION_MAKER,)),
    ("董事长", "董事会", "Chairman", "Board", (DR.DECISION_MAKER,)),
    ("副总经理", "总经理办公室", "Deputy General Manager", "Management", (DR.ECONOMIC_BUYER,)),
)
HEAD_POSITIONS = (
    ("采购经理", "采购部", "Head of Procurement", "Procurement", (DR.ECONOMIC_BUYER,)),
    ("信息技术总监", "信息技术部", "IT Director", "IT", (DR.TECHNICAL_BUYER, DR.DECISION_MAKER)),
    ("财务总监", "财务部", "Finance Director", "Finance", (DR.ECONOMIC_BUYER,)),
    ("销售总监", "销售部", "Sales Director", "Sales", (DR.INFLUENCER,)),
    ("运营总监", "运营部", "Operations Director", "Operations", (DR.INFLUENCER, DR.CHAMPION)),
    ("人力资源经理", "人力资源部", "HR Manager", "Human Resources", (DR.INFLUENCER,)),
)
STAFF_POSITIONS = {
    "采购部": (("采购专员", "Buyer", (DR.USER, DR.GATEKEEPER)),),
    "信息技术部": (("系统工程师", "Systems Engineer", (DR.TECHNICAL_BUYER, DR.USER, DR.CHAMPION)),
                   ("网络管理员", "Network Administrator", (DR.USER,))),
    "财务部": (("会计", "Accountant", (DR.USER,)),),
    "销售部": (("销售代表", "Account Executive", (DR.USER,)),),
    "运营部": (("项目经理", "Project Manager", (DR.CHAMPION, DR.USER)),),
    "人力资源部": (("培训主管", "Training Lead", (DR.USER,)),),
    "总经理办公室": (("总经理助理", "Executive Assistant", (DR.GATEKEEPER,)),),
    "董事会": (("董事会秘书", "Board Secretary", (DR.GATEKEEPER,)),),
}  # fmt: skip

TOPICS = (
    ("报价确认", "quote confirmation"), ("续约意向", "renewal"), ("需求调研", "requirements"),
    ("产品演示安排", "demo scheduling"), ("付款进度", "payment status"),
    ("技术问题回访", "support follow-up"), ("招标信息", "tender"), ("合同条款", "contract terms"),
    ("试用反馈", "trial feedback"), ("年度采购计划", "annual purchasing plan"),
)  # fmt: skip
TASKS = (
    ("准备报价单", "Prepare the quote"), ("发送技术方案", "Send the technical proposal"),
    ("起草合同", "Draft the contract"), ("搭建演示环境", "Set up the demo environment"),
    ("整理投标文件", "Compile the tender documents"), ("更新项目计划", "Update the project plan"),
    ("跟进回款", "Chase the payment"), ("安排用户培训", "Schedule user training"),
)  # fmt: skip
MEETINGS = (
    ("拜访客户", "Customer visit"),
    ("线上会议", "Video meeting"),
    ("现场演示", "On-site demo"),
)
SERVICE_TOPICS = (("故障处理回访", "incident follow-up"), ("满意度回访", "satisfaction check"),
                  ("安装验收", "installation sign-off"))  # fmt: skip
MARKETING_TOPICS = (("新品发布会邀请", "Invitation: product launch"),
                    ("行业研讨会邀请", "Invitation: industry seminar"),
                    ("季度产品简报", "Quarterly product newsletter"))  # fmt: skip
OUTCOMES = (
    ("客户有兴趣，约下周详谈", "Interested; talk again next week"),
    ("已发送报价，等待反馈", "Quote sent, waiting for feedback"),
    ("未接通，明天再拨", "No answer; call again tomorrow"),
    ("约定现场演示", "On-site demo agreed"),
    ("需客户内部审批", "Needs the customer's internal approval"),
    ("暂无预算，三个月后跟进", "No budget now; follow up in three months"),
    ("确认续约", "Renewal confirmed"),
)  # fmt: skip
NOTES = (
    ("客户关注交付周期和售后服务。", "The customer cares most about lead times and support."),
    ("对方希望月底前拿到正式报价。", "They want a formal quote before the end of the month."),
    ("讨论了与现有 ERP 系统的集成方案。", "We discussed integration with their current ERP."),
    ("采购流程要求三家比价。", "Their purchasing rules require three competing quotes."),
    ("客户对上一版方案提出了修改意见。", "The customer asked for changes to the last proposal."),
    ("决策人下周出差，会议改期。", "The decision maker travels next week; meeting moved."),
)  # fmt: skip

STAFF = (  # username, role, family name, given name, language
    ("manager", Role.SALES_MANAGER, "陈", "静", "zh-hans"),
    ("rep.zhang", Role.SALES_REP, "张", "伟", "zh-hans"),
    ("rep.emily", Role.SALES_REP, "Carter", "Emily", "en"),
    ("marketing", Role.MARKETING, "刘", "洋", "zh-hans"),
    ("service", Role.SERVICE_AGENT, "赵", "敏", "zh-hans"),
    ("channel", Role.CHANNEL_MANAGER, "王", "强", "zh-hans"),
)
PARTNERS = (  # key, name, type, tier, parent key, places of its customers, admin, user
    ("huadong", "华东科技分销有限公司", Organisation.PartnerType.DISTRIBUTOR, "Gold", None,
     ("Suzhou", "Nanjing", "Wuxi", "Hangzhou", "Ningbo"), ("孙", "丽"), ("周", "杰"), 16),
    ("jinqiao", "上海金桥信息系统有限公司", Organisation.PartnerType.RESELLER, "Silver", "huadong",
     ("Shanghai",), ("吴", "涛"), ("郑", "婷"), 14),
    ("pacific", "Pacific Bridge Consulting Pte. Ltd.", Organisation.PartnerType.AGENT,
     "Registered", None, ("Singapore", "Hong Kong"), ("Lim", "Daniel"), ("Nair", "Priya"), 10),
)  # fmt: skip
# Which staff member owns the direct customers of each territory.
TERRITORY_OWNER = {
    "上海": "rep.zhang", "江苏": "rep.zhang", "浙江": "rep.zhang", "广东": "rep.emily",
    "北京": "manager", "Asia Pacific": "rep.emily", "Europe": "rep.emily",
    "North America": "rep.emily",
}  # fmt: skip
DEMO_USERNAMES = [s[0] for s in STAFF] + [
    f"{p[0]}.{r}" for p in PARTNERS for r in ("admin", "user")
]
DEMO_USERNAMES.append("customer")


@dataclass
class DemoAccount:
    """An account being built, with what its contacts and activities need to stay coherent."""

    account: Account
    place: Place
    chinese: bool
    domain: str
    weight: int
    person: tuple[str, str, str] | None = None  # an individual's family, given name, e-mail
    contacts: list[Contact] = field(default_factory=list)
    latest: datetime | None = None


@dataclass
class Login:
    role: str
    username: str
    password: str
    name: str
    organisation: str


def ascii_slug(text: str) -> str:
    """`muller` from `Müller`: e-mail local parts and domains stay plain ASCII."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum() or ch in ".-")


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class DemoBuilder:
    """Builds the demo data set from one random generator; call `build()` inside a transaction."""

    def __init__(self, rng: random.Random, *, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.logins: list[Login] = []
        self.users: dict[str, User] = {}
        self.partners: dict[str, Organisation] = {}
        self.territories: dict[str, Territory] = {}
        self.accounts: list[DemoAccount] = []
        self.names: set[str] = set()
        self.domains: set[str] = set()
        self.emails: set[str] = set()
        self.activities: list[Activity] = []
        # The first brands name the groups; other companies never borrow a group's name.
        self.group_brands = [BRANDS[i * 7] for i in range(6)]
        self.latin_group_brands = [LATIN_BRANDS[i * 5] for i in range(3)]
        self.brands = [b for b in BRANDS if b not in self.group_brands]
        self.latin_brands = [b for b in LATIN_BRANDS if b not in self.latin_group_brands]

    # --- small helpers -------------------------------------------------------------------

    def digits(self, pattern: str) -> str:
        """Fill a pattern: '#' is any digit, 'N' a digit that may start a local number."""
        rng = self.rng
        return "".join(
            str(rng.randint(0, 9)) if ch == "#" else str(rng.randint(2, 9)) if ch == "N" else ch
            for ch in pattern
        )

    def phone(self, pattern: str) -> str:
        """A number from `pattern` that phonenumbers accepts as a real, assigned one."""
        while True:
            number = self.digits(pattern)
            parsed = phonenumbers.parse(number, settings.DEFAULT_PHONE_REGION)
            if phonenumbers.is_valid_number(parsed):
                return number

    def mobile(self, place: Place) -> str:
        return self.phone(place.mobile or self.rng.choice(CN_MOBILE))

    def email(self, local: str, domain: str) -> str:
        """A new address at `domain`; a number is added when the name is taken there."""
        local = ascii_slug(local)
        address = f"{local}@{domain}"
        while address in self.emails:
            address = f"{local}{self.rng.randint(2, 99)}@{domain}"
        self.emails.add(address)
        return address

    def person(self, chinese: bool) -> tuple[str, str, str]:
        """Family name, given name, and the e-mail local part for them."""
        if chinese:
            weights = range(len(FAMILY_NAMES), 0, -1)
            family, family_latin = self.rng.choices(FAMILY_NAMES, weights=weights)[0]
            given, given_latin = self.rng.choice(GIVEN_NAMES)
            return family, given, f"{given_latin}.{family_latin}"
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        return last, first, f"{first}.{last}"

    def moment(self, place: Place, days: int) -> datetime:
        """A working-hours time `days` from today (negative: in the past) in the place's zone."""
        zone = ZoneInfo(place.tz)
        day = (self.now.astimezone(zone) + timedelta(days=days)).date()
        while day.weekday() >= 5:
            day += timedelta(days=1 if days > 0 else -1)
        hour, minute = self.rng.randint(9, 17), self.rng.choice((0, 15, 30, 45))
        return datetime.combine(day, time(hour, minute), tzinfo=zone)

    def past_days(self) -> int:
        """Most history falls in the last 90 days, and more of it in the recent weeks."""
        if self.rng.random() < 0.05:
            return -self.rng.randint(91, 365)
        return -1 - int(self.rng.triangular(0, 89, 0))

    # --- people and structure ------------------------------------------------------------

    def user(self, username: str, role: str, family: str, given: str, *,
             organisation: Organisation, email: str, language: str = "zh-hans",
             time_zone: str = "Asia/Shanghai", **extra) -> User:  # fmt: skip
        """A login with a fresh random password, remembered for the table at the end."""
        password = secrets.token_urlsafe(9)
        user = User(
            username=username,
            email=email,
            first_name=given,
            last_name=family,
            role=role,
            organisation=organisation,
            language=language,
            time_zone=time_zone,
            **extra,
        )
        user.set_password(password)
        user.save()
        self.users[username] = user
        self.logins.append(
            Login(str(Role(role).label), username, password, str(user), organisation.name)
        )
        return user

    def build_people(self, admin: User) -> None:
        company = Organisation.company()
        for username, role, family, given, language in STAFF:
            self.user(username, role, family, given, organisation=company, language=language,
                      email=f"{username}@allyance.{MAIL_DOMAIN}")  # fmt: skip
        for key, name, kind, tier, parent, _places, admin_name, user_name, _n in PARTNERS:
            partner = Organisation(
                name=name,
                kind=Organisation.Kind.PARTNER,
                partner_type=kind,
                tier=tier,
                parent=self.partners.get(parent),
                channel_manager=self.users["channel"],
            )
            partner.save()
            self.partners[key] = partner
            english = admin_name[0].isascii()
            for suffix, role, (family, given) in (
                ("admin", Role.PARTNER_ADMIN, admin_name),
                ("user", Role.PARTNER_USER, user_name),
            ):
                self.user(
                    f"{key}.{suffix}", role, family, given, organisation=partner,
                    email=f"{ascii_slug(given)}.{ascii_slug(family)}@{key}.{MAIL_DOMAIN}"
                    if english else f"{suffix}@{key}.{MAIL_DOMAIN}",
                    language="en" if english else "zh-hans",
                    time_zone="Asia/Singapore" if english else "Asia/Shanghai",
                )  # fmt: skip

        team, _created = Team.objects.get_or_create(name="直销团队 Direct Sales")
        team.manager = self.users["manager"]
        team.save()
        team.members.add(self.users["rep.zhang"], self.users["rep.emily"])

        def grow(tree: dict, parent: Territory | None) -> None:
            for name, children in tree.items():
                node, _created = Territory.objects.get_or_create(name=name, parent=parent)
                self.territories[name] = node
                grow(children, node)

        grow(TERRITORIES, None)
        self.territories["华东"].members.add(self.users["rep.zhang"])
        self.territories["华南"].members.add(self.users["rep.emily"])
        self.territories["International"].members.add(self.users["rep.emily"])
        self.territories["华北"].members.add(self.users["manager"])

    # --- accounts ------------------------------------------------------------------------

    def industry(self) -> tuple[str, tuple[str, str, str]]:
        kinds = list(INDUSTRIES)
        kind = self.rng.choices(kinds, weights=[INDUSTRIES[k][0] for k in kinds])[0]
        return kind, self.rng.choice(INDUSTRIES[kind][1])

    def company_name(self, place: Place, chinese: bool) -> tuple[str, str, str]:
        """Name, industry and e-mail domain of a new, not yet used company."""
        while True:
            if chinese and self.rng.random() < 0.05:
                agency, latin = self.rng.choice(AGENCIES)
                name = f"{place.short}市{agency}".replace("市市", "市")
                industry, domain = Industry.GOVERNMENT, f"{latin}.{ascii_slug(place.latin)}"
            else:
                industry, (word, word_latin, word_en) = self.industry()
                if chinese:
                    brand, brand_latin = self.rng.choice(self.brands)
                    suffix = self.rng.choice(("有限公司", "有限公司", "股份有限公司"))
                    name = f"{place.short}{brand}{word}{suffix}"
                    domain = f"{brand_latin}-{word_latin}"
                else:
                    brand = self.rng.choice(self.latin_brands)
                    if place.chinese:  # a foreign-invested company in China
                        name = f"{brand} {word_en} ({place.latin}) Co., Ltd."
                    else:
                        name = f"{brand} {word_en} {LATIN_SUFFIX[place.country]}"
                    domain = ascii_slug(f"{brand}-{word_en.split()[0]}")
            if name not in self.names:
                self.names.add(name)
                domain = f"{domain}.{MAIL_DOMAIN}"
                if domain in self.domains:  # the same brand and trade in another city
                    domain = f"{ascii_slug(place.latin)}.{domain}"
                self.domains.add(domain)
                return name, industry, domain

    def address(self, place: Place) -> dict:
        number = self.rng.randint(1, 999)
        road = self.rng.choice(place.roads)
        if place.chinese:
            street = f"{self.rng.choice(place.districts)}{road}{number}号"
        else:
            street = f"{number} {road}"
        return {
            "country": place.country,
            "province": place.province,
            "city": place.city,
            "street": street,
            "postcode": self.digits(place.postcode),
        }

    def owner_for(self, place: Place) -> User:
        return self.users[TERRITORY_OWNER[place.territory]]

    def add_account(self, *, name: str, place: Place, chinese: bool, domain: str, owner: User,
                    organisation: Organisation, industry: str = "", size: str = "",
                    parent: Account | None = None, kind: str = Account.Kind.COMPANY,
                    person: tuple[str, str, str] | None = None, mailbox: str = "",
                    **extra) -> DemoAccount:  # fmt: skip
        rng = self.rng
        company = kind == Account.Kind.COMPANY
        if not mailbox:
            mailbox = rng.choice(("info", "contact", "sales", "office")) if company else person[2]
        account = Account(
            kind=kind,
            name=name,
            parent=parent,
            industry=industry,
            size_band=size,
            phone=self.phone(place.landline) if company else self.mobile(place),
            phone_alt=self.mobile(place) if company and rng.random() < 0.2 else "",
            email=self.email(mailbox, domain),
            website=f"https://www.{domain}" if company else "",
            source=rng.choice(Source.values),
            status=rng.choices(Account.Status.values, weights=(22, 72, 6))[0],
            territory=self.territories[place.territory],
            owner=owner,
            organisation=organisation,
            **self.address(place),
            **extra,
        )
        account_save(account=account, by=owner)
        demo = DemoAccount(account, place, chinese, domain, SIZE_WEIGHT.get(size, 1), person)
        self.accounts.append(demo)
        return demo

    def build_groups(self) -> None:
        """Groups with subsidiaries in other cities, and sites below some subsidiaries."""
        china = [p for p in PLACES if p.chinese]
        abroad = [p for p in PLACES if not p.chinese]
        group_cities = ["Shanghai", "Beijing", "Shenzhen", "Hangzhou", "Suzhou", "Guangzhou"]
        heads = [
            (PLACE[c], brand) for c, brand in zip(group_cities, self.group_brands, strict=True)
        ]
        heads += [(self.rng.choice(abroad), (b, "")) for b in self.latin_group_brands]
        for head, (brand, brand_latin) in heads:
            chinese = head.chinese
            owner = self.owner_for(head)
            if chinese:
                group_name, domain = f"{brand}集团有限公司", f"{brand_latin}-group.{MAIL_DOMAIN}"
            else:
                group_name = f"{brand} Holdings {LATIN_SUFFIX[head.country]}"
                domain = f"{ascii_slug(brand)}-group.{MAIL_DOMAIN}"
            self.names.add(group_name)
            self.domains.add(domain)
            industry, (word, _latin, word_en) = self.industry()
            group = self.add_account(
                name=group_name, place=head, chinese=chinese, domain=domain, owner=owner,
                organisation=owner.organisation, industry=industry, size=SizeBand.ENTERPRISE,
                description="集团总部" if chinese else "Group headquarters", mailbox="info",
            )  # fmt: skip
            for sub_index in range(self.rng.randint(2, 4)):
                place = self.rng.choice(china if chinese or sub_index == 0 else PLACES)
                if chinese:
                    name = f"{place.short}{brand}{word}有限公司"
                elif place.chinese:
                    name = f"{brand} {word_en} ({place.latin}) Co., Ltd."
                else:
                    name = f"{brand} {word_en} {LATIN_SUFFIX[place.country]}"
                if name in self.names:
                    continue
                self.names.add(name)
                subsidiary = self.add_account(
                    name=name, place=place, chinese=chinese, domain=domain, owner=owner,
                    organisation=owner.organisation, industry=industry,
                    size=self.rng.choice((SizeBand.LARGE, SizeBand.MEDIUM)),
                    parent=group.account, mailbox=ascii_slug(place.latin),
                )  # fmt: skip
                sites = self.rng.randint(1, 3) if sub_index == 0 else self.rng.randint(0, 2)
                for site_index in range(sites):
                    district = place.districts[site_index % len(place.districts)]
                    kind_zh, kind_en = self.rng.choice(SITES)
                    if chinese:
                        site_name = f"{brand}{word}{place.short}{district}{kind_zh}"
                    else:
                        site_name = f"{brand} {word_en} {place.latin} {kind_en}"
                    if site_name in self.names:
                        continue
                    self.names.add(site_name)
                    self.add_account(
                        name=site_name, place=place, chinese=chinese, domain=domain,
                        owner=owner, organisation=owner.organisation, industry=industry,
                        size=self.rng.choice((SizeBand.MEDIUM, SizeBand.SMALL)),
                        parent=subsidiary.account,
                        mailbox=ascii_slug(f"{place.latin}.{kind_en}.{site_index + 1}"),
                    )  # fmt: skip

    def build_standalone(self, count: int, *, places: list[Place], owners: list[User] | None,
                         organisation: Organisation) -> None:  # fmt: skip
        """Companies and a few private customers; `owners=None` means the territory's staff."""
        rng = self.rng
        for _index in range(count):
            place = rng.choices(places, weights=[p.weight for p in places])[0]
            owner = self.owner_for(place) if owners is None else rng.choice(owners)
            chinese = place.chinese and rng.random() < 0.8
            if rng.random() < 0.07:
                family, given, local = self.person(place.chinese)
                name = f"{family}{given}" if place.chinese else f"{given} {family}"
                if name in self.names:
                    continue
                self.names.add(name)
                self.add_account(
                    name=name, place=place, chinese=place.chinese, domain=f"mail.{MAIL_DOMAIN}",
                    owner=owner, organisation=organisation, kind=Account.Kind.INDIVIDUAL,
                    person=(family, given, local),
                )  # fmt: skip
                continue
            name, industry, domain = self.company_name(place, chinese)
            size = rng.choices(list(SIZE_WEIGHT), weights=(10, 30, 30, 20, 10))[0]
            self.add_account(
                name=name, place=place, chinese=chinese, domain=domain, owner=owner,
                organisation=organisation, industry=industry, size=size,
            )  # fmt: skip

    def build_accounts(self) -> None:
        self.build_groups()
        for key, _name, _type, _tier, _parent, cities, *_names, count in PARTNERS:
            partner = self.partners[key]
            people = [self.users[f"{key}.user"]] * 3 + [self.users[f"{key}.admin"]]
            self.build_standalone(count, places=[PLACE[c] for c in cities], owners=people,
                                  organisation=partner)  # fmt: skip
        company = Organisation.company()
        while len(self.accounts) < ACCOUNTS:
            self.build_standalone(ACCOUNTS - len(self.accounts), places=list(PLACES), owners=None,
                                  organisation=company)  # fmt: skip
        tags = [Tag.objects.get_or_create(name=n)[0] for n in ("重点客户", "VIP", "Trade show")]
        for demo in self.rng.sample(self.accounts, 30):
            with audit.acting_as(demo.account.owner):
                demo.account.tags.add(self.rng.choice(tags))

    # --- contacts ------------------------------------------------------------------------

    def build_contacts(self) -> None:
        rng = self.rng
        counts = {id(demo): 1 for demo in self.accounts}
        companies = [d for d in self.accounts if d.account.kind == Account.Kind.COMPANY]
        for demo in rng.choices(companies, weights=[d.weight for d in companies],
                                k=CONTACTS - len(self.accounts)):  # fmt: skip
            counts[id(demo)] += 1
        for demo in self.accounts:
            if demo.account.kind == Account.Kind.INDIVIDUAL:
                family, given, local = demo.person
                self.add_contact(demo, family, given, local, ("", "", "", "", ()), None)
                continue
            heads: list[tuple[Contact, tuple]] = []
            top = None
            for index in range(counts[id(demo)]):
                chinese_name = rng.random() < (0.9 if demo.chinese else
                                               0.6 if demo.place.chinese else
                                               0.4 if demo.place.territory == "Asia Pacific" else 0.1)  # fmt: skip
                family, given, local = self.person(chinese_name)
                open_heads = [h for h in HEAD_POSITIONS if h[1] not in {x[1][1] for x in heads}]
                if index == 0:
                    position, boss = rng.choice(TOP_POSITIONS), None
                elif open_heads and (index <= 3 or rng.random() < 0.4):
                    position, boss = rng.choice(open_heads), top
                else:
                    boss, head = rng.choice(heads) if heads else (top, TOP_POSITIONS[0])
                    title_zh, title_en, roles = rng.choice(STAFF_POSITIONS[head[1]])
                    position = (title_zh, head[1], title_en, head[3], roles)
                contact = self.add_contact(demo, family, given, local, position, boss)
                if index == 0:
                    top = contact
                elif boss is top:
                    heads.append((contact, position))

    def add_contact(self, demo: DemoAccount, family: str, given: str, local: str,
                    position: tuple, boss: Contact | None) -> Contact:  # fmt: skip
        rng = self.rng
        title_zh, department_zh, title_en, department_en, roles = position
        individual = demo.account.kind == Account.Kind.INDIVIDUAL
        contact = Contact(
            family_name=family,
            given_name=given,
            title=title_zh if demo.chinese else title_en,
            department=department_zh if demo.chinese else department_en,
            decision_role=rng.choice(roles) if roles else "",
            reports_to=boss,
            account=demo.account,
            mobile=demo.account.phone if individual else self.mobile(demo.place),
            phone="" if individual or rng.random() < 0.5 else self.phone(demo.place.landline),
            email=demo.account.email
            if individual
            else self.email(local, demo.domain)
            if rng.random() < 0.92
            else "",
            status=rng.choices(Contact.Status.values, weights=(94, 4, 2))[0],
            owner=demo.account.owner,
            organisation=demo.account.organisation,
        )
        contact_save(contact=contact, by=demo.account.owner)
        demo.contacts.append(contact)
        return contact

    # --- activities ----------------------------------------------------------------------

    def add_activity(self, demo: DemoAccount, owner: User, kind: str, days: int, *,
                     subject: tuple[str, str], status: str | None = None) -> None:  # fmt: skip
        rng = self.rng
        at = self.moment(demo.place, days)
        past = at < self.now
        reachable = [c for c in demo.contacts if c.status == Contact.Status.ACTIVE]
        activity = Activity(
            kind=kind,
            subject=subject[0] if demo.chinese else subject[1],
            account=demo.account,
            contact=rng.choice(reachable) if reachable and rng.random() < 0.85 else None,
            owner=owner,
            organisation=owner.organisation if owner.is_partner else demo.account.organisation,
            priority=rng.choices(Activity.Priority.values, weights=(15, 65, 20))[0]
            if kind == Activity.Kind.TASK
            else Activity.Priority.NORMAL,
            status=status or (Activity.Status.DONE if past else Activity.Status.PLANNED),
        )
        if kind in (Activity.Kind.CALL, Activity.Kind.MEETING):
            minutes = rng.randint(5, 25) if kind == Activity.Kind.CALL else rng.choice((30, 60, 90))
            activity.starts_at, activity.ends_at = at, at + timedelta(minutes=minutes)
        elif kind == Activity.Kind.EMAIL:
            activity.starts_at = at
        elif kind == Activity.Kind.TASK:
            activity.due_at = at
        if kind != Activity.Kind.TASK or rng.random() < 0.3:
            note = rng.choice(NOTES)
            activity.body = note[0] if demo.chinese else note[1]
        if activity.status == Activity.Status.DONE:
            activity.completed_at = activity.ends_at or at
            if kind in (Activity.Kind.CALL, Activity.Kind.MEETING):
                outcome = rng.choice(OUTCOMES)
                activity.outcome = outcome[0] if demo.chinese else outcome[1]
        activity_save(activity=activity, by=owner)
        # Planned work was entered some days before it was due; logged work when it happened.
        if past and kind in (Activity.Kind.CALL, Activity.Kind.EMAIL, Activity.Kind.NOTE):
            activity.created_at = at
        else:
            activity.created_at = min(at, self.now) - timedelta(days=rng.randint(1, 10))
        activity.updated_at = min(activity.completed_at or activity.created_at, self.now)
        if past and (demo.latest is None or at > demo.latest):
            demo.latest = at
        self.activities.append(activity)

    def build_activities(self) -> None:
        rng = self.rng
        kinds = list(Activity.Kind.values)
        own = {}
        for demo in self.accounts:
            own.setdefault(demo.account.owner.username, []).append(demo)
        # Upcoming and overdue work for every salesperson and partner user first.
        for username, accounts in own.items():
            upcoming, overdue = (12, 4) if username.startswith("rep.") else (6, 2)
            for _index in range(upcoming):
                kind = rng.choices(kinds, weights=(20, 25, 55, 0, 0))[0]
                words = rng.choice(TASKS) if kind == Activity.Kind.TASK else rng.choice(TOPICS)
                if kind != Activity.Kind.TASK:
                    words = self.subject(kind, words)
                self.add_activity(rng.choice(accounts), self.users[username], kind,
                                  rng.randint(1, 21), subject=words)  # fmt: skip
            for _index in range(overdue):
                self.add_activity(rng.choice(accounts), self.users[username], Activity.Kind.TASK,
                                  -rng.randint(1, 10), subject=rng.choice(TASKS),
                                  status=Activity.Status.PLANNED)  # fmt: skip
        direct = [d for d in self.accounts if d.account.organisation.is_company]
        for _index in range(90):  # service follow-ups and marketing mailings
            demo = rng.choice(direct)
            topic = rng.choice(SERVICE_TOPICS)
            self.add_activity(demo, self.users["service"], Activity.Kind.CALL, self.past_days(),
                              subject=self.subject(Activity.Kind.CALL, topic))  # fmt: skip
        for _index in range(60):
            self.add_activity(rng.choice(direct), self.users["marketing"], Activity.Kind.EMAIL,
                              self.past_days(), subject=rng.choice(MARKETING_TOPICS))  # fmt: skip
        weights = [d.weight + len(d.contacts) for d in self.accounts]
        while len(self.activities) < ACTIVITIES:
            demo = rng.choices(self.accounts, weights=weights)[0]
            kind = rng.choices(kinds, weights=(35, 15, 15, 10, 25))[0]
            owner = demo.account.owner
            if (
                owner.username == "rep.zhang"
                and kind == Activity.Kind.MEETING
                and rng.random() < 0.2
            ):
                owner = self.users["manager"]  # the manager joins some key meetings
            if kind == Activity.Kind.TASK:
                words = rng.choice(TASKS)
            else:
                words = self.subject(kind, rng.choice(TOPICS))
            status = None
            if kind in (Activity.Kind.MEETING, Activity.Kind.TASK) and rng.random() < 0.08:
                status = Activity.Status.CANCELLED
            self.add_activity(demo, owner, kind, self.past_days(), subject=words, status=status)

    def subject(self, kind: str, topic: tuple[str, str]) -> tuple[str, str]:
        zh, en = topic
        if kind == Activity.Kind.MEETING:
            how = self.rng.choice(MEETINGS)
            return f"{how[0]}：{zh}", f"{how[1]}: {en}"
        prefix = {
            "call": ("电话沟通", "Call"),
            "email": ("邮件", "E-mail"),
            "note": ("备注", "Note"),
        }
        return f"{prefix[kind][0]}：{zh}", f"{prefix[kind][1]}: {en}"

    # --- history and the portal user ----------------------------------------------------

    def backdate(self) -> None:
        """Give the records the history they pretend to have.

        `created_at` is set on insert, so the dates are corrected afterwards in a few
        UPDATEs of the timestamps only; the audit trail keeps the real load time.
        """
        rng = self.rng
        contacts = []
        for demo in self.accounts:
            created = self.now - timedelta(days=rng.randint(430, 1500), hours=rng.randint(0, 23))
            demo.account.created_at = created
            demo.account.updated_at = max(created, demo.latest or created)
            for contact in demo.contacts:
                contact.created_at = created + timedelta(days=rng.randint(0, 60))
                contact.updated_at = contact.created_at + timedelta(days=rng.randint(0, 60))
                contacts.append(contact)
        stamps = ["created_at", "updated_at"]
        Account.objects.bulk_update([d.account for d in self.accounts], stamps, batch_size=500)
        Contact.objects.bulk_update(contacts, stamps, batch_size=500)
        Activity.objects.bulk_update(self.activities, stamps, batch_size=500)

    def build_portal_user(self) -> None:
        """The customer portal login belongs to the top contact of one direct customer."""
        demo = next(
            d
            for d in self.accounts
            if d.chinese
            and d.account.organisation.is_company
            and d.account.parent_id is None
            and d.account.kind == Account.Kind.COMPANY
            and len(d.contacts) >= 3
        )
        person = demo.contacts[0]
        self.user(
            "customer", Role.CUSTOMER, person.family_name, person.given_name,
            organisation=Organisation.company(), customer_account=demo.account,
            email=person.email or f"customer@{demo.domain}",
        )  # fmt: skip
        self.logins[-1].organisation = demo.account.name

    def build(self, admin: User) -> None:
        with audit.acting_as(admin):
            self.build_people(admin)
        self.build_accounts()
        self.build_contacts()
        self.build_activities()
        self.backdate()
        with audit.acting_as(admin):
            self.build_portal_user()


class Command(BaseCommand):
    help = "Load the bilingual demo data set (once: it does nothing when the demo is there)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--seed", type=int, default=2025, help="Seed of the generator (same seed, same data)."
        )

    def handle(self, *args, seed: int, **options) -> None:
        if User.objects.filter(username__in=DEMO_USERNAMES).exists():
            self.stdout.write(_("The demo data is loaded already; nothing to do."))
            return
        if Account.objects.exists():
            self.stdout.write(
                _("This instance holds accounts already; demo data is only loaded into a new one.")
            )
            return
        started = clock.monotonic()
        builder = DemoBuilder(random.Random(seed), now=timezone.now())
        with transaction.atomic():
            admin, admin_password = self.admin()
            builder.build(admin)
        builder.logins.insert(
            0,
            Login(
                str(Role.ADMIN.label),
                admin.username,
                admin_password or _("(as set before)"),
                str(admin),
                admin.organisation.name if admin.organisation_id else "",
            ),
        )
        self.write_logins(builder.logins)
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Demo data loaded in %(seconds).1f s: %(accounts)d accounts, "
                    "%(contacts)d contacts, %(activities)d activities."
                )
                % {
                    "seconds": clock.monotonic() - started,
                    "accounts": len(builder.accounts),
                    "contacts": sum(len(d.contacts) for d in builder.accounts),
                    "activities": len(builder.activities),
                }
            )
        )

    def admin(self) -> tuple[User, str]:
        """The instance's administrator; created (with a new password) when there is none."""
        admin = User.objects.filter(is_superuser=True).order_by("pk").first()
        if admin is not None:
            return admin, ""
        password = secrets.token_urlsafe(12)
        admin = User.objects.create_superuser(
            username="admin",
            email=f"admin@allyance.{MAIL_DOMAIN}",
            password=password,
            organisation=Organisation.company(),
            role=Role.ADMIN,
            first_name="Admin",
        )
        return admin, password

    def write_logins(self, logins: list[Login]) -> None:
        header = Login(_("Role"), _("Username"), _("Password"), _("Name"), _("Organisation"))
        rows = [header, *logins]
        columns = list(vars(header))
        widths = {c: max(display_width(getattr(row, c)) for row in rows) for c in columns}

        def line(row: Login) -> str:
            cells = (getattr(row, c) for c in columns)
            return "  ".join(
                cell + " " * (widths[c] - display_width(cell))
                for c, cell in zip(columns, cells, strict=True)
            ).rstrip()

        self.stdout.write("")
        self.stdout.write(_("Demo logins:"))
        self.stdout.write(line(header))
        self.stdout.write("  ".join("-" * widths[c] for c in columns))
        for login in logins:
            self.stdout.write(line(login))
        self.stdout.write("")
