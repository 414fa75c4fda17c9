"""The shapes graph read into Shape records, for the compiler of smpkg.shacl_sparql.

The reader covers the part of SHACL Core that `ontology/shapes/` uses (see SUPPORTED) and
raises `Unsupported` for anything else it finds in the shapes graph, so that the caller falls
back to pySHACL rather than skip a constraint (smpkg.shacl states the semantics).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH

SHACL_NS = str(SH)

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
