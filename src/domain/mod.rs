//! The rules of Communs, free of HTTP and SQL: who the caller is, what they may do and see,
//! and the values that are parsed at the edge.

pub mod access;
pub mod account;
pub mod api_key;
pub mod caller;
pub mod contribution;
pub mod duplicate;
pub mod erasure;
pub mod initiative_link;
pub mod initiative_query;
pub mod input_text;
pub mod login_throttle;
pub mod moderation;
pub mod notification;
pub mod page;
pub mod personal_data;
pub mod place;
pub mod reference;
pub mod retry;
pub mod revision;
pub mod search;
pub mod territory_file;
pub mod text;
pub mod time;
pub mod visibility;
pub mod webhook;
