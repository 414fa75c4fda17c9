"""The rdflib engine: rdflib's SPARQL engine over an in-memory Dataset, the reference
implementation; and rdflib's SPARQL parser, imported when first needed."""

from __future__ import annotations

import copy
import functools
from collections import OrderedDict

import rdflib.graph
from rdflib import Dataset, URIRef, Variable

from .engine import NO_DATASET, READ_ONLY, Answer, Engine, cap, first_line
from .errors import QueryFailed, QueryRefused, QuerySyntaxError
from .guard import PARSER_LOCK, check_query


@functools.cache
def _rdflib_sparql():
    """rdflib's SPARQL machinery, imported when first needed (by the rdflib engine, or to
    tell an update from a syntax error): a server process that only passes queries to its
    workers does not pay for pyparsing's grammar. Whoever imports it through here gets it
    with SPARQL_LOAD_GRAPHS off: rdflib would otherwise fetch the IRI of any FROM graph it
    does not hold."""
    import rdflib.plugins.sparql  # noqa: PLC0415 - pyparsing's grammar (above)
    from rdflib.plugins.sparql import algebra, evaluate, parser, parserutils  # noqa: PLC0415

    rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
    return parser, parserutils, algebra, evaluate


def parseQuery(text: str):  # noqa: N802 - rdflib's name
    return _rdflib_sparql()[0].parseQuery(text)


def parseUpdate(text: str):  # noqa: N802 - rdflib's name
    return _rdflib_sparql()[0].parseUpdate(text)


class RdflibEngine(Engine):
    """rdflib's SPARQL engine over an in-memory Dataset; the reference implementation."""

    name = "rdflib"

    def __init__(self, dataset: Dataset, cache_size: int = 256):
        _rdflib_sparql()  # before any query: SPARQL_LOAD_GRAPHS off
        # The default graph is the union of all graphs, as in OxigraphEngine (rdflib reads it
        # from the Dataset itself; load_dataset() returns one that is not a union).
        dataset.default_union = True
        self.dataset = dataset
        # rdflib's parser (pyparsing) is not thread-safe: parsing is serialised with every
        # other use of it in the process (the guard's), evaluation is not, since it only reads.
        self._prepared: OrderedDict[str, object] = OrderedDict()
        self._cache_size = cache_size

    def graph_names(self) -> list[str]:
        return sorted(
            str(g.identifier)
            for g in self.dataset.graphs()
            if isinstance(g.identifier, URIRef)
            and g.identifier != rdflib.graph.DATASET_DEFAULT_GRAPH_ID
            and len(g)
        )

    def __len__(self) -> int:
        return sum(1 for _ in self.dataset.quads((None, None, None, None)))

    def prepare(self, text: str, base_iri: str | None = None):
        key = f"{base_iri or ''}\n{text}"  # a base IRI holds no newline
        with PARSER_LOCK:
            hit = self._prepared.get(key)
            if hit is not None:
                self._prepared.move_to_end(key)
                return hit
            try:
                query = _rdflib_sparql()[2].translateQuery(parseQuery(text), base=base_iri)
            except Exception as exc:  # noqa: BLE001 - any parse failure is the client's
                try:
                    parseUpdate(text)
                except Exception:  # noqa: BLE001 - nor an update: a syntax error
                    raise QuerySyntaxError(first_line(exc)) from None
                raise QueryRefused(READ_ONLY) from None
            self._prepared[key] = query
            if len(self._prepared) > self._cache_size:
                self._prepared.popitem(last=False)
            return query

    def execute(
        self, text, dataset=NO_DATASET, bindings=None, max_rows=None, base_iri=None
    ) -> Answer:
        check_query(text, None if dataset.given else self.held_graphs, base_iri)
        query = self.prepare(text, base_iri)
        _, parserutils, _, evaluate = _rdflib_sparql()
        CompValue = parserutils.CompValue  # noqa: N806 - rdflib's name
        if dataset.given:
            query = copy.copy(query)
            algebra = CompValue(query.algebra.name, **query.algebra)
            algebra["datasetClause"] = [
                CompValue("DatasetClause", default=URIRef(g)) for g in dataset.default_graphs
            ] + [CompValue("DatasetClause", named=URIRef(g)) for g in dataset.named_graphs]
            query.algebra = algebra
        try:
            result = evaluate.evalQuery(self.dataset, query, initBindings=dict(bindings or {}))
            # Evaluation is lazy: errors surface while the rows are read, so inside the try.
            return self._answer(query.algebra.name, result, max_rows)
        except (QueryRefused, QuerySyntaxError):
            raise
        except Exception as exc:
            raise QueryFailed(first_line(exc)) from exc

    @staticmethod
    def _answer(name: str, result, max_rows) -> Answer:
        if name == "SelectQuery":
            variables = [str(v) for v in result["vars_"]] if "vars_" in result else []
            rows_iter = result["bindings"]
            if not variables:
                variables = []
            keys = [Variable(v) for v in variables]
            rows, truncated = cap((tuple(b.get(k) for k in keys) for b in rows_iter), max_rows)
            return Answer("SELECT", variables, rows, truncated=truncated)
        if name == "AskQuery":
            return Answer("ASK", boolean=bool(result["askAnswer"]))
        form = "CONSTRUCT" if name == "ConstructQuery" else "DESCRIBE"
        triples, truncated = cap(result["graph"], max_rows)
        return Answer(form, triples=triples, truncated=truncated)
