//! The input policy, applied once to every value a document sends, before async-graphql
//! sees it: arguments written in the document and variables alike, nested inputs and lists.
//!
//! Each value is typed from the schema's SDL (the argument types of every field, the fields
//! of every input type), and
//! - every string is held to the character rule of [`input_text`] and to a length limit:
//!   [`MAX_FILTER_CHARS`] within a filter, [`MAX_IDENTIFIER_CHARS`] for an `ID`, a slug, a
//!   code or a cursor, [`MAX_STRING_CHARS`] for any other (each newtype then has its own);
//! - an `Int` must fit 32 bits, a `Date` or `DateTime` must parse;
//! - an enum written as a string literal (`"CHILDREN"` for `CHILDREN`) is refused, as the
//!   GraphQL specification requires (a variable's JSON string is an enum value, though).
//!
//! Every refusal names the argument as the client wrote it (`filter.nameContains`,
//! `input.organisations[0].organisationId`). The checker also records where each
//! argument's value stands in the document, so that an error async-graphql reports there
//! can name its argument too.

use std::{
    collections::{HashMap, HashSet},
    sync::LazyLock,
};

use async_graphql::{
    Name, Pos, Positioned, ScalarType, Value as ConstValue, Variables,
    parser::{
        parse_schema,
        types::{
            BaseType, Directive, DocumentOperations, ExecutableDocument, OperationDefinition,
            OperationType, Selection, SelectionSet, Type, TypeKind, TypeSystemDefinition,
        },
    },
};
use async_graphql_value::Value;

use super::scalars::{Date, DateTime};
use crate::domain::input_text::{
    Lines, MAX_FILTER_CHARS, MAX_IDENTIFIER_CHARS, MAX_STRING_CHARS, character_problem,
};

/// Why a document is refused before it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputRefusal {
    /// A value does not meet the policy: BAD_USER_INPUT naming `field`.
    BadInput { field: String, message: String },
    /// An enum written as a string literal: a validation error.
    QuotedEnum { field: String, message: String },
}

/// Where each argument's value stands in the document, and the argument it is.
#[derive(Debug, Default)]
pub struct ArgumentPositions(HashMap<Pos, String>);

impl ArgumentPositions {
    /// The argument whose value stands at `pos`, as the client wrote its name.
    pub fn at(&self, pos: Pos) -> Option<&str> {
        self.0.get(&pos).map(String::as_str)
    }
}

/// The types of the schema that input values are checked against.
pub struct InputTypes {
    /// Per object or interface type, per field: its arguments and the type it returns.
    fields: HashMap<String, HashMap<String, FieldTypes>>,
    /// Per input type, its fields.
    inputs: HashMap<String, HashMap<String, Type>>,
    enums: HashSet<String>,
    query: String,
    mutation: String,
    subscription: String,
}

struct FieldTypes {
    arguments: HashMap<String, Type>,
    returns: String,
}

/// The types of the Communs schema, read once from its SDL.
pub static INPUT_TYPES: LazyLock<InputTypes> =
    LazyLock::new(|| InputTypes::from_sdl(&super::sdl()));

/// Argument and input field names that hold identifiers, whatever their type.
const IDENTIFIER_NAMES: &[&str] = &["slug", "code", "officialCode", "after", "before"];

fn base_name(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => base_name(inner),
    }
}

impl InputTypes {
    /// Reads the types from SDL. An SDL that does not parse gives no types: every string
    /// is then still held to the character rule and the general limit.
    pub fn from_sdl(sdl: &str) -> Self {
        let mut types = Self {
            fields: HashMap::new(),
            inputs: HashMap::new(),
            enums: HashSet::new(),
            query: "Query".to_owned(),
            mutation: "Mutation".to_owned(),
            subscription: "Subscription".to_owned(),
        };
        let Ok(document) = parse_schema(sdl) else {
            return types;
        };
        for definition in document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    let schema = schema.node;
                    if let Some(query) = schema.query {
                        types.query = query.node.to_string();
                    }
                    if let Some(mutation) = schema.mutation {
                        types.mutation = mutation.node.to_string();
                    }
                    if let Some(subscription) = schema.subscription {
                        types.subscription = subscription.node.to_string();
                    }
                }
                TypeSystemDefinition::Type(definition) => {
                    let definition = definition.node;
                    let name = definition.name.node.to_string();
                    let fields = match definition.kind {
                        TypeKind::Object(object) => object.fields,
                        TypeKind::Interface(interface) => interface.fields,
                        TypeKind::InputObject(input) => {
                            let fields = input
                                .fields
                                .into_iter()
                                .map(|field| (field.node.name.node.to_string(), field.node.ty.node))
                                .collect();
                            types.inputs.insert(name, fields);
                            continue;
                        }
                        TypeKind::Enum(_) => {
                            types.enums.insert(name);
                            continue;
                        }
                        TypeKind::Scalar | TypeKind::Union(_) => continue,
                    };
                    let fields = fields
                        .into_iter()
                        .map(|field| {
                            let field = field.node;
                            let arguments = field
                                .arguments
                                .into_iter()
                                .map(|arg| (arg.node.name.node.to_string(), arg.node.ty.node))
                                .collect();
                            let returns = base_name(&field.ty.node).to_owned();
                            (
                                field.name.node.to_string(),
                                FieldTypes { arguments, returns },
                            )
                        })
                        .collect();
                    types.fields.insert(name, fields);
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        types
    }

    /// The type of field `name` of input `ty`, and whether it is within a filter.
    fn input_field<'t>(
        &'t self,
        ty: Option<&Type>,
        name: &Name,
        context: Context,
    ) -> (Option<&'t Type>, Context) {
        let input = ty.map(base_name);
        let item_type = input
            .and_then(|input| self.inputs.get(input))
            .and_then(|fields| fields.get(name.as_str()));
        let filter = context.filter || input.is_some_and(|input| input.ends_with("Filter"));
        (item_type, Context { filter })
    }

    fn is_enum(&self, ty: Option<&Type>) -> bool {
        ty.is_some_and(|ty| self.enums.contains(base_name(ty)))
    }

    /// Checks every value `document` sends in the operation that would run.
    pub fn check(
        &self,
        document: &ExecutableDocument,
        operation_name: Option<&str>,
        variables: &Variables,
    ) -> Result<ArgumentPositions, InputRefusal> {
        let operation = match (&document.operations, operation_name) {
            (DocumentOperations::Single(operation), _) => Some(&operation.node),
            (DocumentOperations::Multiple(operations), Some(name)) => {
                operations.get(name).map(|operation| &operation.node)
            }
            // Several operations and none named: async-graphql refuses it.
            (DocumentOperations::Multiple(_), None) => None,
        };
        let mut walker = Walker {
            types: self,
            variables,
            operation,
            positions: ArgumentPositions::default(),
        };
        if let Some(operation) = operation {
            for definition in &operation.variable_definitions {
                let definition = &definition.node;
                walker.directives(&definition.directives)?;
                if let Some(default) = &definition.default_value {
                    let field = format!("${}", definition.name.node);
                    walker.constant(
                        &default.node,
                        Some(&definition.var_type.node),
                        &field,
                        Context::default(),
                        true,
                    )?;
                }
            }
            walker.directives(&operation.directives)?;
            let root = match operation.ty {
                OperationType::Query => &self.query,
                OperationType::Mutation => &self.mutation,
                OperationType::Subscription => &self.subscription,
            };
            walker.selection_set(&operation.selection_set.node, Some(root))?;
        }
        for fragment in document.fragments.values() {
            let fragment = &fragment.node;
            walker.directives(&fragment.directives)?;
            let on = fragment.type_condition.node.on.node.as_str();
            walker.selection_set(&fragment.selection_set.node, Some(on))?;
        }
        Ok(walker.positions)
    }
}

/// An enum value written as a string literal in the document.
fn quoted_enum(field: &str, text: &str) -> InputRefusal {
    InputRefusal::QuotedEnum {
        field: field.to_owned(),
        message: format!(
            "{field}: an enum value is written without quotes (`{text}`, not `\"{text}\"`)"
        ),
    }
}

/// What a value's place says about the strings in it.
#[derive(Debug, Clone, Copy, Default)]
struct Context {
    /// Within an input type named `…Filter`.
    filter: bool,
}

struct Walker<'a> {
    types: &'a InputTypes,
    variables: &'a Variables,
    operation: Option<&'a OperationDefinition>,
    positions: ArgumentPositions,
}

impl Walker<'_> {
    fn selection_set(
        &mut self,
        set: &SelectionSet,
        parent: Option<&str>,
    ) -> Result<(), InputRefusal> {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    self.directives(&field.directives)?;
                    let types = parent
                        .and_then(|parent| self.types.fields.get(parent))
                        .and_then(|fields| fields.get(field.name.node.as_str()));
                    for (name, value) in &field.arguments {
                        let name = name.node.as_str();
                        self.positions.0.insert(value.pos, name.to_owned());
                        let ty = types.and_then(|types| types.arguments.get(name));
                        self.value(&value.node, ty, name, Context::default())?;
                    }
                    let returns = types.map(|types| types.returns.as_str());
                    self.selection_set(&field.selection_set.node, returns)?;
                }
                Selection::FragmentSpread(spread) => self.directives(&spread.node.directives)?,
                Selection::InlineFragment(inline) => {
                    let inline = &inline.node;
                    self.directives(&inline.directives)?;
                    let on = match &inline.type_condition {
                        Some(condition) => Some(condition.node.on.node.as_str()),
                        None => parent,
                    };
                    self.selection_set(&inline.selection_set.node, on)?;
                }
            }
        }
        Ok(())
    }

    /// Directive arguments (`@skip(if: …)`) are not typed here: their strings still meet
    /// the character rule.
    fn directives(&mut self, directives: &[Positioned<Directive>]) -> Result<(), InputRefusal> {
        for directive in directives {
            for (name, value) in &directive.node.arguments {
                self.value(&value.node, None, name.node.as_str(), Context::default())?;
            }
        }
        Ok(())
    }

    /// A value as written in the document, of type `ty` when known.
    fn value(
        &mut self,
        value: &Value,
        ty: Option<&Type>,
        field: &str,
        context: Context,
    ) -> Result<(), InputRefusal> {
        match value {
            Value::Variable(name) => {
                let given = self.variables.get(name).or_else(|| {
                    self.operation?
                        .variable_definitions
                        .iter()
                        .find(|definition| definition.node.name.node == *name)?
                        .node
                        .default_value
                        .as_ref()
                        .map(|default| &default.node)
                });
                match given {
                    Some(given) => self.constant(given, ty, field, context, false),
                    None => Ok(()),
                }
            }
            Value::List(items) => {
                let item_type = ty.and_then(|ty| match &ty.base {
                    BaseType::List(inner) => Some(&**inner),
                    BaseType::Named(_) => None,
                });
                // A single value where a list is expected stands for a list of one.
                let item_type = item_type.or(ty);
                for (index, item) in items.iter().enumerate() {
                    self.value(item, item_type, &format!("{field}[{index}]"), context)?;
                }
                Ok(())
            }
            Value::Object(fields) => {
                for (name, item) in fields {
                    let (item_type, context) = self.types.input_field(ty, name, context);
                    self.value(item, item_type, &format!("{field}.{name}"), context)?;
                }
                Ok(())
            }
            Value::String(text) if self.types.is_enum(ty) => Err(quoted_enum(field, text)),
            Value::String(text) => self.string(text, ty, field, context),
            Value::Number(_) => {
                self.scalar(&value.clone().into_const().unwrap_or_default(), ty, field)
            }
            Value::Null | Value::Boolean(_) | Value::Binary(_) | Value::Enum(_) => Ok(()),
        }
    }

    /// A value given as a variable (or a default): strings stand for enum values there.
    fn constant(
        &mut self,
        value: &ConstValue,
        ty: Option<&Type>,
        field: &str,
        context: Context,
        literal: bool,
    ) -> Result<(), InputRefusal> {
        match value {
            ConstValue::List(items) => {
                let item_type = ty
                    .and_then(|ty| match &ty.base {
                        BaseType::List(inner) => Some(&**inner),
                        BaseType::Named(_) => None,
                    })
                    .or(ty);
                for (index, item) in items.iter().enumerate() {
                    self.constant(
                        item,
                        item_type,
                        &format!("{field}[{index}]"),
                        context,
                        literal,
                    )?;
                }
                Ok(())
            }
            ConstValue::Object(fields) => {
                for (name, item) in fields {
                    let (item_type, context) = self.types.input_field(ty, name, context);
                    self.constant(
                        item,
                        item_type,
                        &format!("{field}.{name}"),
                        context,
                        literal,
                    )?;
                }
                Ok(())
            }
            ConstValue::String(text) if literal && self.types.is_enum(ty) => {
                Err(quoted_enum(field, text))
            }
            ConstValue::String(text) => self.string(text, ty, field, context),
            ConstValue::Number(_) => self.scalar(value, ty, field),
            ConstValue::Null
            | ConstValue::Boolean(_)
            | ConstValue::Binary(_)
            | ConstValue::Enum(_) => Ok(()),
        }
    }

    fn string(
        &self,
        text: &str,
        ty: Option<&Type>,
        field: &str,
        context: Context,
    ) -> Result<(), InputRefusal> {
        let refuse = |message: String| InputRefusal::BadInput {
            field: field.to_owned(),
            message: format!("{field}: {message}"),
        };
        if let Some(problem) = character_problem(text, Lines::Many) {
            return Err(refuse(problem));
        }
        let type_name = ty.map(base_name);
        let name = field.rsplit(['.', '[']).next().unwrap_or(field);
        let (max, kind) = if type_name == Some("ID") || IDENTIFIER_NAMES.contains(&name) {
            (MAX_IDENTIFIER_CHARS, "an identifier")
        } else if context.filter {
            (MAX_FILTER_CHARS, "a filter")
        } else {
            (MAX_STRING_CHARS, "a text")
        };
        if text.chars().take(max + 1).count() > max {
            return Err(refuse(format!("{kind} is at most {max} characters")));
        }
        let parses = match type_name {
            Some("Date") => {
                <Date as ScalarType>::parse(ConstValue::String(text.to_owned())).is_ok()
            }
            Some("DateTime") => {
                <DateTime as ScalarType>::parse(ConstValue::String(text.to_owned())).is_ok()
            }
            _ => true,
        };
        if !parses {
            let expected = match type_name {
                Some("Date") => "a date (YYYY-MM-DD)",
                _ => "an RFC 3339 instant such as 2020-05-14T16:30:00Z",
            };
            return Err(refuse(format!("`{text}` is not {expected}")));
        }
        Ok(())
    }

    fn scalar(
        &self,
        value: &ConstValue,
        ty: Option<&Type>,
        field: &str,
    ) -> Result<(), InputRefusal> {
        if let (Some("Int"), ConstValue::Number(number)) = (ty.map(base_name), value)
            && number.as_i64().is_none_or(|n| i32::try_from(n).is_err())
        {
            return Err(InputRefusal::BadInput {
                field: field.to_owned(),
                message: format!(
                    "{field}: an Int is a whole number from {} to {}",
                    i32::MIN,
                    i32::MAX
                ),
            });
        }
        Ok(())
    }
}
