//! The shape shared by every state machine of revshare: an explicit list of allowed moves.

use crate::error::DomainError;

/// A status with a closed list of allowed moves. Everything not listed is refused.
pub trait StateMachine: Copy + Eq + std::fmt::Debug + 'static {
    /// What the machine belongs to, for error messages (`partner`, `payout`, …).
    const ENTITY: &'static str;
    /// Every allowed `(from, to)` move.
    const MOVES: &'static [(Self, Self)];

    /// The status as stored and shown.
    fn as_str(&self) -> &'static str;

    /// True when `self → to` is an allowed move.
    fn can_move_to(self, to: Self) -> bool {
        Self::MOVES.iter().any(|&(f, t)| f == self && t == to)
    }

    /// The new status, or [`DomainError::InvalidTransition`].
    fn move_to(self, to: Self) -> Result<Self, DomainError> {
        if self.can_move_to(to) {
            Ok(to)
        } else {
            Err(DomainError::InvalidTransition {
                entity: Self::ENTITY,
                from: self.as_str().to_owned(),
                to: to.as_str().to_owned(),
            })
        }
    }
}

/// Declares a string-backed status enum with `as_str`, `parse`, `ALL` and serde.
macro_rules! status_enum {
    ($(#[$doc:meta])* $name:ident, $field:literal { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and displayed name.
            pub const fn name(&self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the stored name.
            pub fn parse(text: &str) -> Result<Self, $crate::error::ValidationError> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::error::ValidationError::new(
                        $field,
                        format!("{text:?} is not one of: {}", [$($text),+].join(", ")),
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}
pub(crate) use status_enum;
