//! Tags and priorities: how agents sort and group the queue.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::UnknownValue;

/// How urgent a ticket is. Stored as its rank (a small integer that sorts and indexes as the ranks do).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Self::Low, Self::Normal, Self::High, Self::Urgent];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Normal => "normal",
            Self::High => "high",
            Self::Urgent => "urgent",
        }
    }

    /// The stored value: 0 (low) to 3 (urgent).
    pub fn rank(self) -> i16 {
        match self {
            Self::Low => 0,
            Self::Normal => 1,
            Self::High => 2,
            Self::Urgent => 3,
        }
    }

    /// A stored rank; `None` for one the schema's CHECK would have refused.
    pub fn from_rank(rank: i16) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.rank() == rank)
    }
}

impl FromStr for Priority {
    type Err = UnknownValue;
    fn from_str(value: &str) -> Result<Self, UnknownValue> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == value)
            .ok_or_else(|| UnknownValue { kind: "priority", value: value.to_owned() })
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const MAX_TAG_CHARS: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    #[error("a tag name is 1 to {MAX_TAG_CHARS} characters, without control characters or commas")]
    InvalidName,
    #[error("a tag colour is #rrggbb (six hex digits)")]
    InvalidColour,
}

/// A tag's name as people write it, trimmed. Tags are one per name whatever the case ("Refund" is "refund").
/// No commas, so that a list of tags can be written as one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TagName(String);

impl TagName {
    pub fn parse(raw: &str) -> Result<Self, TagError> {
        let name = raw.trim();
        let chars = name.chars().count();
        if chars == 0 || chars > MAX_TAG_CHARS || name.chars().any(|c| c.is_control() || c == ',') {
            return Err(TagError::InvalidName);
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether two names are the same tag.
    pub fn same_as(&self, other: &str) -> bool {
        self.0.to_lowercase() == other.to_lowercase()
    }
}

/// A tag's colour: `#rrggbb`, stored in lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagColour(String);

impl TagColour {
    /// The colour of tags agents create on the fly: a neutral grey an admin can change.
    pub fn default_colour() -> Self {
        Self("#6b7280".to_owned())
    }

    pub fn parse(raw: &str) -> Result<Self, TagError> {
        let hex = raw.strip_prefix('#').ok_or(TagError::InvalidColour)?;
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(TagError::InvalidColour);
        }
        Ok(Self(format!("#{}", hex.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn priorities_round_trip_through_names_and_ranks() {
        for p in Priority::ALL {
            assert_eq!(p.as_str().parse::<Priority>().unwrap(), p);
            assert_eq!(Priority::from_rank(p.rank()), Some(p));
        }
        assert!("URGENT".parse::<Priority>().is_err());
        assert_eq!(Priority::from_rank(7), None);
        assert!(Priority::Urgent > Priority::High && Priority::Low < Priority::Normal);
    }

    #[test]
    fn tag_names_and_colours_are_checked() {
        assert_eq!(TagName::parse("  Refund ").unwrap().as_str(), "Refund");
        for bad in ["", "   ", "a,b", "tab\there", &"x".repeat(41)] {
            assert_eq!(TagName::parse(bad), Err(TagError::InvalidName), "{bad:?}");
        }
        assert!(TagName::parse("Refund").unwrap().same_as("REFUND"));
        assert_eq!(TagColour::parse("#A1B2C3").unwrap().as_str(), "#a1b2c3");
        for bad in ["a1b2c3", "#abc", "#ggg000", "#a1b2c3d", ""] {
            assert_eq!(TagColour::parse(bad), Err(TagError::InvalidColour), "{bad:?}");
        }
    }
}
