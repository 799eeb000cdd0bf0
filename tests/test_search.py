"""Search: Chinese names and companies, e-mails, phones in any format, kept in step, gated."""

import pytest
from django.core.management import call_command
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allyance.core.models import SearchEntry
from allyance.core.search import global_search, index_records, search_queryset
from allyance.core.services import record_delete
from allyance.customers.models import Contact
from allyance.customers.selectors import accounts_visible_to, contacts_visible_to
from allyance.customers.services import account_save, contact_save
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def names(queryset) -> set[str]:
    return {str(record) for record in queryset}


def contacts_found(user, query: str) -> set[str]:
    return names(search_queryset(contacts_visible_to(user), query))


def accounts_found(user, query: str) -> set[str]:
    return names(search_queryset(accounts_visible_to(user), query))


@pytest.fixture
def huadong(db):
    return AccountFactory(
        name="上海华东机械有限公司",
        city="上海",
        phone="+862162345678",
        email="info@huadong.cn",
        website="https://www.huadong-group.cn/about",
    )


@pytest.fixture
def people(huadong):
    ContactFactory(
        family_name="王",
        given_name="小明",
        account=huadong,
        title="采购经理",
        mobile="+8613812345678",
        email="wang.xiaoming@huadong.cn",
    )
    ContactFactory(family_name="欧阳", given_name="娜娜", email="ouyang@example.cn")
    ContactFactory(family_name="欧", given_name="小阳", email="ou@example.cn")
    ContactFactory(family_name="李", given_name="东华", email="li@example.cn")
    ContactFactory(family_name="Lovelace", given_name="Ada", email="ada@engines.co.uk")
    ContactFactory(family_name="Müller", given_name="Jürgen", email="jm@example.de")


def test_one_character_chinese_surname_finds_the_contact(admin_user, people):
    assert contacts_found(admin_user, "王") == {"王小明"}


def test_two_character_surname_is_a_phrase_not_two_loose_characters(admin_user, people):
    assert contacts_found(admin_user, "欧阳") == {"欧阳娜娜"}
    assert contacts_found(admin_user, "欧") == {"欧阳娜娜", "欧小阳"}


def test_full_chinese_name_in_either_order_finds_the_contact(admin_user, people):
    assert contacts_found(admin_user, "王小明") == {"王小明"}
    assert contacts_found(admin_user, "小明") == {"王小明"}


def test_company_fragment_finds_the_account_and_its_contacts(admin_user, people, huadong):
    assert accounts_found(admin_user, "华东") == {"上海华东机械有限公司"}
    assert contacts_found(admin_user, "华东") == {"王小明"}
    assert accounts_found(admin_user, "东华") == set()
    assert contacts_found(admin_user, "东华") == {"李东华"}


def test_several_terms_must_all_match(admin_user, people):
    assert contacts_found(admin_user, "华东 王") == {"王小明"}
    assert contacts_found(admin_user, "华东 欧阳") == set()


@pytest.mark.parametrize(
    "query",
    ["huadong.cn", "wang.xiaoming", "wang.xiaoming@huadong.cn", "xiaoming@hua", "WANG.XIAOMING"],
)
def test_email_fragment_finds_the_contact(admin_user, people, query):
    assert contacts_found(admin_user, query) == {"王小明"}


def test_unrelated_email_does_not_match(admin_user, people):
    assert contacts_found(admin_user, "xiaoming@huadong.com") == set()


@pytest.mark.parametrize(
    "query",
    [
        "138 1234 5678",
        "138-1234-5678",
        "+86 13812345678",
        "+86 138 1234 5678",
        "13812345678",
        "8613812345678",
        "(138) 1234-5678",
        "１３８１２３４５６７８",
        "5678",
        "345678",
        "1234 5678",
        "138 1234",
    ],
)
def test_mobile_number_in_any_format_finds_the_contact(admin_user, people, query):
    assert contacts_found(admin_user, query) == {"王小明"}


@pytest.mark.parametrize("query", ["021 6234 5678", "021-62345678", "+86 21 6234 5678", "62345678"])
def test_landline_in_any_format_finds_the_account(admin_user, huadong, query):
    assert accounts_found(admin_user, query) == {"上海华东机械有限公司"}


def test_other_number_does_not_match(admin_user, people):
    assert contacts_found(admin_user, "138 1234 9999") == set()


def test_website_domain_and_city_find_the_account(admin_user, huadong):
    assert accounts_found(admin_user, "huadong-group") == {"上海华东机械有限公司"}
    assert accounts_found(admin_user, "上海") == {"上海华东机械有限公司"}


@pytest.mark.parametrize("query", ["lov", "Lovelace", "ada lov", "Lovelace Ada", "ADA"])
def test_english_name_and_prefix_find_the_contact(admin_user, people, query):
    assert contacts_found(admin_user, query) == {"Ada Lovelace"}


def test_prefix_is_only_at_the_start_of_a_word(admin_user, people):
    assert contacts_found(admin_user, "ovelace") == set()


def test_accents_do_not_matter(admin_user, people):
    assert contacts_found(admin_user, "muller") == {"Jürgen Müller"}
    assert contacts_found(admin_user, "Jürg") == {"Jürgen Müller"}


@pytest.mark.parametrize("query", ["!!!", "@", "   -  "])
def test_query_without_words_finds_nothing(admin_user, people, query):
    assert contacts_found(admin_user, query) == set()


@pytest.mark.parametrize("query", ['"', "*", "AND", "NEAR(王", "'; --", "a:* & !b", "王 OR 李"])
def test_query_syntax_of_the_database_is_not_exposed(api, admin_user, people, query):
    response = api(admin_user).get("/api/v1/contacts/", {"q": query})
    assert response.status_code == 200


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.text(max_size=40))
def test_any_text_is_a_valid_query(admin_user, query):
    list(search_queryset(contacts_visible_to(admin_user), query))


def test_saving_a_contact_reindexes_it(admin_user, people):
    contact = Contact.objects.get(family_name="王")
    contact.family_name = "黄"
    contact.mobile = "139 0000 1111"
    contact_save(contact=contact, by=admin_user)
    assert contacts_found(admin_user, "王") == set()
    assert contacts_found(admin_user, "黄小明") == {"黄小明"}
    assert contacts_found(admin_user, "139-0000-1111") == {"黄小明"}
    assert contacts_found(admin_user, "13812345678") == set()


def test_renaming_an_account_reindexes_its_contacts(admin_user, people, huadong):
    huadong.name = "北京星辰科技"
    account_save(account=huadong, by=admin_user)
    assert contacts_found(admin_user, "华东") == set()
    assert contacts_found(admin_user, "星辰") == {"王小明"}


def test_deleting_a_contact_removes_it_from_the_index(admin_user, people):
    contact = Contact.objects.get(family_name="王")
    record_delete(instance=contact, by=admin_user)
    assert contacts_found(admin_user, "王") == set()
    assert not SearchEntry.objects.filter(object_id=contact.pk, document__contains="王").exists()


def test_deleting_an_account_removes_its_name_from_its_contacts(admin_user, people, huadong):
    record_delete(instance=huadong, by=admin_user)
    assert accounts_found(admin_user, "华东") == set()
    assert contacts_found(admin_user, "华东") == set()
    assert contacts_found(admin_user, "王") == {"王小明"}


def test_search_keeps_the_callers_filters(admin_user, people):
    only_ada = Contact.objects.filter(given_name="Ada")
    assert names(search_queryset(only_ada, "王")) == set()
    assert names(search_queryset(only_ada, "ada")) == {"Ada Lovelace"}


def test_partner_never_finds_other_partners_records(api, partner_a_user, partner_b_user):
    ours = ContactFactory(
        organisation=partner_a_user.organisation, family_name="王", given_name="甲"
    )
    ContactFactory(organisation=partner_b_user.organisation, family_name="王", given_name="乙")
    assert contacts_found(partner_a_user, "王") == {"王甲"}
    assert accounts_found(partner_a_user, "Account") == {str(ours.account)}
    groups = {g["type"]: names(g["rows"]) for g in global_search(partner_a_user, "王")}
    # Other record types (leads, deals …) are searched too; none of theirs may show.
    assert groups == {**dict.fromkeys(groups, set()), "contacts": {"王甲"}}
    body = api(partner_a_user).get("/api/v1/contacts/", {"q": "王乙"}).json()
    assert body["results"] == []


def test_api_q_searches_chinese_and_phones(api, rep):
    account = AccountFactory(owner=rep, name="华东物流")
    ContactFactory(owner=rep, account=account, family_name="欧阳", mobile="+8613912345678")
    ContactFactory(owner=rep, family_name="Smith")
    client = api(rep)
    by_name = client.get("/api/v1/contacts/", {"q": "欧阳"}).json()["results"]
    assert [c["family_name"] for c in by_name] == ["欧阳"]
    by_phone = client.get("/api/v1/contacts/", {"q": "139-1234-5678"}).json()["results"]
    assert [c["family_name"] for c in by_phone] == ["欧阳"]
    accounts = client.get("/api/v1/accounts/", {"q": "华东"}).json()["results"]
    assert [a["name"] for a in accounts] == ["华东物流"]


def test_contact_created_through_the_api_is_found(api, rep):
    response = api(rep).post(
        "/api/v1/contacts/",
        {"family_name": "欧阳", "given_name": "修", "mobile": "186 0000 2222"},
        format="json",
    )
    assert response.status_code == 201
    found = api(rep).get("/api/v1/contacts/", {"q": "186 0000 2222"}).json()["results"]
    assert [c["id"] for c in found] == [response.json()["id"]]


def test_list_page_and_global_search_page_use_the_index(client, admin_user, people):
    client.force_login(admin_user)
    listing = client.get("/contacts/", {"q": "欧阳"})
    assert listing.status_code == 200
    assert "欧阳娜娜" in listing.text
    assert "欧小阳" not in listing.text
    page = client.get("/search/", {"q": "华东"})
    assert page.status_code == 200
    assert "上海华东机械有限公司" in page.text
    assert "王小明" in page.text


def test_bulk_created_records_are_found_after_index_records(admin_user, huadong):
    created = Contact.objects.bulk_create(
        [
            Contact(family_name="司马", given_name="光", organisation=huadong.organisation),
            Contact(family_name="诸葛", given_name="亮", organisation=huadong.organisation),
        ]
    )
    assert contacts_found(admin_user, "诸葛") == set()
    assert index_records(Contact, [c.pk for c in created]) == 2
    assert contacts_found(admin_user, "诸葛") == {"诸葛亮"}
    assert contacts_found(admin_user, "司马光") == {"司马光"}


def test_rebuild_command_restores_a_lost_index(admin_user, people, huadong):
    SearchEntry.objects.all().delete()
    assert contacts_found(admin_user, "王") == set()
    call_command("rebuild_search_index", verbosity=0)
    assert contacts_found(admin_user, "王") == {"王小明"}
    assert accounts_found(admin_user, "华东") == {"上海华东机械有限公司"}


def test_search_runs_in_the_full_text_index(admin_user, people):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert names(search_queryset(contacts_visible_to(admin_user), "欧阳")) == {"欧阳娜娜"}
    sql = " ".join(query["sql"] for query in queries)
    if connection.vendor == "postgresql":
        assert "@@ to_tsquery" in sql
    else:
        assert "core_searchentry_fts MATCH" in sql
    assert "LIKE" not in sql.upper()


def test_saving_again_keeps_one_entry_per_record(admin_user, huadong):
    for city in ("杭州", "苏州"):
        huadong.city = city
        account_save(account=huadong, by=admin_user)
    entries = SearchEntry.objects.filter(object_id=huadong.pk, document__contains="州")
    assert entries.count() == 1
    assert accounts_found(admin_user, "苏州") == {"上海华东机械有限公司"}
    assert accounts_found(admin_user, "杭州") == set()


def test_global_search_asks_only_the_record_types_with_a_hit(admin_user, people):
    """One query finds which types match; the gated query runs only for those (the page
    compiled one gated query per record type before, most of a search's time)."""
    from django.test.utils import CaptureQueriesContext

    global_search(admin_user, "warm-up")  # content types are cached after the first search
    with CaptureQueriesContext(connection) as queries:
        groups = {g["type"]: names(g["rows"]) for g in global_search(admin_user, "欧阳")}
    assert groups == {**dict.fromkeys(groups, set()), "contacts": {"欧阳娜娜"}}
    assert len(groups) > 5  # every searchable type still has its group
    assert len(queries) <= 3, [q["sql"] for q in queries]
    with CaptureQueriesContext(connection) as queries:
        nothing = global_search(admin_user, "zzqxnotthere")
    assert all(g["rows"] == [] for g in nothing)
    assert len(queries) == 1


@pytest.mark.parametrize("as_list", [5000, 0])
def test_many_hits_find_the_same_records_as_few(admin_user, people, monkeypatch, as_list):
    """SQLite gets up to SQLITE_HITS_AS_LIST hits as a list of ids, more as a subquery."""
    from allyance.core import search

    monkeypatch.setattr(search, "SQLITE_HITS_AS_LIST", as_list)
    assert contacts_found(admin_user, "欧") == {"欧阳娜娜", "欧小阳"}
    assert contacts_found(admin_user, "example.cn") == {"欧阳娜娜", "欧小阳", "李东华"}
