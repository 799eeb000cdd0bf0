"""Word lists of the demo: places, company names, people, positions and activity topics."""

from __future__ import annotations

from dataclasses import dataclass

from allyance.core.models import Organisation, Role
from allyance.customers.models import Contact, Industry, SizeBand

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
