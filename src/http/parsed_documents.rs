//! Parsed GraphQL documents, by query text. Clients send the same few documents again and
//! again with other variables, and parsing one is a large share of a small request's work:
//! 14 % of the server's CPU for an initiative's page by slug. A document depends on its
//! text alone, so it is kept as long as there is room, whatever the caller or the catalogue.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use async_graphql::parser::{parse_query, types::ExecutableDocument};

/// Documents longer than this are parsed every time: real clients' documents are shorter,
/// and the memory kept stays bounded (about 10 bytes of tree per byte of text).
const MAX_KEPT_TEXT: usize = 8 * 1024;

/// At most this many documents are kept; past it, all are dropped.
const MAX_DOCUMENTS: usize = 256;

/// The documents parsed so far, shared by every request.
#[derive(Default)]
pub struct ParsedDocuments {
    documents: Mutex<HashMap<String, Arc<ExecutableDocument>>>,
}

impl ParsedDocuments {
    /// The document of `query`, parsed now or earlier; `None` when it does not parse (the
    /// engine parses it again and says why).
    pub fn parse(&self, query: &str) -> Option<Arc<ExecutableDocument>> {
        if query.len() > MAX_KEPT_TEXT {
            return parse_query(query).ok().map(Arc::new);
        }
        if let Some(document) = self.documents().get(query) {
            return Some(document.clone());
        }
        let document = Arc::new(parse_query(query).ok()?);
        let mut documents = self.documents();
        if documents.len() >= MAX_DOCUMENTS {
            documents.clear();
        }
        documents.insert(query.to_owned(), document.clone());
        Some(document)
    }

    /// The document of `query` if it was parsed and kept already: never parses.
    pub fn already_parsed(&self, query: &str) -> Option<Arc<ExecutableDocument>> {
        self.documents().get(query).cloned()
    }

    fn documents(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<ExecutableDocument>>> {
        // A panic while holding the lock leaves the map whole: every insert is one call.
        self.documents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_parsed_once_and_a_bad_one_is_not_kept() {
        let documents = ParsedDocuments::default();
        let first = documents.parse("{ initiatives { totalCount } }").unwrap();
        let again = documents.parse("{ initiatives { totalCount } }").unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        assert!(documents.parse("{ initiatives {").is_none());
        assert_eq!(documents.documents().len(), 1);
    }

    #[test]
    fn documents_past_the_limit_are_dropped_together() {
        let documents = ParsedDocuments::default();
        for index in 0..=MAX_DOCUMENTS {
            documents.parse(&format!("{{ a{index} }}")).unwrap();
        }
        assert_eq!(documents.documents().len(), 1);
    }

    #[test]
    fn a_long_document_is_parsed_but_not_kept() {
        let documents = ParsedDocuments::default();
        let long = format!("{{ {} }}", "a ".repeat(MAX_KEPT_TEXT));
        assert!(documents.parse(&long).is_some());
        assert!(documents.documents().is_empty());
    }
}
