//! Response fields in the order of the query.
//!
//! The GraphQL spec (7.2.2) asks that a response lists fields in the order they were
//! selected. async-graphql 7 resolves sibling fields concurrently and writes them as they
//! complete, so the order of keys depends on timing. This puts them back in query order.

use std::collections::HashMap;

use async_graphql::{
    Name, Value,
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};

/// Reorders `data` after the operation `operation_name` of `document`.
pub fn order_fields(data: &mut Value, document: &ExecutableDocument, operation_name: Option<&str>) {
    let operation = match operation_name {
        Some(name) => document
            .operations
            .iter()
            .find(|(candidate, _)| candidate.map(|n| n.as_str()) == Some(name)),
        None => document.operations.iter().next(),
    };
    if let Some((_, operation)) = operation {
        reorder(data, &[&operation.node.selection_set.node], document);
    }
}

fn reorder(value: &mut Value, selections: &[&SelectionSet], document: &ExecutableDocument) {
    match value {
        Value::List(items) => {
            for item in items {
                reorder(item, selections, document);
            }
        }
        Value::Object(fields) => {
            let mut order: Vec<Name> = Vec::new();
            let mut children: HashMap<Name, Vec<&SelectionSet>> = HashMap::new();
            for selection in selections {
                collect(selection, document, &mut order, &mut children, 0);
            }
            let mut ordered = std::mem::take(fields);
            for key in &order {
                if let Some((key, mut child)) = ordered.shift_remove_entry(key) {
                    if let Some(sets) = children.get(&key) {
                        reorder(&mut child, sets, document);
                    }
                    fields.insert(key, child);
                }
            }
            // Anything not found in the query keeps its place after the rest.
            fields.extend(ordered);
        }
        _ => {}
    }
}

/// Fragments cannot form cycles in a valid query; this only bounds a malformed one.
const MAX_FRAGMENT_DEPTH: usize = 64;

fn collect<'a>(
    selection_set: &'a SelectionSet,
    document: &'a ExecutableDocument,
    order: &mut Vec<Name>,
    children: &mut HashMap<Name, Vec<&'a SelectionSet>>,
    depth: usize,
) {
    if depth > MAX_FRAGMENT_DEPTH {
        return;
    }
    for item in &selection_set.items {
        match &item.node {
            Selection::Field(field) => {
                let key = field.node.response_key().node.clone();
                if !children.contains_key(&key) {
                    order.push(key.clone());
                }
                children
                    .entry(key)
                    .or_default()
                    .push(&field.node.selection_set.node);
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node) {
                    collect(
                        &fragment.node.selection_set.node,
                        document,
                        order,
                        children,
                        depth + 1,
                    );
                }
            }
            Selection::InlineFragment(inline) => {
                collect(
                    &inline.node.selection_set.node,
                    document,
                    order,
                    children,
                    depth + 1,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;
    use serde_json::json;

    use super::*;

    #[test]
    fn fields_come_back_in_the_order_of_the_query_through_fragments_and_lists() {
        let document = parse_query(
            "query Q { b: themes { ...T name } a: meetings { nodes { title id } } }
             fragment T on Theme { slug ... on Theme { id } }",
        )
        .unwrap();
        let mut data = Value::from_json(json!({
            "a": { "nodes": [{ "id": "1", "title": "x" }] },
            "b": [{ "name": "n", "id": "2", "slug": "s" }],
        }))
        .unwrap();
        order_fields(&mut data, &document, Some("Q"));
        assert_eq!(
            serde_json::to_string(&data).unwrap(),
            r#"{"b":[{"slug":"s","id":"2","name":"n"}],"a":{"nodes":[{"title":"x","id":"1"}]}}"#
        );
    }
}
