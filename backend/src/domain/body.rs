/// Twilio's limit for one message body; longer texts are refused rather than cut.
pub const MAX_BODY_CHARS: usize = 1600;

/// The text of a message an agent writes: not blank, at most [`MAX_BODY_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBody(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageBodyError {
    #[error("the message body is empty")]
    Empty,
    #[error("the message body has {0} characters; the limit is {MAX_BODY_CHARS}")]
    TooLong(usize),
}

impl MessageBody {
    pub fn parse(raw: String) -> Result<Self, MessageBodyError> {
        if raw.trim().is_empty() {
            return Err(MessageBodyError::Empty);
        }
        let chars = raw.chars().count();
        if chars > MAX_BODY_CHARS {
            return Err(MessageBodyError::TooLong(chars));
        }
        Ok(Self(raw))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_and_overlong_bodies_are_refused() {
        assert_eq!(MessageBody::parse(" \n ".into()), Err(MessageBodyError::Empty));
        assert_eq!(MessageBody::parse("é".repeat(1601)), Err(MessageBodyError::TooLong(1601)));
        assert!(MessageBody::parse("é".repeat(1600)).is_ok());
    }
}
