//! Limits on what one GraphQL document may ask for, checked by the HTTP handler before
//! async-graphql parses and validates it.
//!
//! async-graphql validates a document by walking it with every fragment spread expanded:
//! a document of a kilobyte whose fragments spread each other several times expands to
//! millions of fields, and its validation takes seconds of CPU, or hours. Here each
//! fragment is measured once and its measures reused wherever it is spread, so measuring
//! costs the size of the document, not the size of its expansion: a document that would
//! expand too far is refused before anything walks its expansion.

use std::collections::HashMap;

use async_graphql::{
    Name, Positioned, Value as ConstValue, Variables,
    parser::types::{Directive, ExecutableDocument, Field, Selection, SelectionSet},
};

use crate::domain::page::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

/// The limits of one document. Every count is taken with fragments expanded, as the
/// document would run, except directives and tokens, counted as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryLimits {
    /// Tokens of the query text (names, punctuation, values), counted before parsing.
    pub max_tokens: usize,
    /// Nesting of fields.
    pub max_depth: usize,
    /// Fields once every fragment is expanded, over the whole document: the fan-out cap.
    pub max_fields: usize,
    /// Complexity: each field costs 1, and a connection its page size times its children.
    pub max_complexity: usize,
    /// Fields under an alias.
    pub max_aliases: usize,
    /// Fields at the root of an operation.
    pub max_root_fields: usize,
    /// Directives anywhere in the document (operations, variables, fields, fragments).
    pub max_directives: usize,
    /// Introspection lists that lead to more types (`fields`, `inputFields`, `interfaces`,
    /// `possibleTypes`) nested in each other.
    pub max_introspection_depth: usize,
    /// Introspection roots (`__schema`, `__type`) in an operation.
    pub max_introspection_roots: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            max_tokens: 5_000,
            max_depth: 15,
            max_fields: 2_000,
            max_complexity: 5_000,
            max_aliases: 30,
            max_root_fields: 20,
            max_directives: 30,
            // graphql-js refuses a third nested list (`MaxIntrospectionDepthRule`): the
            // introspection query of every tool nests one.
            max_introspection_depth: 2,
            // Tools send one `__schema`, or a `__type` or two.
            max_introspection_roots: 2,
        }
    }
}

/// A limit a document went over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The document is over `limit`.
    Exceeded {
        limit: Limit,
        max: usize,
        found: u64,
    },
    /// A fragment spreads itself, directly or through others.
    FragmentCycle(String),
}

/// The limits, named as in `extensions.limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Tokens,
    Depth,
    Fields,
    Complexity,
    Aliases,
    RootFields,
    Directives,
    IntrospectionDepth,
    IntrospectionRoots,
}

impl Limit {
    pub fn name(self) -> &'static str {
        match self {
            Self::Tokens => "tokens",
            Self::Depth => "depth",
            Self::Fields => "fields",
            Self::Complexity => "complexity",
            Self::Aliases => "aliases",
            Self::RootFields => "rootFields",
            Self::Directives => "directives",
            Self::IntrospectionDepth => "introspectionDepth",
            Self::IntrospectionRoots => "introspectionRoots",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Tokens => "tokens in the query",
            Self::Depth => "levels of nested fields",
            Self::Fields => "fields once its fragments are expanded",
            Self::Complexity => "of complexity (a connection costs its page size times its fields)",
            Self::Aliases => "aliased fields",
            Self::RootFields => "fields at the root of an operation",
            Self::Directives => "directives",
            Self::IntrospectionDepth => {
                "introspection lists nested in each other (fields, inputFields, interfaces, \
                 possibleTypes)"
            }
            Self::IntrospectionRoots => "introspection roots (__schema, __type)",
        }
    }
}

impl Refusal {
    /// The message a client reads.
    pub fn message(&self) -> String {
        match self {
            Self::Exceeded { limit, max, found } => {
                let found = if *found >= u64::MAX / 2 {
                    "more".to_owned()
                } else {
                    found.to_string()
                };
                format!(
                    "the query is over a limit: {found} {}, at most {max}",
                    limit.describe()
                )
            }
            Self::FragmentCycle(name) => format!("fragment `{name}` spreads itself"),
        }
    }
}

impl QueryLimits {
    /// Checks the length and nesting of a query before it is parsed (the parser recurses
    /// on nesting).
    pub fn check_text(&self, query: &str) -> Result<(), Refusal> {
        let text = read_tokens(query, self.max_tokens);
        exceeds(Limit::Tokens, self.max_tokens, text.tokens as u64)?;
        // Brackets of values and arguments nest too: allow them beside the fields.
        exceeds(
            Limit::Depth,
            self.max_depth,
            (text.nesting as u64).saturating_sub(MAX_VALUE_NESTING),
        )
    }

    /// Checks a parsed document, with the request's variables (for page sizes).
    pub fn check_document(
        &self,
        document: &ExecutableDocument,
        variables: &Variables,
    ) -> Result<(), Refusal> {
        let directives = count_directives(document);
        exceeds(Limit::Directives, self.max_directives, directives)?;
        let mut measurer = Measurer {
            document,
            variables,
            fragments: HashMap::new(),
        };
        // Validation walks every operation and every fragment definition, expanded.
        let mut fields: u64 = 0;
        for (name, fragment) in &document.fragments {
            fields = fields.saturating_add(measurer.fragment(name)?.fields);
            let _ = fragment;
        }
        for (_, operation) in document.operations.iter() {
            let measures = measurer.selection_set(&operation.node.selection_set.node)?;
            fields = fields.saturating_add(measures.fields);
            exceeds(Limit::Fields, self.max_fields, fields)?;
            exceeds(
                Limit::IntrospectionDepth,
                self.max_introspection_depth,
                measures.introspection_depth,
            )?;
            exceeds(
                Limit::IntrospectionRoots,
                self.max_introspection_roots,
                measures.introspection_roots,
            )?;
            exceeds(Limit::Depth, self.max_depth, measures.depth)?;
            exceeds(
                Limit::RootFields,
                self.max_root_fields,
                measures.direct_fields,
            )?;
            exceeds(Limit::Aliases, self.max_aliases, measures.aliases)?;
            exceeds(Limit::Complexity, self.max_complexity, measures.complexity)?;
        }
        exceeds(Limit::Fields, self.max_fields, fields)
    }
}

fn exceeds(limit: Limit, max: usize, found: u64) -> Result<(), Refusal> {
    if found > max as u64 {
        Err(Refusal::Exceeded { limit, max, found })
    } else {
        Ok(())
    }
}

/// The measures of a selection set, with its fragments expanded.
#[derive(Debug, Clone, Copy, Default)]
struct Measures {
    fields: u64,
    depth: u64,
    aliases: u64,
    complexity: u64,
    /// Fields selected directly in the set (through fragments too, not below fields).
    direct_fields: u64,
    /// Whether the set selects `nodes` or `edges`: the set of a connection.
    lists: bool,
    /// The deepest nesting of introspection lists that lead to more types.
    introspection_depth: u64,
    /// `__schema` and `__type` fields.
    introspection_roots: u64,
}

impl Measures {
    fn add(&mut self, other: Measures) {
        self.fields = self.fields.saturating_add(other.fields);
        self.depth = self.depth.max(other.depth);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.complexity = self.complexity.saturating_add(other.complexity);
        self.direct_fields = self.direct_fields.saturating_add(other.direct_fields);
        self.lists |= other.lists;
        self.introspection_depth = self.introspection_depth.max(other.introspection_depth);
        self.introspection_roots = self
            .introspection_roots
            .saturating_add(other.introspection_roots);
    }
}

enum Memo {
    InProgress,
    Done(Measures),
}

struct Measurer<'a> {
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    fragments: HashMap<&'a Name, Memo>,
}

impl<'a> Measurer<'a> {
    fn fragment(&mut self, name: &'a Name) -> Result<Measures, Refusal> {
        match self.fragments.get(name) {
            Some(Memo::Done(measures)) => return Ok(*measures),
            Some(Memo::InProgress) => return Err(Refusal::FragmentCycle(name.to_string())),
            None => {}
        }
        // An unknown fragment is reported by validation; it measures nothing here.
        let Some(fragment) = self.document.fragments.get(name) else {
            return Ok(Measures::default());
        };
        self.fragments.insert(name, Memo::InProgress);
        let measures = self.selection_set(&fragment.node.selection_set.node)?;
        self.fragments.insert(name, Memo::Done(measures));
        Ok(measures)
    }

    fn selection_set(&mut self, set: &'a SelectionSet) -> Result<Measures, Refusal> {
        let mut measures = Measures::default();
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let name = field.name.node.as_str();
                    let children = self.selection_set(&field.selection_set.node)?;
                    let items = self.items(field, children.lists);
                    measures.add(Measures {
                        fields: children.fields.saturating_add(1),
                        depth: children.depth + 1,
                        aliases: children.aliases + u64::from(field.alias.is_some()),
                        complexity: items.saturating_mul(children.complexity).saturating_add(1),
                        direct_fields: 1,
                        lists: matches!(name, "nodes" | "edges"),
                        introspection_depth: children.introspection_depth
                            + u64::from(INTROSPECTION_LISTS.contains(&name)),
                        introspection_roots: children
                            .introspection_roots
                            .saturating_add(u64::from(matches!(name, "__schema" | "__type"))),
                    });
                }
                Selection::FragmentSpread(spread) => {
                    let fragment = self.fragment(&spread.node.fragment_name.node)?;
                    measures.add(fragment);
                }
                Selection::InlineFragment(inline) => {
                    let inner = self.selection_set(&inline.node.selection_set.node)?;
                    measures.add(inner);
                }
            }
        }
        Ok(measures)
    }

    /// How many items a field returns, for its complexity: the page size of a connection
    /// (`first` or `last`, else the default page), the ids asked for by `ids`, else one.
    fn items(&self, field: &Field, connection: bool) -> u64 {
        let argument = |name: &str| {
            field.get_argument(name).map(|value| {
                value
                    .node
                    .clone()
                    .into_const_with(|name| {
                        Ok::<_, ()>(
                            self.variables
                                .get(&name)
                                .cloned()
                                .unwrap_or(ConstValue::Null),
                        )
                    })
                    .unwrap_or(ConstValue::Null)
            })
        };
        if let Some(ConstValue::List(ids)) = argument("ids") {
            return (ids.len() as u64).max(1);
        }
        let page = argument("first")
            .or_else(|| argument("last"))
            .and_then(|value| match value {
                ConstValue::Number(number) => number.as_u64(),
                _ => None,
            });
        match page {
            Some(size) => size.clamp(1, MAX_PAGE_SIZE),
            None if connection => DEFAULT_PAGE_SIZE,
            None => 1,
        }
    }
}

/// The introspection lists whose items are, or lead to, more types: nested in each other,
/// each multiplies the answer by a schema's fan-out (the types of a schema, the fields of a
/// type, the types that implement an interface), so that a query of a few lines answers
/// hundreds of megabytes. No type of this schema has fields of these names, so they are
/// counted wherever they are, as graphql-js's `MaxIntrospectionDepthRule` counts them.
/// `args` and `enumValues` lead to no list of their own but through these.
const INTROSPECTION_LISTS: [&str; 4] = ["fields", "inputFields", "interfaces", "possibleTypes"];

/// Directives as written, wherever they are.
fn count_directives(document: &ExecutableDocument) -> u64 {
    fn in_set(set: &SelectionSet) -> u64 {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(field) => {
                    count(&field.node.directives) + in_set(&field.node.selection_set.node)
                }
                Selection::FragmentSpread(spread) => count(&spread.node.directives),
                Selection::InlineFragment(inline) => {
                    count(&inline.node.directives) + in_set(&inline.node.selection_set.node)
                }
            })
            .sum()
    }
    fn count(directives: &[Positioned<Directive>]) -> u64 {
        directives.len() as u64
    }
    let operations: u64 = document
        .operations
        .iter()
        .map(|(_, operation)| {
            let operation = &operation.node;
            count(&operation.directives)
                + operation
                    .variable_definitions
                    .iter()
                    .map(|variable| count(&variable.node.directives))
                    .sum::<u64>()
                + in_set(&operation.selection_set.node)
        })
        .sum();
    let fragments: u64 = document
        .fragments
        .values()
        .map(|fragment| {
            count(&fragment.node.directives) + in_set(&fragment.node.selection_set.node)
        })
        .sum();
    operations + fragments
}

/// How deep brackets of values and arguments may nest beyond the fields' depth, before
/// parsing.
const MAX_VALUE_NESTING: u64 = 16;

/// What a lexer sees of a text before it is parsed.
struct Text {
    tokens: usize,
    /// The deepest nesting of `{`, `[` and `(`.
    nesting: usize,
}

/// The lexical tokens of a GraphQL text (names, numbers, strings, punctuators), ignoring
/// white space, commas and comments. Stops counting once past `stop_after`.
pub fn count_tokens(source: &str, stop_after: usize) -> usize {
    read_tokens(source, stop_after).tokens
}

fn read_tokens(source: &str, stop_after: usize) -> Text {
    let bytes = source.as_bytes();
    let mut at = 0;
    let mut tokens = 0;
    let (mut open, mut nesting) = (0usize, 0usize);
    while at < bytes.len() && tokens <= stop_after {
        match bytes[at] {
            b'{' | b'[' | b'(' => {
                open += 1;
                nesting = nesting.max(open);
                at += 1;
            }
            b'}' | b']' | b')' => {
                open = open.saturating_sub(1);
                at += 1;
            }
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                at += 1;
                continue;
            }
            b'#' => {
                while at < bytes.len() && bytes[at] != b'\n' && bytes[at] != b'\r' {
                    at += 1;
                }
                continue;
            }
            b'"' if bytes[at..].starts_with(b"\"\"\"") => {
                at += 3;
                while at < bytes.len() && !bytes[at..].starts_with(b"\"\"\"") {
                    at += if bytes[at..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                at += 3;
            }
            b'"' => {
                at += 1;
                while at < bytes.len() && !matches!(bytes[at], b'"' | b'\n' | b'\r') {
                    at += if bytes[at] == b'\\' { 2 } else { 1 };
                }
                at += 1;
            }
            b'.' if bytes[at..].starts_with(b"...") => at += 3,
            byte if byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-' => {
                at += 1;
                while at < bytes.len()
                    && (bytes[at].is_ascii_alphanumeric()
                        || matches!(bytes[at], b'_' | b'.' | b'+' | b'-'))
                    && !bytes[at..].starts_with(b"...")
                {
                    at += 1;
                }
            }
            _ => at += 1,
        }
        tokens += 1;
    }
    Text { tokens, nesting }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn check(query: &str) -> Result<(), Refusal> {
        let limits = QueryLimits::default();
        limits.check_text(query)?;
        limits.check_document(&parse_query(query).unwrap(), &Variables::default())
    }

    fn refused_for(query: &str) -> Limit {
        match check(query) {
            Err(Refusal::Exceeded { limit, .. }) => limit,
            other => panic!("{query}: {other:?}"),
        }
    }

    /// A document of `levels` fragments, each spreading the next `width` times.
    fn fan_out(levels: usize, width: usize) -> String {
        let mut text = "query { ...F0 }\n".to_owned();
        for level in 0..levels {
            let spreads = vec![format!("...F{}", level + 1); width].join(" ");
            text.push_str(&format!("fragment F{level} on Query {{ {spreads} }}\n"));
        }
        text.push_str(&format!("fragment F{levels} on Query {{ __typename }}\n"));
        text
    }

    #[test]
    fn tokens_are_counted_as_a_lexer_reads_them() {
        assert_eq!(
            count_tokens("{ a(b: 1.5e3, c: \"x, y\") { ...F } }", 100),
            15
        );
        assert_eq!(count_tokens("# a comment\n{ a }", 100), 3);
        assert_eq!(count_tokens("{ a(t: \"\"\"long\n text\"\"\") }", 100), 8);
        assert_eq!(count_tokens(&"{ a }".repeat(1000), 10), 11);
    }

    #[test]
    fn an_ordinary_query_is_within_every_limit() {
        check(
            "query($first: Int) { initiatives(first: $first) { totalCount nodes { ...Card } } }
             fragment Card on Initiative { title themes { name } territories { name } }",
        )
        .unwrap();
    }

    #[test]
    fn fragments_that_multiply_are_refused_by_their_expanded_size() {
        assert_eq!(refused_for(&fan_out(30, 2)), Limit::Fields);
        assert_eq!(refused_for(&fan_out(12, 3)), Limit::Fields);
        check(&fan_out(2, 3)).unwrap();
    }

    #[test]
    fn a_fragment_that_spreads_itself_is_refused() {
        let refusal = check("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }")
            .unwrap_err();
        assert!(matches!(refusal, Refusal::FragmentCycle(_)), "{refusal:?}");
    }

    #[test]
    fn each_limit_is_named() {
        let nested = format!("{}{}", "{ a ".repeat(20), "}".repeat(20));
        assert_eq!(refused_for(&nested), Limit::Depth);
        let aliases = (0..31).map(|i| format!("a{i}: name")).collect::<Vec<_>>();
        assert_eq!(
            refused_for(&format!("{{ themes {{ {} }} }}", aliases.join(" "))),
            Limit::Aliases
        );
        let roots = (0..21).map(|i| format!("f{i}")).collect::<Vec<_>>();
        assert_eq!(
            refused_for(&format!("{{ {} }}", roots.join(" "))),
            Limit::RootFields
        );
        let directives = "a @include(if: true) ".repeat(31);
        assert_eq!(
            refused_for(&format!("{{ x {{ {directives} }} }}")),
            Limit::Directives
        );
        assert_eq!(refused_for(&"{ a }".repeat(3000)), Limit::Tokens);
        let unparsed = format!("{}{}", "{ a ".repeat(1000), "}".repeat(1000));
        let limits = QueryLimits::default();
        assert!(matches!(
            limits.check_text(&unparsed),
            Err(Refusal::Exceeded {
                limit: Limit::Depth,
                ..
            })
        ));
    }

    #[test]
    fn introspection_lists_nest_in_each_other_twice_at_most() {
        // The introspection query of every tool: `fields` once, types by `ofType`.
        check(
            "{ __schema { types { fields { args { type { ofType { name } } } type { name } }
               inputFields { type { name } } interfaces { name } possibleTypes { name } } } }",
        )
        .unwrap();
        check("{ __type(name: \"Node\") { possibleTypes { interfaces { name } } } }").unwrap();
        for multiplying in [
            "{ __type(name: \"Node\") { possibleTypes { interfaces { possibleTypes { name } } } } }",
            "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
            "{ __schema { types { fields { args { type { inputFields { type { inputFields {
               name } } } } } } } } }",
            "{ __schema { types { ...T } } } fragment T on __Type { fields { type { ...U } } }
             fragment U on __Type { ... on __Type { interfaces { possibleTypes { name } } } }",
        ] {
            assert_eq!(
                refused_for(multiplying),
                Limit::IntrospectionDepth,
                "{multiplying}"
            );
        }
    }

    #[test]
    fn introspection_roots_are_counted_with_fragments_expanded() {
        check("{ __schema { types { name } } __type(name: \"Query\") { name } }").unwrap();
        assert_eq!(
            refused_for(
                "{ a: __schema { types { name } } b: __schema { types { name } } c: __schema { types { name } } }"
            ),
            Limit::IntrospectionRoots
        );
        assert_eq!(
            refused_for(
                "{ ...R ...R ...R } fragment R on Query { __type(name: \"Query\") { name } }"
            ),
            Limit::IntrospectionRoots
        );
    }

    #[test]
    fn a_connection_costs_its_page_size_times_its_children() {
        // 100 × 100 × 2 fields, in connections.
        let nested = "{ territories(first: 100) { nodes { initiatives(first: 100) {
            nodes { title slug } } } } }";
        assert_eq!(refused_for(nested), Limit::Complexity);
        check(
            "{ territories(first: 100) { nodes { initiatives(first: 5) { nodes { title } } } } }",
        )
        .unwrap();
        let limits = QueryLimits::default();
        let by_variable = "query($n: Int) { territories { nodes { initiatives(first: $n) {
            nodes { title slug } } } } }";
        let document = parse_query(by_variable).unwrap();
        let variables = Variables::from_json(serde_json::json!({ "n": 100 }));
        assert!(limits.check_document(&document, &variables).is_err());
        let variables = Variables::from_json(serde_json::json!({ "n": 2 }));
        limits.check_document(&document, &variables).unwrap();
    }
}
