//! Response fields in the order of the query.
//!
//! The GraphQL spec (7.2.2) asks that a response lists fields in the order they were
//! selected. async-graphql 7 resolves sibling fields concurrently and writes them as they
//! complete, so the order of keys depends on timing. This puts them back in query order,
//! following fragments, their type conditions and `@skip` / `@include`.

use std::{cell::RefCell, collections::HashMap, rc::Rc};

use async_graphql::{
    Name, Positioned, Value, Variables,
    parser::types::{Directive, ExecutableDocument, Selection, SelectionSet, TypeCondition},
};

use crate::graphql::id::GlobalId;

/// Reorders `data` after the operation `operation_name` of `document`.
pub fn order_fields(
    data: &mut Value,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
) {
    let operation = match operation_name {
        Some(name) => document
            .operations
            .iter()
            .find(|(candidate, _)| candidate.map(|n| n.as_str()) == Some(name)),
        None => document.operations.iter().next(),
    };
    if let Some((_, operation)) = operation {
        let orderer = Orderer {
            document,
            variables,
            untyped: RefCell::default(),
            typed: RefCell::default(),
        };
        orderer.reorder(data, &[&operation.node.selection_set.node]);
    }
}

/// Where each key of an object goes, and the selections below it.
struct Plan<'a> {
    order: Vec<Name>,
    children: HashMap<Name, Vec<&'a SelectionSet>>,
    /// Whether a fragment's type condition was met on the way: the plan then holds for
    /// objects of one type only.
    typed: bool,
}

/// The selection sets a plan follows, by address: they live as long as the document.
type Sets = Vec<usize>;

/// Plans that hold for one type of object, by selection sets and type.
type TypedPlans<'a> = HashMap<(Sets, Option<String>), Rc<Plan<'a>>>;

struct Orderer<'a> {
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    /// Plans already made, for objects of any type; the objects of a list, and the lists
    /// of every item of a list, share them.
    untyped: RefCell<HashMap<Sets, Rc<Plan<'a>>>>,
    /// Plans that hold for one type of object.
    typed: RefCell<TypedPlans<'a>>,
}

/// Fragments cannot form cycles in a valid query; this only bounds a malformed one.
const MAX_FRAGMENT_DEPTH: usize = 64;

impl<'a> Orderer<'a> {
    fn reorder(&self, value: &mut Value, selections: &[&'a SelectionSet]) {
        match value {
            Value::List(items) => {
                for item in items {
                    self.reorder(item, selections);
                }
            }
            Value::Object(fields) => {
                let plan = self.plan_for(fields, selections);
                self.apply(fields, &plan);
            }
            _ => {}
        }
    }

    /// The plan of an object, made once per selections (and type, where fragments on
    /// types decide).
    fn plan_for(
        &self,
        fields: &async_graphql::indexmap::IndexMap<Name, Value>,
        selections: &[&'a SelectionSet],
    ) -> Rc<Plan<'a>> {
        let sets: Sets = selections
            .iter()
            .map(|set| std::ptr::from_ref::<SelectionSet>(set) as usize)
            .collect();
        if let Some(plan) = self.untyped.borrow().get(&sets) {
            return plan.clone();
        }
        let key = (sets, concrete_type(fields));
        if let Some(plan) = self.typed.borrow().get(&key) {
            return plan.clone();
        }
        let plan = Rc::new(self.plan(selections, key.1.as_deref()));
        if plan.typed {
            self.typed.borrow_mut().insert(key, plan.clone());
        } else {
            self.untyped.borrow_mut().insert(key.0, plan.clone());
        }
        plan
    }

    fn apply(&self, fields: &mut async_graphql::indexmap::IndexMap<Name, Value>, plan: &Plan<'a>) {
        let mut order = plan.order.iter();
        let in_order = fields.keys().all(|key| order.any(|wanted| wanted == key));
        if in_order {
            for (key, child) in fields.iter_mut() {
                if let Some(sets) = plan.children.get(key) {
                    self.reorder(child, sets);
                }
            }
            return;
        }
        let mut unordered = std::mem::take(fields);
        for key in &plan.order {
            if let Some((key, mut child)) = unordered.shift_remove_entry(key) {
                if let Some(sets) = plan.children.get(&key) {
                    self.reorder(&mut child, sets);
                }
                fields.insert(key, child);
            }
        }
        // Anything not found in the query keeps its place after the rest.
        fields.extend(unordered);
    }

    fn plan(&self, selections: &[&'a SelectionSet], concrete: Option<&str>) -> Plan<'a> {
        let mut plan = Plan {
            order: Vec::new(),
            children: HashMap::new(),
            typed: false,
        };
        for selection in selections {
            self.collect(selection, concrete, &mut plan, 0);
        }
        plan
    }

    fn collect(
        &self,
        selection_set: &'a SelectionSet,
        concrete: Option<&str>,
        plan: &mut Plan<'a>,
        depth: usize,
    ) {
        if depth > MAX_FRAGMENT_DEPTH {
            return;
        }
        for item in &selection_set.items {
            match &item.node {
                Selection::Field(field) => {
                    if !self.included(&field.node.directives) {
                        continue;
                    }
                    let key = field.node.response_key().node.clone();
                    if !plan.children.contains_key(&key) {
                        plan.order.push(key.clone());
                    }
                    plan.children
                        .entry(key)
                        .or_default()
                        .push(&field.node.selection_set.node);
                }
                Selection::FragmentSpread(spread) => {
                    if !self.included(&spread.node.directives) {
                        continue;
                    }
                    if let Some(fragment) =
                        self.document.fragments.get(&spread.node.fragment_name.node)
                        && applies(Some(&fragment.node.type_condition), concrete, plan)
                    {
                        self.collect(&fragment.node.selection_set.node, concrete, plan, depth + 1);
                    }
                }
                Selection::InlineFragment(inline) => {
                    if self.included(&inline.node.directives)
                        && applies(inline.node.type_condition.as_ref(), concrete, plan)
                    {
                        self.collect(&inline.node.selection_set.node, concrete, plan, depth + 1);
                    }
                }
            }
        }
    }

    /// Whether `@skip` / `@include` keep a selection.
    fn included(&self, directives: &[Positioned<Directive>]) -> bool {
        directives.iter().all(|directive| {
            let condition = directive
                .node
                .get_argument("if")
                .and_then(|value| {
                    value
                        .node
                        .clone()
                        .into_const_with(|name| self.variables.get(&name).cloned().ok_or(()))
                        .ok()
                })
                .map(|value| value == Value::Boolean(true));
            match (directive.node.name.node.as_str(), condition) {
                ("skip", Some(skip)) => !skip,
                ("include", Some(include)) => include,
                _ => true,
            }
        })
    }
}

/// Whether a fragment on `condition` applies to an object of the `concrete` type. Every
/// object with an id implements `Node`, our only interface; an unknown type takes them all.
/// A condition makes the plan hold for its type only.
fn applies(
    condition: Option<&Positioned<TypeCondition>>,
    concrete: Option<&str>,
    plan: &mut Plan<'_>,
) -> bool {
    plan.typed |= condition.is_some();
    match (condition, concrete) {
        (Some(condition), Some(concrete)) => {
            let on = condition.node.on.node.as_str();
            on == concrete || on == "Node"
        }
        _ => true,
    }
}

/// The type of an object, from its `__typename` or its global id, when selected.
fn concrete_type(fields: &async_graphql::indexmap::IndexMap<Name, Value>) -> Option<String> {
    if let Some(Value::String(name)) = fields.get("__typename") {
        return Some(name.clone());
    }
    match fields.get("id") {
        Some(Value::String(id)) => GlobalId::parse("id", id)
            .ok()
            .map(|id| id.kind.name().to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;
    use serde_json::json;

    use super::*;

    fn ordered(query: &str, data: serde_json::Value, variables: serde_json::Value) -> String {
        let document = parse_query(query).unwrap();
        let mut data = Value::from_json(data).unwrap();
        let variables = Variables::from_json(variables);
        order_fields(&mut data, &document, None, &variables);
        serde_json::to_string(&data).unwrap()
    }

    #[test]
    fn fields_come_back_in_the_order_of_the_query_through_fragments_and_lists() {
        assert_eq!(
            ordered(
                "query Q { b: themes { ...T name } a: meetings { nodes { title id } } }
                 fragment T on Theme { slug ... on Theme { id } }",
                json!({
                    "a": { "nodes": [{ "id": "1", "title": "x" }] },
                    "b": [{ "name": "n", "id": "2", "slug": "s" }],
                }),
                json!({}),
            ),
            r#"{"b":[{"slug":"s","id":"2","name":"n"}],"a":{"nodes":[{"title":"x","id":"1"}]}}"#
        );
    }

    #[test]
    fn every_item_of_nested_lists_is_put_in_order_whether_or_not_it_already_is() {
        assert_eq!(
            ordered(
                "{ initiatives { nodes { title themes { slug name } } } }",
                json!({ "initiatives": { "nodes": [
                    { "title": "a", "themes": [{ "name": "n1", "slug": "s1" }] },
                    { "themes": [{ "slug": "s2", "name": "n2" }, { "name": "n3", "slug": "s3" }], "title": "b" },
                ] } }),
                json!({}),
            ),
            concat!(
                r#"{"initiatives":{"nodes":[{"title":"a","themes":[{"slug":"s1","name":"n1"}]},"#,
                r#"{"title":"b","themes":[{"slug":"s2","name":"n2"},{"slug":"s3","name":"n3"}]}]}}"#
            )
        );
    }

    #[test]
    fn fragments_on_other_types_and_skipped_fields_do_not_decide_the_order() {
        let territory = "Territory:01936f3e-0000-7000-8000-000000000000";
        let theme = "Theme:01936f3e-0000-7000-8000-000000000001";
        assert_eq!(
            ordered(
                "query($no: Boolean!) { nodes(ids: []) {
                    ... on Theme { name id } ... on Territory { id name }
                 } x: meetings @skip(if: $no) { totalCount } y: themes { slug } x: meetings { totalCount } }",
                json!({
                    "x": { "totalCount": 1 },
                    "y": [],
                    "nodes": [{ "name": "Metz", "id": territory }, { "id": theme, "name": "Solidarités" }],
                }),
                json!({ "no": true }),
            ),
            format!(
                r#"{{"nodes":[{{"id":"{territory}","name":"Metz"}},{{"name":"Solidarités","id":"{theme}"}}],"y":[],"x":{{"totalCount":1}}}}"#
            )
        );
    }
}
