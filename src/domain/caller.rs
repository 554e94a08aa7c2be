//! Who is making a request.

/// The caller of a request. Accounts come with authentication; until a request proves
/// otherwise, the caller is anonymous.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Caller {
    /// No credentials: the public.
    #[default]
    Anonymous,
}
