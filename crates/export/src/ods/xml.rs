//! Escaping for the ODS parts: markup characters become entities, and characters XML 1.0
//! cannot carry at all (most C0 controls, U+FFFE, U+FFFF) become U+FFFD so the loss shows.

/// Append `text` escaped for element content or a double-quoted attribute value.
pub(super) fn escape_into(out: &mut String, text: &str) {
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // As references they survive attribute-value normalisation.
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if allowed_in_xml(c) => out.push(c),
            _ => out.push(char::REPLACEMENT_CHARACTER),
        }
    }
}

pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

/// XML 1.0 § 2.2 `Char`, less the whitespace handled above.
fn allowed_in_xml(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_characters_are_escaped_and_chinese_is_untouched() {
        assert_eq!(
            escape(r#"<機關 & "名稱" 's>"#),
            "&lt;機關 &amp; &quot;名稱&quot; &apos;s&gt;"
        );
    }

    #[test]
    fn characters_xml_cannot_hold_are_replaced_visibly() {
        assert_eq!(
            escape("a\u{0}b\u{1B}c\u{FFFF}"),
            "a\u{FFFD}b\u{FFFD}c\u{FFFD}"
        );
        assert_eq!(escape("𡘙\t"), "𡘙&#9;");
    }
}
