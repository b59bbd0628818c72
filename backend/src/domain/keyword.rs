/// A carrier keyword (CTIA, and the gateways' defaults): the whole message is the keyword, in any case.
/// The lists are in the README ("Keywords") and the settings API's documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptKeyword {
    OptOut,
    OptIn,
    /// HELP or INFO: answered with the `help_reply_template` setting, never the confirmation.
    Help,
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
            "HELP" | "INFO" => Some(Self::Help),
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
        for help in ["HELP", "help", " Info\n"] {
            assert_eq!(OptKeyword::detect(help), Some(OptKeyword::Help), "{help}");
        }
        for other in ["Please stop texting me", "STOP!", "stopp", "", "help me", "yes please", "information"] {
            assert_eq!(OptKeyword::detect(other), None, "{other}");
        }
    }
}
