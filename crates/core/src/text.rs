//! Text for people, in Traditional Chinese first and English second. Domain messages that a
//! person must act on are written in both, so no screen falls back to English only.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::time::Language;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Text {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// Text that reads the same in both languages (codes, numbers, third-party messages).
    pub fn same(text: impl Into<String>) -> Self {
        let text = text.into();
        Text {
            zh: text.clone(),
            en: text,
        }
    }

    pub fn get(&self, lang: Language) -> &str {
        match lang {
            Language::ZhTw => &self.zh,
            Language::En => &self.en,
        }
    }
}

/// English, for logs and for API clients that did not ask for Chinese.
impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}
