"""The declarative source spec: which endpoints to call, how they chain, where records go.

A spec is a graph of resources. *List* resources page through an endpoint (the roots: what is
new), whole or — ``incremental`` — from the last version read, and ``conditional``ly (a 304 when
nothing changed); *lookup* resources fetch items by id, taking the ids from their parents'
records, in batches where the API allows (``ids=a,b,c``) and one by one where it does not;
*sublist* resources page through a list per parent item (an issue's comments), each with its own
cursor; *pages* resources follow a paged list embedded in a parent record (an album's tracks). A
resource with ``emit`` writes its records to that topic, ``shape``d as it says; the others only
feed their children.

    name: spotify
    client: {base_url: …, auth: {type: oauth2_client_credentials, …}}
    variables: {markets: [US, GB]}
    modes: {new-releases: [new_releases], full: [new_albums]}
    resources:
      new_releases:
        kind: list
        request: {path: /browse/new-releases, params: {country: "{market}"}}
        for_each: {market: markets}
        paginator: {type: offset, limit: 50}
        records: albums.items
      albums:
        kind: lookup
        from: [{resource: new_releases, select: id}]
        batch: {path: /albums, param: ids, max: 20, records: albums}
        single: {path: "/albums/{id}"}
        emit: albums
        dedupe: {remember_days: 30}
"""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tunestream.http.models import (
    JsonPath,
    NextUrlPaginatorConfig,
    PaginatorConfig,
    RestClientConfig,
)
from tunestream.http.query import Query, truthy
from tunestream.spec.requests import BatchRequest, Selector, SingleRequest, select_ids
from tunestream.spec.shape import Shape
from tunestream.spec.split import Split

__all__ = [
    "BatchRequest",
    "Dedupe",
    "Edge",
    "Incremental",
    "ListResource",
    "LookupResource",
    "PagesResource",
    "Request",
    "Resource",
    "SingleRequest",
    "SourceSpec",
    "Split",
    "SubListResource",
    "TopicResource",
    "select_ids",
]

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Request(_Model):
    """A request relative to the client's base URL; ``{name}`` fills in from ``for_each``."""

    path: Annotated[str, Field(min_length=1)]
    params: dict[str, str | int | bool] = Field(default_factory=dict)


class Dedupe(_Model):
    """Emit an item once across cycles: remember emitted ids this long. With ``version``
    (``updated_at``, say), once per version: a new version is written, the same one again is
    not — a lookup then fetches an item each time a parent names it. (An incremental list's
    version is its ``cursor_path``.)"""

    remember_days: Annotated[float, Field(gt=0)] = 30.0
    version: JsonPath | None = None


class Incremental(_Model):
    """Ask a list only for what changed since the last cycle (dlt's ``incremental``, Airbyte's
    ``DatetimeBasedCursor``), e.g. GitHub's ``since``::

        incremental: {cursor_path: updated_at, param: since, lag: 0}

    Each record carries its *version* at ``cursor_path`` (an ISO-8601 time, a number or a
    string, compared as such). When a list (or, for a sublist, one parent's list) has been read
    to its end, the highest version seen becomes its ``since``; the next read sends
    ``param=since - lag``. The value is source state, committed with the records, so a crash
    neither skips nor repeats. APIs that filter inclusively (``updated at or after``) answer the
    last items again: a record is emitted once per version (its id and version are
    remembered for ``dedupe.remember_days``), so an edit arrives as a new record and nothing
    doubles.
    """

    cursor_path: JsonPath
    param: Annotated[str, Field(min_length=1)]
    initial: str | None = None
    """Sent on the first read (none: the first read asks for everything)."""
    lag: Annotated[float, Field(ge=0)] = 0.0
    """Sent this much before the last version: seconds for times, units for numbers. For APIs
    whose versions can appear late (a clock skew, an eventually consistent index)."""


class Edge(_Model):
    """Where a resource's input comes from: the ids its parent's records hold — of the records
    for which ``when`` (a JMESPath condition, e.g. ``comments > `0` ``) holds, if given — and,
    with ``sample`` below 1, that share of them: the ids whose hash falls under it, the same ones
    in every run and process (an API whose limit cannot keep up with the volume)."""

    resource: Name
    select: Selector = "id"
    when: Query | None = None
    sample: Annotated[float, Field(gt=0, le=1)] = 1.0

    def takes(self, record: Any) -> bool:
        return self.when is None or truthy(self.when.search(record))

    def ids(self, record: Any) -> list[str]:
        """The ids this edge gives of ``record`` (one that ``takes``)."""
        found = select_ids(record, self.select)
        if self.sample >= 1:
            return found
        bound = int(self.sample * 2**64)
        return [i for i in found if int.from_bytes(_digest(i), "big") < bound]


def _digest(item: str) -> bytes:
    return hashlib.blake2b(item.encode(), digest_size=8).digest()


class _Emitting(_Model):
    emit: Name | None = None
    """The topic (a key of kafka.topics) the records go to; none: they only feed children."""
    schema_id: Annotated[str | None, Field(alias="schema")] = None
    """Names the JSON Schema of the records (sent as a header), e.g. ``spotify.album.v1``."""
    dedupe: Dedupe | None = None
    shape: Shape | None = None
    """How each record is filtered, keyed, timestamped and trimmed (``shape.py``)."""


class ListResource(_Emitting):
    """A paged list: a root of the graph, read from the start each cycle."""

    kind: Literal["list"]
    request: Request
    for_each: dict[str, Name] = Field(default_factory=dict)
    """Placeholder → variable holding a list: one paged list per value (e.g. per market)."""
    paginator: PaginatorConfig
    records: JsonPath | None = None
    key: JsonPath = "id"
    split: Split | None = None
    smaller_limits: list[Annotated[int, Field(ge=1)]] = Field(default_factory=list)
    """Page sizes to step down to, in order, when the API answers 400 to the page size."""
    fallback: Name | None = None
    """A list resource to read instead when the API forbids this one to the credentials."""
    new_for_days: Annotated[float, Field(gt=0)] | None = None
    """The list holds what is new over this many days (Spotify's ``tag:new``: 14): what a cycle
    finds new is its total x the interval ÷ that period (``produce --plan``)."""
    incremental: Incremental | None = None
    conditional: bool = False
    """Send ``If-None-Match`` / ``If-Modified-Since`` with what the first page carried last
    time (its ``ETag`` / ``Last-Modified``, kept as source state): a ``304`` means nothing
    changed, and costs no records (GitHub does not count it against its rate limit). For lists
    whose first page shows any change (newest first: events, releases)."""
    poll_interval_header: Annotated[str, Field(min_length=1)] | None = None
    """A response header giving the seconds to wait before reading the list again (GitHub's
    ``X-Poll-Interval``): a cycle that comes sooner skips it."""

    @model_validator(mode="after")
    def _emitting_lists_dedupe(self) -> ListResource:
        if self.emit and self.dedupe is None:
            raise ValueError("a list that emits needs dedupe: it is read from the start each cycle")
        return self

    @model_validator(mode="after")
    def _split_reads_everything(self) -> ListResource:
        if self.split and (self.incremental or self.conditional):
            raise ValueError("a split list is read whole: incremental and conditional do not apply")
        return self

    @model_validator(mode="after")
    def _placeholders_known(self) -> ListResource:
        used = set(_PLACEHOLDER.findall(self.request.path))
        for value in self.request.params.values():
            used |= set(_PLACEHOLDER.findall(str(value)))
        missing = used - set(self.for_each)
        if missing:
            raise ValueError(f"placeholders {sorted(missing)} are not bound by for_each")
        return self


class LookupResource(_Emitting):
    """Items fetched by id; ids come from the parents' records. Records are keyed by id."""

    kind: Literal["lookup"]
    from_: Annotated[list[Edge], Field(alias="from", min_length=1)]
    batch: BatchRequest | None = None
    single: SingleRequest | None = None

    @model_validator(mode="after")
    def _has_a_request(self) -> LookupResource:
        if self.batch is None and self.single is None:
            raise ValueError("a lookup needs a batch request, a single request, or both")
        return self


class SubListResource(_Emitting):
    """A paged list per parent item: an issue's comments. The ids its parents' records hold
    (``from``) fill ``{id}`` in the request — an id, or a whole URL the parent gives
    (``comments_url``) — and the other placeholders come from the item's context (``for_each``
    values such as ``{repo}``). Each parent's list is paged to its end, a page per unit; with
    ``incremental``, each parent keeps its own cursor.
    """

    kind: Literal["sublist"]
    from_: Annotated[list[Edge], Field(alias="from", min_length=1)]
    request: Request
    paginator: PaginatorConfig
    records: JsonPath | None = None
    key: JsonPath = "id"
    incremental: Incremental | None = None

    @model_validator(mode="after")
    def _id_in_request(self) -> SubListResource:
        texts = [self.request.path, *map(str, self.request.params.values())]
        if not any("{id}" in text for text in texts):
            raise ValueError("a sublist's request needs {id} in its path or a parameter")
        return self

    @model_validator(mode="after")
    def _emitting_sublists_dedupe(self) -> SubListResource:
        if self.emit and self.incremental and self.dedupe is None:
            raise ValueError("an incremental sublist that emits needs dedupe (versions repeat)")
        return self


class TopicResource(_Model):
    """A Kafka topic another source writes, read as a root: each cycle takes the records
    committed since the last (``read_committed``; at most ``max_records``, the rest the next
    cycle), and its children select their ids from the records' values. The position read to is
    committed in the transaction of the work it queued (``send_offsets_to_transaction``, the
    consumer group named after the source's transactional id): consume, fetch, produce, once."""

    kind: Literal["topic"]
    topic: Annotated[str, Field(min_length=1)]
    """A ``kafka.topics`` key (``tracks``: Spotify's tracks), else the topic's name."""
    max_records: Annotated[int, Field(ge=1)] = 10_000


class PagesResource(_Model):
    """A paged list inside each parent record (``embedded``), followed by its next URLs."""

    kind: Literal["pages"]
    from_: Annotated[Name, Field(alias="from")]
    embedded: JsonPath
    records: JsonPath = "items"
    paginator: NextUrlPaginatorConfig = NextUrlPaginatorConfig()


AnyResource = ListResource | LookupResource | SubListResource | PagesResource | TopicResource
Resource = Annotated[AnyResource, Field(discriminator="kind")]


class SourceSpec(_Model):
    """One API as tunestream reads it."""

    name: Name
    description: str = ""
    client: RestClientConfig
    variables: dict[str, list[str] | str] = Field(default_factory=dict)
    modes: Annotated[dict[str, list[Name]], Field(min_length=1)]
    """Mode name → the list resources it reads; the first mode is the default."""
    resources: Annotated[dict[Name, Resource], Field(min_length=1)]

    @model_validator(mode="after")
    def _graph_is_sound(self) -> SourceSpec:
        names = set(self.resources)
        for mode, roots in self.modes.items():
            for root in roots:
                if not isinstance(self.resources.get(root), ListResource | TopicResource):
                    raise ValueError(f"mode {mode!r}: {root!r} is not a list or topic resource")
        for name, resource in self.resources.items():
            parents = _parents(resource)
            for parent in parents:
                if parent not in names:
                    raise ValueError(f"resource {name!r}: unknown parent {parent!r}")
            if isinstance(resource, ListResource):
                for var in resource.for_each.values():
                    if not isinstance(self.variables.get(var), list):
                        raise ValueError(f"resource {name!r}: variable {var!r} is not a list")
                if resource.fallback and not isinstance(
                    self.resources.get(resource.fallback), ListResource
                ):
                    raise ValueError(f"resource {name!r}: fallback must be a list resource")
        _topological(self.resources)  # raises on a cycle
        return self

    def order(self) -> list[str]:
        """Resource names, parents before children."""
        return _topological(self.resources)

    def children(self, name: str) -> list[str]:
        return [n for n, r in self.resources.items() if name in _parents(r)]

    def parents(self, name: str) -> list[str]:
        return _parents(self.resources[name])

    def emits(self, name: str) -> str | None:
        """The topic (a ``kafka.topics`` key) resource ``name`` writes its records to, if any."""
        resource = self.resources[name]
        return None if isinstance(resource, PagesResource | TopicResource) else resource.emit


def _parents(resource: AnyResource) -> list[str]:
    if isinstance(resource, LookupResource | SubListResource):
        return [edge.resource for edge in resource.from_]
    if isinstance(resource, PagesResource):
        return [resource.from_]
    return []


def _topological(resources: dict[str, AnyResource]) -> list[str]:
    order: list[str] = []
    state: dict[str, int] = {}  # 1: visiting, 2: done

    def visit(name: str) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise ValueError(f"resources form a cycle through {name!r}")
        state[name] = 1
        for parent in _parents(resources[name]):
            visit(parent)
        state[name] = 2
        order.append(name)

    for name in resources:
        visit(name)
    return order
