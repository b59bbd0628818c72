/// A carrier opt-out/opt-in keyword: the whole message is the keyword, in any case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptKeyword {
    OptOut,
    OptIn,
}

impl OptKeyword {
    pub fn detect(body: &str) -> Option<Self> {
        let word = body.trim();
        // Every keyword is short ASCII; skip the upper-casing for ordinary texts.
        if word.len() > 11 {
            return None;
        }
        match word.to_ascii_uppercase().as_str() {
            "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" | "REVOKE" | "OPTOUT" => Some(Self::OptOut),
            "START" | "UNSTOP" | "YES" => Some(Self::OptIn),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_whole_message_keyword_counts() {
        for stop in ["STOP", "stop", " Stop\n", "STOPALL", "unsubscribe", "Cancel", "END", "quit", "OPTOUT"] {
            assert_eq!(OptKeyword::detect(stop), Some(OptKeyword::OptOut), "{stop}");
        }
        for start in ["START", "unstop", "Yes"] {
            assert_eq!(OptKeyword::detect(start), Some(OptKeyword::OptIn), "{start}");
        }
        for other in ["Please stop texting me", "STOP!", "stopp", "", "help", "yes please"] {
            assert_eq!(OptKeyword::detect(other), None, "{other}");
        }
    }
}
