//! Search tokens that work for Traditional Chinese: Han text has no spaces, so it is indexed as
//! overlapping two-character pieces (停車場 → 停車 車場), which makes two-character words such as
//! 停車 or 公車 findable anywhere in a title; Latin text and numbers are indexed as words.
//! Variant characters people use interchangeably (臺/台) are folded to one form first.

/// Characters treated as the same when searching.
const VARIANTS: &[(char, char)] = &[
    ('臺', '台'),
    ('峯', '峰'),
    ('裏', '裡'),
    ('綫', '線'),
    ('着', '著'),
];

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Full-width ASCII to half-width, lower case, variants folded.
pub fn fold(text: &str) -> String {
    text.chars()
        .map(|c| match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            0x3000 => ' ',
            _ => c,
        })
        .map(|c| {
            VARIANTS
                .iter()
                .find(|(from, _)| *from == c)
                .map(|(_, to)| *to)
                .unwrap_or(c)
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Split folded text into runs of Han and runs of letters/digits.
fn runs(text: &str) -> Vec<(bool, String)> {
    let mut out: Vec<(bool, String)> = Vec::new();
    for c in fold(text).chars() {
        let han = is_han(c);
        let word = c.is_alphanumeric() && !han;
        if !han && !word {
            out.push((false, String::new()));
            continue;
        }
        match out.last_mut() {
            Some((was_han, run)) if *was_han == han && !run.is_empty() => run.push(c),
            _ => out.push((han, c.to_string())),
        }
    }
    out.into_iter().filter(|(_, r)| !r.is_empty()).collect()
}

fn bigrams(run: &str) -> Vec<String> {
    let chars: Vec<char> = run.chars().collect();
    if chars.len() == 1 {
        return vec![run.to_string()];
    }
    chars.windows(2).map(|w| w.iter().collect()).collect()
}

/// Tokens to index, space-separated for the store's full-text index.
pub fn index_tokens(text: &str) -> String {
    let mut out = Vec::new();
    for (han, run) in runs(text) {
        if han {
            out.extend(bigrams(&run));
        } else {
            out.push(run);
        }
    }
    out.join(" ")
}

/// A query term: match the token exactly, or as a prefix (single Han characters, which the
/// index holds only as the first half of a pair).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryToken {
    pub text: String,
    pub prefix: bool,
}

/// The terms a query must all match.
pub fn query_tokens(query: &str) -> Vec<QueryToken> {
    let mut out: Vec<QueryToken> = Vec::new();
    for (han, run) in runs(query) {
        let single = run.chars().count() == 1;
        let terms = if han { bigrams(&run) } else { vec![run] };
        for text in terms {
            if !out.iter().any(|t| t.text == text) {
                out.push(QueryToken {
                    text,
                    prefix: han && single,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_two_character_word_is_one_token_wherever_it_appears() {
        assert_eq!(index_tokens("桃園市停車場"), "桃園 園市 市停 停車 車場");
        assert_eq!(
            query_tokens("停車"),
            vec![QueryToken {
                text: "停車".into(),
                prefix: false
            }]
        );
        assert_eq!(
            index_tokens("公車路線(Bus Routes) 2024"),
            "公車 車路 路線 bus routes 2024"
        );
    }

    #[test]
    fn tai_and_tai_are_the_same_for_searching() {
        assert_eq!(fold("臺北"), "台北");
        assert_eq!(index_tokens("臺灣"), index_tokens("台灣"));
        assert_eq!(query_tokens("ＣＳＶ　臺中"), query_tokens("csv 台中"));
    }

    #[test]
    fn a_single_character_searches_as_a_prefix() {
        let q = query_tokens("車");
        assert_eq!(
            q,
            vec![QueryToken {
                text: "車".into(),
                prefix: true
            }]
        );
        assert_eq!(
            query_tokens("105年度 預算")
                .iter()
                .map(|t| t.text.as_str())
                .collect::<Vec<_>>(),
            vec!["105", "年度", "預算"]
        );
    }
}
