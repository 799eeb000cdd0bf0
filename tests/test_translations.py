"""Both Chinese catalogues are complete and in step with the source code."""

import shutil
from datetime import UTC
from pathlib import Path

import polib
import pytest
from django.core.management import call_command

LOCALE_DIR = Path(__file__).resolve().parent.parent / "src" / "allyance" / "locale"
LANGUAGES = ["zh_Hans", "zh_Hant"]


def catalogue(root: Path, language: str) -> polib.POFile:
    return polib.pofile(str(root / language / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_has_no_untranslated_or_fuzzy_entries(language):
    po = catalogue(LOCALE_DIR, language)
    missing = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert not missing, f"{len(missing)} untranslated in {language}: {missing[:20]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {language}: {fuzzy[:20]}"


def test_catalogues_contain_every_string_in_the_source(tmp_path, settings, monkeypatch):
    """makemessages on the current source adds nothing that the committed catalogues lack.

    It runs on a copy of the source tree: makemessages writes into the `locale` folder
    beside the files it scans, and the committed catalogues must stay untouched.
    """
    source = tmp_path / "allyance"
    shutil.copytree(LOCALE_DIR.parent, source, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    settings.LOCALE_PATHS = [source / "locale"]
    monkeypatch.chdir(source)
    call_command("makemessages", locale=LANGUAGES, ignore_patterns=["locale/*"], verbosity=0)
    for language in LANGUAGES:
        # A msgid in a context of its own ("order" as a sort position) is its own entry.
        committed = {
            (e.msgctxt, e.msgid) for e in catalogue(LOCALE_DIR, language) if not e.obsolete
        }
        current = {
            (e.msgctxt, e.msgid) for e in catalogue(source / "locale", language) if not e.obsolete
        }
        new = sorted(current - committed, key=lambda entry: (entry[0] or "", entry[1]))
        assert not new, f"run makemessages and translate; {language} lacks: {new[:20]}"


def test_glossary_terms_are_used():
    """The SPEC glossary: account, contact, territory, quote, order, price list, payment received."""
    hans = {e.msgid: e.msgstr for e in catalogue(LOCALE_DIR, "zh_Hans") if not e.msgctxt}
    hant = {e.msgid: e.msgstr for e in catalogue(LOCALE_DIR, "zh_Hant") if not e.msgctxt}
    assert hans["Accounts"] == "客户" and hant["Accounts"] == "客戶"
    assert hans["Contacts"] == "联系人" and hant["Contacts"] == "聯絡人"
    assert hans["territory"] == "销售区域" and hant["territory"] == "銷售區域"
    assert hans["quote"] == "报价单" and hant["quote"] == "報價單"
    assert hans["order"] == "订单" and hant["order"] == "訂單"
    assert hans["price list"] == "价格表" and hant["price list"] == "價格表"
    assert hans["payment received"] == "回款" and hant["payment received"] == "回款"


def test_django_strings_our_catalogues_supply_are_translated():
    """Django 6.1's empty-choice label is not in Django's own Chinese catalogue yet."""
    from django.db.models.fields import BLANK_CHOICE_LABEL
    from django.utils import translation

    with translation.override("zh-hans"):
        assert str(BLANK_CHOICE_LABEL) == "- 请选择 -"
    with translation.override("zh-hant"):
        assert str(BLANK_CHOICE_LABEL) == "- 請選擇 -"


@pytest.mark.django_db
def test_dates_are_formatted_for_the_users_language(client):
    from datetime import datetime

    from allyance.customers.models import Account
    from tests.factories import AccountFactory, UserFactory

    user = UserFactory(language="zh-hans")
    account = AccountFactory(owner=user)
    Account.objects.filter(pk=account.pk).update(updated_at=datetime(2026, 3, 5, 9, 30, tzinfo=UTC))
    client.force_login(user)
    assert "2026年3月5日" in client.get("/accounts/").content.decode()
    user.language = "en"
    user.save()
    assert "March 5, 2026" in client.get("/accounts/").content.decode()
