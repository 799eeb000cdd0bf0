"""Demo data of the training part of PRM, built through its services (see core/demo/partners.py).

Two bilingual courses with their quizzes and certifications (both required by Gold), quiz
attempts of the demo partners' users with the awards they earned (one expiring soon), a
small content library with generated files (one deck for Gold only) and two announcements.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile

from allyance.partners.models import (
    Announcement,
    Certification,
    ContentItem,
    Course,
    QuizQuestion,
    Tier,
)
from allyance.partners.services import training as services

if TYPE_CHECKING:
    from allyance.core.demo.partners import PartnersDemo

COURSES = (
    {
        "title": "存储产品销售基础 Storage sales essentials",
        "summary": "面向合作伙伴销售的存储产品线入门。An introduction to the storage line for "
        "partner sales people.",
        "materials": (
            "1. 产品线 Product line: 入门级、中端和高端磁盘阵列 entry, midrange and high-end "
            "disk arrays.\n"
            "2. 目标客户 Who buys: 中型企业的IT部门 IT departments of mid-sized companies.\n"
            "3. 报价 Quoting: 总是按您的层级价格表报价 always quote from your tier's price "
            "list; 需要额外折扣时先报备商机 register the deal before asking for an extra "
            "discount."
        ),
        "pass_mark_percent": 75,
        "certification": ("Certified Storage Seller 存储销售认证", 24),
        "questions": (
            ("中端阵列适合哪类客户？Who is the midrange array for?",
             ["家庭用户 Home users", "中型企业 Mid-sized companies", "只给政府 Government only"], 1),
            ("报价应使用哪个价格表？Which price list do you quote from?",
             ["您层级的价格表 Your tier's price list", "任意价格表 Any list",
              "网上零售价 The web shop price"], 0),
            ("申请额外折扣之前要做什么？What comes before asking for an extra discount?",
             ["商机报备 Register the deal", "发货 Ship the order", "开发票 Send the invoice"], 0),
            ("高端阵列的主要卖点是？The main selling point of the high-end array?",
             ["最低价格 Lowest price", "高可用性 High availability", "颜色 Colour"], 1),
        ),
    },
    {
        "title": "Implementation and support 实施与支持",
        "summary": "Installing, handing over and supporting the product at the customer. "
        "在客户现场安装、交付与支持。",
        "materials": (
            "Before installation, check the site survey and the serial numbers on the order.\n"
            "安装前核对现场勘察和订单上的序列号。\n"
            "Open a warranty request in the portal with the serial number and purchase date.\n"
            "在门户中提交保修请求，附上序列号和购买日期。"
        ),
        "pass_mark_percent": 67,
        "certification": ("Certified Implementation Engineer 实施工程师认证", 12),
        "questions": (
            ("What do you check before installing? 安装前要核对什么？",
             ["The site survey and serial numbers 现场勘察和序列号", "Nothing 无需核对"], 0),
            ("Where do you open a warranty request? 在哪里提交保修请求？",
             ["By e-mail 通过邮件", "In the partner portal 在合作伙伴门户", "By fax 通过传真"], 1),
            ("What must a warranty request name? 保修请求必须写明什么？",
             ["Serial number and purchase date 序列号和购买日期", "The weather 天气"], 0),
        ),
    },
)  # fmt: skip


def _pdf(title: str) -> bytes:
    """A one-page PDF that says `title` (ASCII), small and valid enough for any reader."""
    text = title.encode("ascii", "ignore").decode().replace("(", "[").replace(")", "]")
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _courses(demo: PartnersDemo) -> list[tuple[Course, Certification]]:
    gold = Tier.objects.filter(name="Gold").first()
    built = []
    for spec in COURSES:
        course = Course(
            title=spec["title"],
            summary=spec["summary"],
            materials=spec["materials"],
            pass_mark_percent=spec["pass_mark_percent"],
        )
        questions = [
            QuizQuestion(text=text, choices=list(choices), correct_choice=correct)
            for text, choices, correct in spec["questions"]
        ]
        services.course_save(course=course, by=demo.admin, questions=questions)
        name, months = spec["certification"]
        certification = services.certification_save(
            certification=Certification(name=name, course=course, valid_months=months),
            by=demo.admin,
            required_by_tiers=[gold] if gold else [],
        )
        built.append((course, certification))
    return built


def _answers(course: Course, *, wrong: int = 0) -> dict[str, int]:
    """Answers to the quiz, all right except the first `wrong` ones."""
    answers = {}
    for index, question in enumerate(course.questions.order_by("position")):
        choice = question.correct_choice
        if index < wrong:
            choice = (choice + 1) % len(question.choices)
        answers[str(question.pk)] = choice
    return answers


def _awards(demo: PartnersDemo, built: list[tuple[Course, Certification]]) -> None:
    users = demo.users
    (sales, _sales_cert), (implementation, implementation_cert) = built
    # Passed today: the certification runs its full term.
    services.course_attempt_submit(course=sales, answers=_answers(sales), by=users["huadong.user"])
    services.course_attempt_submit(course=sales, answers=_answers(sales), by=users["jinqiao.admin"])
    # A first try that fell short, then a pass.
    services.course_attempt_submit(
        course=implementation, answers=_answers(implementation, wrong=2), by=users["huadong.admin"]
    )
    services.course_attempt_submit(
        course=implementation, answers=_answers(implementation), by=users["huadong.admin"]
    )
    services.course_attempt_submit(
        course=sales, answers=_answers(sales, wrong=2), by=users["pacific.user"]
    )
    # Certified a term ago less three weeks: expires soon, so the warning has work to do.
    long_ago = services.add_months(demo.today, -implementation_cert.valid_months)
    services.certification_award(
        certification=implementation_cert,
        holder=users["jinqiao.user"],
        on=long_ago + datetime.timedelta(days=21),
    )


def _content(demo: PartnersDemo) -> None:
    gold = Tier.objects.filter(name="Gold").first()
    items = (
        ("2025 存储产品路演 Storage roadshow deck (Gold)", ContentItem.Kind.SALES_DECK,
         "金牌合作伙伴专用的完整路演材料。The full roadshow deck for Gold partners.",
         "storage-roadshow-gold.pdf", _pdf("Storage roadshow 2025 - Gold partners only"),
         [gold] if gold else []),
        ("渠道价格表 Channel price sheet", ContentItem.Kind.PRICE_SHEET,
         "各层级的参考价格。Reference prices by tier.", "channel-price-sheet.csv",
         "SKU,产品 Product,Registered,Silver,Gold\nSA-100,入门阵列 Entry array,9800,9300,8900\n"
         "SA-300,中端阵列 Midrange array,46000,43700,41400\n".encode(),
         []),
        ("秋季促销活动包 Autumn campaign kit", ContentItem.Kind.CAMPAIGN_KIT,
         "邮件模板和社交媒体文案。E-mail templates and social posts.", "autumn-campaign-kit.txt",
         "主题 Subject: 为您的数据找一个更安全的家 A safer home for your data\n"
         "正文 Body: 预约免费存储评估。Book a free storage assessment.\n".encode(),
         []),
        ("中端阵列数据表 Midrange array datasheet", ContentItem.Kind.DATASHEET,
         "", "midrange-array-datasheet.pdf", _pdf("Midrange array SA-300 datasheet"), []),
    )  # fmt: skip
    for title, kind, description, file_name, data, tiers in items:
        services.content_item_save(
            item=ContentItem(
                title=title, kind=kind, description=description, file=ContentFile(data, file_name)
            ),
            by=demo.admin,
            tiers=tiers,
        )


def _announcements(demo: PartnersDemo) -> None:
    today = demo.today
    services.announcement_save(
        announcement=Announcement(
            title="新品上市：SA-300 中端阵列 New: the SA-300 midrange array",
            body="SA-300 现已上架，各层级价格已更新。The SA-300 is in the catalog; tier prices "
            "are updated.",
            publish_from=today - datetime.timedelta(days=3),
            publish_until=today + datetime.timedelta(days=27),
        ),
        by=demo.admin,
    )
    services.announcement_save(
        announcement=Announcement(
            title="Distributor summit 分销商峰会",
            body="Distributors: register for the summit in Hangzhou next month. "
            "分销商：请报名参加下月在杭州举行的峰会。",
            publish_from=today,
            partner_types=["distributor"],
        ),
        by=demo.admin,
    )


def build(demo: PartnersDemo) -> None:
    """The training part's records for the demo partners."""
    built = _courses(demo)
    _awards(demo, built)
    _content(demo)
    _announcements(demo)
