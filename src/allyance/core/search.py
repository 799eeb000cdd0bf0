"""Search over records through one full-text index that works for Chinese, on both databases.

Each registered record has a `SearchEntry` whose document is a row of plain tokens:
every CJK character on its own, Latin words and digit runs as they are, e-mail
addresses and web domains cut at their punctuation, phone numbers as the digit
strings people type. A query becomes, per space-separated term, a *phrase* of the
same tokens (the last Latin/digit token a prefix), and the terms are ANDed:
`欧阳` → "欧 阳", `wang@huadong` → "wang huadong*". SQLite answers it with FTS5
MATCH, PostgreSQL with a stored `to_tsvector('simple', document) @@ tsquery` on a GIN
index. The match is a subquery of the caller's queryset, so the visibility gate and
any filters stay with the database.

Modules add their records with one call, usually in their `AppConfig.ready()`:
`search.register(Lead, document=lead_document)`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import reduce
from itertools import islice
from operator import or_
from urllib.parse import urlsplit

import phonenumbers
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import F, Lookup, Model, Q, QuerySet
from django.db.models.signals import post_delete, post_save, pre_delete
from django.db.utils import NotSupportedError

from allyance.core.models import SearchEntry
from allyance.core.normalise import phone_parsed

FTS_TABLE = "core_searchentry_fts"
BATCH_SIZE = 1000
MAX_QUERY_TERMS = 8
MAX_TOKEN_LENGTH = 100
SHORTEST_PREFIX = 2
SHORTEST_PHONE_PART = 4

# Scripts written without spaces between words: each character is a token.
_CJK = (
    "\u1100-\u11ff\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u31a0-\u31bf\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
_CJK_CHAR = re.compile(rf"[{_CJK}]")
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
_PHONE_QUERY = re.compile(r"\+?[\d\s\-().]*\d[\d\s\-().]*")


# --- Tokens ---------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Width- and case-folded text with accents off Latin letters (`Müller` → `muller`)."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    if text.isascii():
        return text
    kept, base = [], ""
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char):
            if base < "\u0370":
                continue
        else:
            base = char
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def _is_cjk(token: str) -> bool:
    return _CJK_CHAR.fullmatch(token) is not None


def tokens(text: str) -> list[str]:
    """The index tokens of `text`: `华东机械 Huadong-Group` → 华 东 机 械 huadong group."""
    return [t for t in _TOKEN.findall(_fold(text)) if len(t) <= MAX_TOKEN_LENGTH]


def phone_terms(value: str) -> list[str]:
    """Digit strings a user may type for a phone number, down to its last four digits.

    `+8621 6234 5678` gives 862162345678, 2162345678, 02162345678 and the endings
    of the national number (5678, 45678 …), so any run of four or more digits finds it.
    """
    value = (value or "").strip()
    if not value:
        return []
    digits = re.sub(r"\D", "", value)
    # Parsed once for cleaning and indexing alike: imports index millions.
    parsed = phone_parsed(value)
    if parsed is None:
        return [digits] if digits else []
    number = parsed[0]
    forms = {digits}
    for style in (phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.NATIONAL):
        forms.add(re.sub(r"\D", "", phonenumbers.format_number(number, style)))
    subscriber = str(number.national_number)
    forms.update(subscriber[-size:] for size in range(SHORTEST_PHONE_PART, len(subscriber) + 1))
    return sorted(forms)


def website_terms(url: str) -> str:
    """The host of a web address without `www.`: `https://www.huadong.cn/x` → `huadong.cn`."""
    url = (url or "").strip()
    if not url:
        return ""
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    return host.removeprefix("www.")


def document_text(parts: Iterable[str | None]) -> str:
    """The stored document: the tokens of every part, space-separated."""
    return " ".join(token for part in parts if part for token in tokens(str(part)))


# --- Queries --------------------------------------------------------------------------


@dataclass(frozen=True)
class Phrase:
    """Tokens that must stand next to each other in the document; the last may be a prefix."""

    tokens: tuple[str, ...]
    prefix: bool


def parse_query(text: str) -> list[Phrase]:
    """The phrases of a search box entry; an empty list when it holds nothing to search for.

    A query made only of digits and phone punctuation (`+86 138-1234 5678`) is one
    number; otherwise every space-separated term is one phrase.
    """
    text = _fold(text)[:200].strip()
    if _PHONE_QUERY.fullmatch(text):
        digits = re.sub(r"\D", "", text)
        return [Phrase((digits,), prefix=len(digits) >= SHORTEST_PREFIX)]
    phrases: list[Phrase] = []
    for term in text.split():
        found = tokens(term)
        if not found:
            continue
        last = found[-1]
        phrase = Phrase(tuple(found), prefix=len(last) >= SHORTEST_PREFIX and not _is_cjk(last))
        if phrase not in phrases:
            phrases.append(phrase)
    return phrases[:MAX_QUERY_TERMS]


def fts5_query(phrases: Iterable[Phrase]) -> str:
    """`"欧 阳" AND "huad"*` — tokens are letters and digits only, so no quoting is needed."""
    return " AND ".join(f'"{" ".join(p.tokens)}"' + (" *" if p.prefix else "") for p in phrases)


def tsquery(phrases: Iterable[Phrase]) -> str:
    """`'欧' <-> '阳' & 'huad':*` for PostgreSQL's `to_tsquery('simple', …)`."""

    def phrase_text(phrase: Phrase) -> str:
        quoted = [f"'{token}'" for token in phrase.tokens]
        if phrase.prefix:
            quoted[-1] += ":*"
        return " <-> ".join(quoted)

    return " & ".join(f"({phrase_text(p)})" for p in phrases)


class DocumentMatches(Lookup):
    """`SearchEntry` rows whose document matches the phrases (FTS5 MATCH or tsquery @@).

    A lookup, not a plain expression, so SQLite gets a bare `id IN (…)` it can drive
    from the full-text index rather than `(id IN (…)) = 1`.
    """

    lookup_name = "document_matches"
    prepare_rhs = False

    def __init__(self, phrases: list[Phrase]) -> None:
        super().__init__(F("id"), tuple(phrases))

    def as_sql(self, compiler, connection):
        raise NotSupportedError("Search needs SQLite (FTS5) or PostgreSQL.")

    def as_sqlite(self, compiler, connection):
        id_sql, params = compiler.compile(self.lhs)
        sql = f"{id_sql} IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)"
        return sql, (*params, fts5_query(self.rhs))

    def as_postgresql(self, compiler, connection):
        # `document_tsv`: to_tsvector('simple', document), a column only PostgreSQL has
        # (migration 0003), with the GIN index.
        table = compiler.quote_name(self.lhs.alias)
        sql = f"{table}.document_tsv @@ to_tsquery('simple'::regconfig, %s)"
        return sql, (tsquery(self.rhs),)


# --- The registry ---------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """How one model is searched: its document, and which other records feed into it."""

    model: type[Model]
    document: Callable[[Model], Iterable[str | None]]
    select_related: tuple[str, ...] = ()
    follows: dict[type[Model], str] = field(default_factory=dict)
    selector: Callable[..., QuerySet] | None = None
    group: str = ""


_registry: dict[type[Model], Registration] = {}


def register(
    model: type[Model],
    *,
    document: Callable[[Model], Iterable[str | None]],
    select_related: Iterable[str] = (),
    follows: dict[type[Model], str] | None = None,
    selector: Callable[..., QuerySet] | None = None,
    group: str = "",
) -> None:
    """Index `model` by `document(record)`, an iterable of texts (use `phone_terms` for phones).

    `follows={Account: "account"}` re-indexes a record when the related record's own
    document changes or it is deleted. With `selector` (the gate-scoped reader,
    `selector(user)`), the model takes part in the global search under `group`.
    """
    registration = Registration(
        model=model,
        document=document,
        select_related=tuple(select_related),
        follows=dict(follows or {}),
        selector=selector,
        group=group or model._meta.model_name,
    )
    _registry[model] = registration
    for sender in (model, *registration.follows):
        uid = f"search_{sender._meta.label_lower}"
        post_save.connect(_on_save, sender=sender, dispatch_uid=uid)
        pre_delete.connect(_on_pre_delete, sender=sender, dispatch_uid=uid)
        post_delete.connect(_on_delete, sender=sender, dispatch_uid=uid)


def registered_models() -> list[type[Model]]:
    return list(_registry)


def _content_type(model: type[Model]) -> ContentType:
    return ContentType.objects.get_for_model(model)


def _batches(values: Iterable, size: int = BATCH_SIZE) -> Iterator[list]:
    iterator = iter(values)
    while batch := list(islice(iterator, size)):
        yield batch


def _document(record: Model) -> str:
    return document_text(_registry[type(record)._meta.concrete_model].document(record))


def _write(model: type[Model], documents: dict[int, str]) -> None:
    """Insert or replace the entries: one statement run for many rows (SQLite and
    PostgreSQL both take `ON CONFLICT … DO UPDATE`), no model instances on the way."""
    if not documents:
        return
    content_type = _content_type(model).pk
    meta = SearchEntry._meta
    quote = connection.ops.quote_name
    columns = [quote(meta.get_field(name).column) for name in ("content_type", "object_id")]
    document = quote(meta.get_field("document").column)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns[0]}, {columns[1]}, {document}) "
        f"VALUES (%s, %s, %s) ON CONFLICT ({columns[0]}, {columns[1]}) "
        f"DO UPDATE SET {document} = excluded.{document}"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(content_type, pk, text) for pk, text in documents.items()])


def index_records(model: type[Model], pks: Iterable[int] | None = None) -> int:
    """(Re)build the search entries of `model`'s records `pks` (all when None); returns the count.

    For imports, demo data and bulk updates that bypass `save()`. Entries of pks that
    no longer exist are removed.
    """
    registration = _registry.get(model)
    if registration is None:
        raise ValueError(f"{model._meta.label} is not registered for search.")
    manager = model._default_manager
    if pks is None:
        pks = manager.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=BATCH_SIZE)
    count = 0
    for batch in _batches(pks):
        batch_records = manager.filter(pk__in=batch).order_by()
        if registration.select_related:
            batch_records = batch_records.select_related(*registration.select_related)
        records = list(batch_records)
        _write(model, {record.pk: _document(record) for record in records})
        missing = set(batch) - {record.pk for record in records}
        if missing:
            _remove(model, missing)
        count += len(records)
    return count


def index_instances(model: type[Model], records: Iterable[Model]) -> int:
    """Write the search entries of `records` as they are in memory, in batches, without
    reading them back: for bulk writers (imports) whose records and related records
    (a contact's account) are already loaded. Returns the count."""
    if model not in _registry:
        raise ValueError(f"{model._meta.label} is not registered for search.")
    count = 0
    for batch in _batches(records):
        _write(model, {record.pk: _document(record) for record in batch})
        count += len(batch)
    return count


def index_followers(model: type[Model], pks: list[int]) -> None:
    """Re-index the records whose documents include `model`'s records `pks` (the contacts
    of updated accounts), as saving each of them would."""
    for batch in _batches(pks, 500):
        for follower, found in _dependents(model, batch):
            index_records(follower, found)


def _remove(model: type[Model], pks: Iterable[int]) -> None:
    SearchEntry.objects.filter(content_type=_content_type(model), object_id__in=pks).delete()


def remove_stale_entries(model: type[Model]) -> int:
    """Delete the entries of `model` whose record is gone; returns how many."""
    stale = SearchEntry.objects.filter(content_type=_content_type(model)).exclude(
        object_id__in=model._default_manager.values("pk")
    )
    deleted, _by_model = stale.delete()
    return deleted


def _is_followed(sender: type[Model]) -> bool:
    return any(sender in registration.follows for registration in _registry.values())


def _dependents(sender: type[Model], pks: list[int]) -> Iterator[tuple[type[Model], list[int]]]:
    for registration in _registry.values():
        path = registration.follows.get(sender)
        if path:
            manager = registration.model._default_manager
            found = list(manager.filter(**{f"{path}__in": pks}).values_list("pk", flat=True))
            if found:
                yield registration.model, found


def _on_save(sender, instance, created, raw=False, **kwargs) -> None:
    if raw:  # fixtures: related rows may not be loaded yet; rebuild_search_index after loading
        return
    followed = not created and _is_followed(sender)
    changed = True
    if sender in _registry:
        before = None
        if followed:
            before = (
                SearchEntry.objects.filter(
                    content_type=_content_type(sender), object_id=instance.pk
                )
                .values_list("document", flat=True)
                .first()
            )
        document = _document(instance)
        _write(sender, {instance.pk: document})
        changed = before != document
    if followed and changed:
        for model, pks in _dependents(sender, [instance.pk]):
            index_records(model, pks)


def _on_pre_delete(sender, instance, **kwargs) -> None:
    # Collected now: after the delete, SET_NULL has already cut the dependents loose.
    instance._search_dependents = list(_dependents(sender, [instance.pk]))


def _on_delete(sender, instance, **kwargs) -> None:
    if sender in _registry:
        _remove(sender, [instance.pk])
    for model, pks in getattr(instance, "_search_dependents", []):
        index_records(model, pks)


# --- Searching ------------------------------------------------------------------------


SQLITE_HITS_AS_LIST = 5000


def search_queryset(queryset: QuerySet, query: str) -> QuerySet:
    """`queryset` (with its gate and filters) narrowed to the records matching `query`."""
    model = queryset.model._meta.concrete_model
    if model not in _registry:
        return _search_by_fields(queryset, query)
    phrases = parse_query(query)
    if not phrases:
        return queryset.none()
    entries = SearchEntry.objects.filter(DocumentMatches(phrases))
    content_type = _content_type(model).pk
    if connection.vendor == "sqlite":
        # `content_type + 0`: as a plain column SQLite walked the (content type, record)
        # index through every entry of the type (a million contacts) checking each against
        # the full-text hits; as an expression it starts from the hits (130 ms -> 18 ms).
        entries = entries.alias(type_of_entry=F("content_type_id") + 0).filter(
            type_of_entry=content_type
        )
        # Up to a few thousand hits go in as a list of ids: SQLite has no statistics to
        # know the hits are few, and drove the query from the visibility gate instead
        # (a rep's ~60,000 leads, each checked against the hits).
        ids = list(entries.values_list("object_id", flat=True)[: SQLITE_HITS_AS_LIST + 1])
        if len(ids) <= SQLITE_HITS_AS_LIST:
            return queryset.filter(pk__in=ids)
    else:
        entries = entries.filter(content_type=content_type)
    return queryset.filter(pk__in=entries.values("object_id"))


def _search_by_fields(queryset: QuerySet, query: str) -> QuerySet:
    """Models not yet in the index: every word must appear in one of their `search_fields`."""
    fields = getattr(queryset.model, "search_fields", ())
    if not fields:
        return queryset
    for term in query.split():
        queryset = queryset.filter(reduce(or_, (Q(**{f"{f}__icontains": term}) for f in fields)))
    return queryset


def global_search(user, query: str, *, limit: int = 20) -> list[dict]:
    """Records of every registered type with a selector, matching `query`, that `user` may see."""
    searched = [r for r in _registry.values() if r.selector is not None]
    matched = _types_with_matches(searched, query)
    groups = []
    for registration in searched:
        rows = []
        if registration.model in matched:
            rows = list(search_queryset(registration.selector(user), query)[:limit])
        groups.append(
            {
                "type": registration.group,
                "label": registration.model._meta.verbose_name_plural,
                "rows": rows,
            }
        )
    return groups


def _types_with_matches(registrations: list[Registration], query: str) -> set[type[Model]]:
    """The registered models with at least one index entry matching `query`: one query,
    so the search page asks the gate only of the record types that can have a hit
    (compiling a gated query for each of the ~20 types was most of a search's time)."""
    phrases = parse_query(query)
    if not phrases:
        return set()
    by_type = {_content_type(r.model).pk: r.model for r in registrations}
    # No `content_type IN (…)` here: SQLite would walk that index through every entry of
    # the types (1.7 million at scale large, 320 ms) instead of starting from the hits.
    found = SearchEntry.objects.filter(DocumentMatches(phrases)).values_list(
        "content_type", flat=True
    )
    return {by_type[pk] for pk in found.distinct() if pk in by_type}


# --- Customers ------------------------------------------------------------------------


def account_document(account: Model) -> list[str]:
    """Name, city, phones, e-mails and web domain of an account."""
    return [
        account.name,
        account.city,
        *phone_terms(account.phone),
        *phone_terms(account.phone_alt),
        account.email,
        account.email_alt,
        website_terms(account.website),
        account.tax_id,
    ]


def contact_document(contact: Model) -> list[str]:
    """A contact's name in both orders, account name, title, phones and e-mails."""
    account = contact.account
    return [
        contact.family_name,
        contact.given_name,
        contact.family_name,
        account.name if account is not None else "",
        contact.title,
        *phone_terms(contact.phone),
        *phone_terms(contact.mobile),
        contact.email,
        contact.email_alt,
    ]
