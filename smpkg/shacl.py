"""SHACL Core shapes compiled to SPARQL and run on a pyoxigraph store.

pySHACL walks the data graph in Python, one focus node and one value node at a time, which
grows to minutes at a million triples. Here every (shape, constraint) becomes a SPARQL SELECT
that returns only the failing focus and value nodes, so the engine does the scanning.

The compiler covers the part of SHACL Core that `ontology/shapes/` uses (see SUPPORTED) and
raises `Unsupported` for anything else it finds in the shapes graph, so that the caller falls
back to pySHACL rather than skip a constraint. Semantics follow the SHACL recommendation as
pySHACL implements it for our call (`ont_graph` beside the data, no inference):

- focus nodes of sh:targetClass and values of sh:class are SHACL instances, i.e. reached by
  rdf:type/rdfs:subClassOf* in the data graph (data and ontology together);
- sh:severity and sh:message belong to the shape that holds the constraint, never inherited
  from a parent shape; a deactivated shape reports nothing, and as a nested shape conforms;
- a node conforms to a nested shape (in sh:or, sh:qualifiedValueShape) when that shape would
  report nothing for it.

One deliberate difference: pySHACL copies only the RDFS/OWL axioms of the ontology into the
data graph, while the store here holds the whole ontology (the checks need it), so ontology
terms can become focus nodes too; on a well-formed ontology both report the same.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import overload

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD

from .load import parse_file

SHACL_NS = str(SH)
TYPE = ox.NamedNode(str(RDF.type))

SEVERITIES = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}

CONSTRAINTS = {
    SH["class"],
    SH.datatype,
    SH.nodeKind,
    SH.pattern,
    SH["in"],
    SH.languageIn,
    SH.minInclusive,
    SH.minLength,
    SH["or"],
    SH.hasValue,
    SH.minCount,
    SH.maxCount,
    SH.uniqueLang,
    SH.qualifiedValueShape,
}
# Everything the compiler reads on a shape; any other sh: property makes it give up.
SUPPORTED = CONSTRAINTS | {
    SH.targetClass,
    SH.targetSubjectsOf,
    SH.property,
    SH.path,
    SH.flags,
    SH.qualifiedMinCount,
    SH.severity,
    SH.message,
    SH.deactivated,
}
# Non-validating annotations (SHACL 1.1 section 2.3.2 and 4.8.3).
IGNORED = {SH.name, SH.description, SH.order, SH.group, SH.defaultValue}

PATHS = {
    SH.inversePath: "^({})",
    SH.oneOrMorePath: "({})+",
    SH.zeroOrMorePath: "({})*",
    SH.zeroOrOnePath: "({})?",
}

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

NODE_KINDS = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBlank({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "(isBlank({v}) || isIRI({v}))",
    SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
    SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))",
}


class Unsupported(Exception):
    """The shapes graph uses something the compiler does not implement."""


@dataclass
class Shape:
    node: URIRef | BNode
    label: str
    severity: str = "violation"
    messages: list[str] = field(default_factory=list)
    deactivated: bool = False
    path: str | None = None  # as a SPARQL property path
    result_path: URIRef | None = None  # sh:path when it is a plain IRI, as pySHACL reports it
    target_classes: list[URIRef] = field(default_factory=list)
    target_subjects_of: list[URIRef] = field(default_factory=list)
    constraints: list[tuple] = field(default_factory=list)  # (sh:component, argument...)
    properties: list[Shape] = field(default_factory=list)

    @property
    def targeted(self) -> bool:
        return bool(self.target_classes or self.target_subjects_of)


@dataclass
class Result:
    """One validation result, in the terms of a pySHACL report."""

    shape: Shape
    component: str
    focus: ox.NamedNode | ox.BlankNode | ox.Literal
    value: ox.NamedNode | ox.BlankNode | ox.Literal | None = None

    @property
    def message(self) -> str:
        return "; ".join(sorted(self.shape.messages)) or GENERIC_MESSAGES.get(
            self.component, "constraint not met"
        )


GENERIC_MESSAGES = {
    "class": "value is not an instance of the required class",
    "datatype": "value is not a well-formed literal of the required datatype",
    "nodeKind": "value is not of the required node kind",
    "pattern": "value does not match the pattern",
    "in": "value is not one of the allowed values",
    "languageIn": "value's language tag is not one of the allowed ones",
    "minInclusive": "value is below the minimum",
    "minLength": "value is shorter than the minimum length",
    "or": "value conforms to none of the alternative shapes",
    "hasValue": "the required value is missing",
    "minCount": "too few values",
    "maxCount": "too many values",
    "uniqueLang": "more than one value with the same language tag",
    "qualifiedValueShape": "too few values conform to the qualified value shape",
}


# --------------------------------------------------------------------------- shapes graph


class _Reader:
    """Reads the shapes graph into Shape objects, noting every sh: statement it used, so that
    the statements it did not understand can be reported instead of ignored."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.shapes: dict = {}
        self.used: set = set()
        self.reading: set = set()

    def one(self, node, predicate):
        values = list(self.graph.objects(node, predicate))
        if len(values) > 1:
            raise Unsupported(f"{node} has {len(values)} values of {predicate.n3()}")
        self.used.add((node, predicate))
        return values[0] if values else None

    def all(self, node, predicate) -> list:
        self.used.add((node, predicate))
        return sorted(self.graph.objects(node, predicate))

    def items(self, node) -> list:
        if node == RDF.nil:
            return []
        if not isinstance(node, BNode) or self.graph.value(node, RDF.first) is None:
            raise Unsupported(f"{node} is not an RDF list")
        return list(Collection(self.graph, node))

    def path(self, node) -> str:
        if isinstance(node, URIRef):
            return f"<{node}>"
        if not isinstance(node, BNode):
            raise Unsupported(f"sh:path {node!r} is neither an IRI nor a blank node")
        if self.graph.value(node, RDF.first) is not None:
            steps = self.items(node)
            if len(steps) < 2:
                raise Unsupported(f"sequence path {node} has fewer than two steps")
            return "(" + "/".join(self.path(step) for step in steps) + ")"
        for predicate, template in PATHS.items():
            inner = self.one(node, predicate)
            if inner is not None:
                return template.format(self.path(inner))
        alternatives = self.one(node, SH.alternativePath)
        if alternatives is not None:
            return "(" + "|".join(self.path(step) for step in self.items(alternatives)) + ")"
        raise Unsupported(f"sh:path {node} is not a SHACL path")

    def shape(self, node) -> Shape:
        if node in self.shapes:
            return self.shapes[node]
        if node in self.reading:
            raise Unsupported(f"shape {node} refers to itself (recursive shapes)")
        if not isinstance(node, (URIRef, BNode)):
            raise Unsupported(f"{node!r} cannot be a shape")
        self.reading.add(node)
        g = self.graph
        for predicate in set(g.predicates(node)):
            if str(predicate).startswith(SHACL_NS) and predicate not in SUPPORTED | IGNORED:
                raise Unsupported(f"shape {node} uses {predicate.n3(g.namespace_manager)}")
        if (node, RDF.type, RDFS.Class) in g or (
            node,
            RDF.type,
            URIRef("http://www.w3.org/2002/07/owl#Class"),
        ) in g:
            raise Unsupported(f"shape {node} is also a class (implicit class target)")
        label = g.value(node, RDFS.label)
        severity = self.one(node, SH.severity)
        deactivated = self.one(node, SH.deactivated)
        shape = Shape(
            node=node,
            label=str(label) if label is not None else str(node),
            severity=SEVERITIES.get(severity, "violation"),
            messages=[str(m) for m in self.all(node, SH.message)],
            deactivated=isinstance(deactivated, Literal) and deactivated.value is True,
        )
        path = self.one(node, SH.path)
        if path is not None:
            shape.path = self.path(path)
            shape.result_path = path if isinstance(path, URIRef) else None
        shape.target_classes = self.all(node, SH.targetClass)
        shape.target_subjects_of = self.all(node, SH.targetSubjectsOf)
        if path is not None and shape.targeted:
            raise Unsupported(f"property shape {node} has targets of its own")
        for target in shape.target_classes + shape.target_subjects_of:
            if not isinstance(target, URIRef):
                raise Unsupported(f"shape {node} has a target that is not an IRI: {target!r}")
        shape.constraints = self.constraints(node, path is not None)
        for child in self.all(node, SH.property):
            prop = self.shape(child)
            if prop.path is None:
                raise Unsupported(f"sh:property {child} of {node} has no sh:path")
            shape.properties.append(prop)
        if path is not None and shape.properties:
            raise Unsupported(f"property shape {node} has property shapes of its own")
        self.reading.discard(node)
        self.shapes[node] = shape
        return shape

    def constraints(self, node, is_property: bool) -> list[tuple]:
        out: list[tuple] = []
        for cls in self.all(node, SH["class"]):
            if not isinstance(cls, URIRef):
                raise Unsupported(f"sh:class {cls!r} of {node} is not an IRI")
            out.append(("class", cls))
        datatype = self.one(node, SH.datatype)
        if datatype is not None:
            if not isinstance(datatype, URIRef) or datatype in (RDFS.Literal, RDFS.Datatype):
                raise Unsupported(f"sh:datatype {datatype!r} of {node}")
            out.append(("datatype", datatype))
        kind = self.one(node, SH.nodeKind)
        if kind is not None:
            if kind not in NODE_KINDS:
                raise Unsupported(f"sh:nodeKind {kind!r} of {node}")
            out.append(("nodeKind", kind))
        pattern = self.one(node, SH.pattern)
        flags = self.one(node, SH.flags)
        if pattern is not None:
            out.append(("pattern", str(pattern), str(flags) if flags is not None else ""))
        elif flags is not None:
            raise Unsupported(f"sh:flags without sh:pattern on {node}")
        allowed = self.one(node, SH["in"])
        if allowed is not None:
            members = self.items(allowed)
            if any(isinstance(m, BNode) for m in members):
                raise Unsupported(f"sh:in of {node} lists a blank node")
            out.append(("in", members))
        languages = self.one(node, SH.languageIn)
        if languages is not None:
            out.append(("languageIn", [str(tag) for tag in self.items(languages)]))
        minimum = self.one(node, SH.minInclusive)
        if minimum is not None:
            if not isinstance(minimum, Literal):
                raise Unsupported(f"sh:minInclusive of {node} is not a literal")
            out.append(("minInclusive", minimum))
        min_length = self.one(node, SH.minLength)
        if min_length is not None:
            out.append(("minLength", _count(node, SH.minLength, min_length)))
        alternatives = self.one(node, SH["or"])
        if alternatives is not None:
            out.append(("or", [self.shape(m) for m in self.items(alternatives)]))
        value = self.one(node, SH.hasValue)
        if value is not None:
            if isinstance(value, BNode):
                raise Unsupported(f"sh:hasValue of {node} is a blank node")
            out.append(("hasValue", value))
        counts = {SH.minCount: "minCount", SH.maxCount: "maxCount"}
        for predicate, name in counts.items():
            n = self.one(node, predicate)
            if n is not None:
                if not is_property:
                    raise Unsupported(f"{name} on node shape {node}")
                out.append((name, _count(node, predicate, n)))
        unique = self.one(node, SH.uniqueLang)
        if unique is not None:
            if not is_property:
                raise Unsupported(f"sh:uniqueLang on node shape {node}")
            if isinstance(unique, Literal) and unique.value is True:
                out.append(("uniqueLang",))
        qualified = self.one(node, SH.qualifiedValueShape)
        q_min = self.one(node, SH.qualifiedMinCount)
        if qualified is not None:
            if not is_property or q_min is None:
                raise Unsupported(
                    f"sh:qualifiedValueShape on {node} needs a property shape "
                    "and sh:qualifiedMinCount"
                )
            out.append(
                (
                    "qualifiedValueShape",
                    self.shape(qualified),
                    _count(node, SH.qualifiedMinCount, q_min),
                )
            )
        elif q_min is not None:
            raise Unsupported(f"sh:qualifiedMinCount without sh:qualifiedValueShape on {node}")
        return out


def _count(node, predicate, value) -> int:
    if not isinstance(value, Literal) or not isinstance(value.value, int) or value.value < 0:
        raise Unsupported(f"{predicate.n3()} of {node} is not a non-negative integer")
    return value.value


def compile_shapes(shapes: Graph) -> list[Shape]:
    """The targeted shapes of the shapes graph, or Unsupported if any sh: statement in it is
    beyond this compiler."""
    reader = _Reader(shapes)
    candidates = set(shapes.subjects(RDF.type, SH.NodeShape))
    candidates |= set(shapes.subjects(RDF.type, SH.PropertyShape))
    candidates |= {
        s
        for s, p in shapes.subject_predicates()
        if p in (SH.targetClass, SH.targetSubjectsOf, SH.path)
    }
    for node in sorted(candidates, key=str):
        reader.shape(node)
    for s, p, o in shapes:
        if str(p).startswith(SHACL_NS) and (s, p) not in reader.used and p not in IGNORED:
            raise Unsupported(
                f"the shapes graph says {s.n3()} {p.n3()} {o.n3()}, "
                "which the compiler does not read"
            )
        if (
            p == RDF.type
            and str(o).startswith(SHACL_NS)
            and o not in (SH.NodeShape, SH.PropertyShape)
        ):
            raise Unsupported(f"{s.n3()} is a {o.n3()}")
    for shape in reader.shapes.values():
        for nested in _nested(shape):
            if nested.severity != "violation":
                # Whether a warning inside sh:or breaks conformance differs between
                # implementations; pySHACL decides for such shapes.
                raise Unsupported(f"nested shape {nested.node} has severity {nested.severity}")
    return [s for s in reader.shapes.values() if s.targeted and not s.deactivated]


def _nested(shape: Shape):
    """The shapes that shape uses as conditions (sh:or members, qualified value shapes), and
    theirs, with their property shapes."""
    for c in [c for owner in (shape, *shape.properties) for c in owner.constraints]:
        inner = c[1] if c[0] == "or" else [c[1]] if c[0] == "qualifiedValueShape" else []
        for member in inner:
            yield member
            yield from member.properties
            yield from _nested(member)


# --------------------------------------------------------------------------- SPARQL


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


# --------------------------------------------------------------------------- running


def plan(store: ox.Store, shapes: list[Shape]) -> list[tuple[Shape, str, list[str]]]:
    """All the queries of the shapes, rendered before any runs, so that a shape beyond the
    compiler fails the whole plan (Unsupported) rather than leave a partial report."""
    compiler = _Compiler(store)
    return [q for shape in shapes for q in compiler.queries(shape)]


def run(store: ox.Store, shapes: list[Shape]) -> list[Result]:
    """Every validation result of the shapes on the store's default graph."""
    results: list[Result] = []
    for owner, text, components in plan(store, shapes):
        try:
            rows = select(store, text)
        except SyntaxError as exc:
            raise Unsupported(
                f"the query compiled for {owner.node} does not parse: {exc}\n{text}"
            ) from exc
        names = {v.value for v in rows.variables}
        for row in rows:
            focus = row["focus"]
            if "ok0" not in names:
                results.append(Result(owner, components[0], focus))
                continue
            for i, component in enumerate(components):
                ok = row[f"ok{i}"]
                if ok is None or ok.value != "true":
                    results.append(Result(owner, component, focus, row["value"]))
    return results


RDF_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".n3": ox.RdfFormat.N3,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
}


def load_graph(store: ox.Store, graph: Graph) -> None:
    """Add an rdflib graph to the store's default graph (through N-Triples: one call)."""
    store.load(
        graph.serialize(format="nt", encoding="utf-8"),
        ox.RdfFormat.N_TRIPLES,
        to_graph=ox.DefaultGraph(),
    )


def load_files(store: ox.Store, files: list[Path]) -> None:
    """Parse the files straight into the store's default graph; a file pyoxigraph cannot
    read (a format it lacks, or syntax only rdflib accepts) goes through rdflib instead."""
    for path in files:
        fmt = RDF_FORMATS.get(path.suffix.lower())
        if fmt is not None:
            try:
                store.load(
                    path=path,
                    format=fmt,
                    base_iri=path.resolve().as_uri(),
                    to_graph=ox.DefaultGraph(),
                )
                continue
            except SyntaxError:
                pass
        load_graph(store, parse_file(path))


OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal


@overload
def term_text(term: OxTerm) -> str: ...
@overload
def term_text(term: OxTerm | None) -> str | None: ...
def term_text(term: OxTerm | None) -> str | None:
    """A term as `str()` of the rdflib term gives it: the IRI, the lexical form, the label."""
    return None if term is None else term.value


def select(store: ox.Store, text: str) -> ox.QuerySolutions:
    """The solutions of a SELECT query; TypeError for another form (the compiled shapes and
    the checks are SELECT queries)."""
    rows = store.query(text)
    if not isinstance(rows, ox.QuerySolutions):
        raise TypeError(f"a SELECT query was expected, not {text[:80]!r}")
    return rows
