"""Shapes rendered as SPARQL: every (shape, constraint) a SELECT that returns only the failing
focus and value nodes, so that the engine does the scanning (see smpkg.shacl)."""

from __future__ import annotations

import itertools

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from .shacl_shapes import NODE_KINDS, Shape, Unsupported

TYPE = ox.NamedNode(str(RDF.type))

# Datatypes whose lexical space SPARQL 1.1 (and oxigraph's casts) knows: a literal of one of
# these that does not cast to it is ill-typed, and ill-typed literals do not match sh:datatype.
CASTABLE = {
    XSD.integer,
    XSD.decimal,
    XSD.double,
    XSD.float,
    XSD.boolean,
    XSD.date,
    XSD.dateTime,
    XSD.time,
    XSD.gYear,
    XSD.gYearMonth,
    XSD.duration,
}


def _term(node) -> str:
    if isinstance(node, URIRef):
        return f"<{node}>"
    if isinstance(node, Literal):
        return node.n3()
    raise Unsupported(f"{node!r} cannot appear in a query")


def _string(text: str) -> str:
    return Literal(text).n3()


class _Compiler:
    """Renders shapes as SPARQL against one store: the class hierarchy is read from the store
    once per class, so that instance tests are a join with a small VALUES table."""

    def __init__(self, store: ox.Store):
        self.store = store
        self.fresh = itertools.count()
        self._subclasses: dict[URIRef, list[str] | None] = {}

    def var(self, stem: str) -> str:
        return f"?{stem}_{next(self.fresh)}"

    def subclasses(self, cls: URIRef) -> list[str] | None:
        """The IRIs of cls and its subclasses, or None when a blank-node subclass (an OWL
        class expression) is itself the type of something: VALUES cannot name it."""
        if cls not in self._subclasses:
            self._subclasses[cls] = self._closure(cls)
        return self._subclasses[cls]

    def _closure(self, cls: URIRef) -> list[str] | None:
        rows = select(
            self.store,
            "SELECT DISTINCT ?c WHERE { ?c <http://www.w3.org/2000/01/rdf-schema#"
            f"subClassOf>* <{cls}> }}",
        )
        found = {f"<{cls}>"}
        for row in rows:
            c = row["c"]
            if isinstance(c, ox.NamedNode):
                found.add(str(c))
            elif next(self.store.quads_for_pattern(None, TYPE, c), None) is not None:
                return None
        return sorted(found)

    def instance_of(self, v: str, classes: list[URIRef]) -> str:
        """A graph pattern: v is a SHACL instance of one of the classes."""
        closures = [self.subclasses(cls) for cls in classes]
        known = [c for c in closures if c is not None]
        if len(known) < len(closures):
            return " UNION ".join(
                f"{{ {v} <{RDF.type}>/<{RDFS.subClassOf}>* <{cls}> }}" for cls in classes
            )
        t = self.var("type")
        values = sorted({c for closure in known for c in closure})
        return f"{v} <{RDF.type}> {t} . VALUES {t} {{ {' '.join(values)} }}"

    def target(self, shape: Shape, v: str) -> str:
        """A graph pattern binding v to the focus nodes of the shape (may repeat a node)."""
        parts = []
        if shape.target_classes:
            parts.append(self.instance_of(v, shape.target_classes))
        for predicate in shape.target_subjects_of:
            parts.append(f"{v} <{predicate}> [] .")
        return " UNION ".join(f"{{ {p} }}" for p in parts)

    # -- constraints on one value node, as boolean expressions that never raise an error

    def ok(self, constraint: tuple, v: str) -> str:
        kind = constraint[0]
        if kind == "class":
            return f"EXISTS {{ {self.instance_of(v, [constraint[1]])} }}"
        if kind == "datatype":
            return self.datatype(constraint[1], v)
        if kind == "nodeKind":
            return NODE_KINDS[constraint[1]].format(v=v)
        if kind == "pattern":
            return (
                f"(!isBlank({v}) && REGEX(STR({v}), {_string(constraint[1])}, "
                f"{_string(constraint[2])}))"
            )
        if kind == "in":
            return (
                "(" + " || ".join(f"sameTerm({v}, {_term(m)})" for m in constraint[1]) + ")"
                if constraint[1]
                else "false"
            )
        if kind == "languageIn":
            tags = " || ".join(f"langMatches(LANG({v}), {_string(t)})" for t in constraint[1])
            return f'(isLiteral({v}) && LANG({v}) != "" && ({tags or "false"}))'
        if kind == "minInclusive":
            return f"({_term(constraint[1])} <= {v})"
        if kind == "minLength":
            return f"(!isBlank({v}) && STRLEN(STR({v})) >= {constraint[1]})"
        if kind == "or":
            return "(" + " || ".join(self.conforms(s, v) for s in constraint[1]) + ")"
        if kind == "hasValue":
            return f"sameTerm({v}, {_term(constraint[1])})"
        raise Unsupported(f"{kind} is not a constraint on single value nodes")

    def datatype(self, datatype: URIRef, v: str) -> str:
        if datatype == RDF.langString:
            return f'(isLiteral({v}) && LANG({v}) != "")'
        test = f"isLiteral({v}) && sameTerm(DATATYPE({v}), <{datatype}>)"
        if datatype in CASTABLE:
            test += f" && isLiteral(<{datatype}>(STR({v})))"
        return f"({test})"

    def conforms(self, shape: Shape, v: str) -> str:
        """An expression: the node v conforms to the shape (used for nested shapes)."""
        if shape.deactivated:
            return "true"
        if shape.path is None:
            tests = [self.ok(c, v) for c in shape.constraints]
            tests += [self.conforms(p, v) for p in shape.properties]
            return (
                "(" + " && ".join(f"COALESCE({t}, false)" for t in tests) + ")" if tests else "true"
            )
        tests = []
        values = [c for c in shape.constraints if c[0] in VALUE_COMPONENTS]
        if values:
            y = self.var("y")
            failing = " || ".join(f"!COALESCE({self.ok(c, y)}, false)" for c in values)
            tests.append(f"NOT EXISTS {{ {v} {shape.path} {y} . FILTER ({failing}) }}")
        for c in shape.constraints:
            y, z = self.var("y"), self.var("z")
            if c[0] == "minCount":
                if c[1] > 1:
                    raise Unsupported(f"sh:minCount {c[1]} in nested shape {shape.node}")
                if c[1] == 1:
                    tests.append(f"EXISTS {{ {v} {shape.path} {y} }}")
            elif c[0] == "maxCount":
                if c[1] > 1:
                    raise Unsupported(f"sh:maxCount {c[1]} in nested shape {shape.node}")
                if c[1] == 0:
                    tests.append(f"NOT EXISTS {{ {v} {shape.path} {y} }}")
                else:
                    tests.append(
                        f"NOT EXISTS {{ {v} {shape.path} {y}, {z} . FILTER (!sameTerm({y}, {z})) }}"
                    )
            elif c[0] == "hasValue":
                tests.append(f"EXISTS {{ {v} {shape.path} {_term(c[1])} }}")
            elif c[0] == "uniqueLang":
                tests.append(
                    f"NOT EXISTS {{ {v} {shape.path} {y}, {z} . FILTER ("
                    f'!sameTerm({y}, {z}) && LANG({y}) != "" && '
                    f"LCASE(LANG({y})) = LCASE(LANG({z}))) }}"
                )
            elif c[0] == "qualifiedValueShape":
                raise Unsupported(f"sh:qualifiedValueShape in nested shape {shape.node}")
        return "(" + " && ".join(tests) + ")" if tests else "true"

    # -- the queries of one targeted shape

    def queries(self, shape: Shape) -> list[tuple[Shape, str, list[str]]]:
        """(shape that reports, SELECT text, components): each row has ?focus, maybe
        ?value, and ?ok0... false for each component (by position) the value fails."""
        out = []
        node_values = [c for c in shape.constraints if c[0] in NODE_COMPONENTS]
        if node_values:
            out.append(
                (shape, self.value_query(shape, None, node_values), [c[0] for c in node_values])
            )
        for prop in shape.properties:
            if prop.deactivated:
                continue
            values = [c for c in prop.constraints if c[0] in VALUE_COMPONENTS]
            if values:
                out.append((prop, self.value_query(shape, prop, values), [c[0] for c in values]))
            for c in prop.constraints:
                if c[0] not in VALUE_COMPONENTS:
                    out.append((prop, self.count_query(shape, prop, c), [c[0]]))
        return out

    def covers(self, shape: Shape, prop: Shape) -> bool:
        """Whatever has a value of prop's path is a focus node of shape."""
        return prop.result_path is not None and prop.result_path in shape.target_subjects_of

    def focus_nodes(self, shape: Shape) -> str:
        return f"{{ SELECT DISTINCT ?focus WHERE {{ {self.target(shape, '?focus')} }} }}"

    def value_query(self, shape: Shape, prop: Shape | None, constraints: list[tuple]) -> str:
        binds = " ".join(
            f"BIND (COALESCE({self.ok(c, '?value')}, false) AS ?ok{i})"
            for i, c in enumerate(constraints)
        )
        failing = " || ".join(f"!?ok{i}" for i in range(len(constraints)))
        oks = " ".join(f"?ok{i}" for i in range(len(constraints)))
        if prop is None:
            return (
                f"SELECT ?focus ?value {oks} WHERE {{ {self.focus_nodes(shape)} "
                f"BIND (?focus AS ?value) {binds} FILTER ({failing}) }}"
            )
        if self.covers(shape, prop):
            where = f"?focus {prop.path} ?value ."
        else:
            where = f"{self.focus_nodes(shape)} ?focus {prop.path} ?value ."
        return f"SELECT DISTINCT ?focus ?value {oks} WHERE {{ {where} {binds} FILTER ({failing}) }}"

    def count_query(self, shape: Shape, prop: Shape, c: tuple) -> str:
        path, kind = prop.path, c[0]
        if kind == "minCount" or kind == "qualifiedValueShape":
            n = c[1] if kind == "minCount" else c[2]
            condition = ""
            if kind == "qualifiedValueShape":
                condition = f"FILTER ({self.conforms(c[1], '?v')})"
            if n == 0:
                return "SELECT ?focus WHERE { FILTER (false) }"
            if n == 1:
                return (
                    f"SELECT ?focus WHERE {{ {self.focus_nodes(shape)} "
                    f"FILTER NOT EXISTS {{ ?focus {path} ?v . {condition} }} }}"
                )
            return (
                f"SELECT ?focus WHERE {{ {self.focus_nodes(shape)} "
                f"OPTIONAL {{ ?focus {path} ?v . {condition} }} }} "
                f"GROUP BY ?focus HAVING (COUNT(DISTINCT ?v) < {n})"
            )
        if kind == "hasValue":
            return (
                f"SELECT ?focus WHERE {{ {self.focus_nodes(shape)} "
                f"FILTER NOT EXISTS {{ ?focus {path} {_term(c[1])} }} }}"
            )
        if kind == "maxCount":
            grouped = (
                f"SELECT ?focus WHERE {{ ?focus {path} ?v }} GROUP BY ?focus "
                f"HAVING (COUNT(DISTINCT ?v) > {c[1]})"
            )
        elif kind == "uniqueLang":
            grouped = (
                f"SELECT ?focus ?lang WHERE {{ ?focus {path} ?v . "
                f'FILTER (isLiteral(?v) && LANG(?v) != "") '
                f"BIND (LCASE(LANG(?v)) AS ?lang) }} GROUP BY ?focus ?lang "
                f"HAVING (COUNT(DISTINCT ?v) > 1)"
            )
        else:
            raise Unsupported(f"{kind} is not a count constraint")
        if self.covers(shape, prop):
            return grouped
        return (
            f"SELECT ?focus WHERE {{ {{ {grouped} }} "
            f"FILTER EXISTS {{ {self.target(shape, '?focus')} }} }}"
        )


VALUE_COMPONENTS = {
    "class",
    "datatype",
    "nodeKind",
    "pattern",
    "in",
    "languageIn",
    "minInclusive",
    "minLength",
    "or",
}
# sh:hasValue tests the focus node itself on a node shape, and the set of values on a
# property shape (like the counts).
NODE_COMPONENTS = VALUE_COMPONENTS | {"hasValue"}


def select(store: ox.Store, text: str) -> ox.QuerySolutions:
    """The solutions of a SELECT query; TypeError for another form (the compiled shapes and
    the checks are SELECT queries)."""
    rows = store.query(text)
    if not isinstance(rows, ox.QuerySolutions):
        raise TypeError(f"a SELECT query was expected, not {text[:80]!r}")
    return rows


def plan(store: ox.Store, shapes: list[Shape]) -> list[tuple[Shape, str, list[str]]]:
    """All the queries of the shapes, rendered before any runs, so that a shape beyond the
    compiler fails the whole plan (Unsupported) rather than leave a partial report."""
    compiler = _Compiler(store)
    return [q for shape in shapes for q in compiler.queries(shape)]
